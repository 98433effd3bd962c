// Tile images on a real GL context (the offscreen driver: EGL on Mesa llvmpipe): a tile's mesh
// rendered into pixels and uploaded by platform::ImageTexture shows the mesh's colours at known
// pixels, the right way up, in the texture and on screen once draw() has put the image there.
#include "map/map.h"
#include "map/map_images.h"
#include "map_test_util.h"
#include "platform.h"
#include "text.h"
#include "text_draw.h"

#include <catch2/catch.hpp>

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <random>

using namespace map;
using namespace map_test;

namespace {

struct GlImage : TileImage {
    platform::ImageTexture texture_;
    explicit GlImage(platform::ImageTexture t) : texture_(std::move(t)) {}
    void* texture() const override { return texture_.imgui_id(); }
};

// The pixel (x, y) of top-down RGBA rows `width` wide, as IM_COL32.
uint32_t pixel(const std::vector<uint8_t>& rgba, int width, int x, int y) {
    const uint8_t* p = &rgba[((size_t)y * width + x) * 4];
    return IM_COL32(p[0], p[1], p[2], p[3]);
}

std::unique_ptr<text::Engine> font_engine() {
    text::EngineConfig ec;
    ec.font_dir = SPORTELLO_FONT_DIR;
    return text::Engine::create(ec);
}

std::unique_ptr<platform::Window> headless_window(int width, int height) {
    platform::WindowConfig wc;
    wc.width = width;
    wc.height = height;
    wc.headless = true;
    return platform::Window::open(wc);
}

}  // namespace

TEST_CASE("tile images on GL: a tile rendered into a texture shows its mesh's colours the right way up", "[map][gl]") {
    std::unique_ptr<text::Engine> engine = font_engine();
    REQUIRE(engine->ok());
    // One z0 tile: water over its top half only, nothing below (the land's background colour).
    LayerSpec water;
    water.name = "water";
    water.features.push_back({3, {}, rings_geometry({{{0, 0}, {4096, 0}, {4096, 2048}, {0, 2048}}})});
    const std::string path = temp_path("gl.mbtiles");
    write_mbtiles(path, good_metadata(0, 0), {{0, 0, 0, gzip(encode_tile({water}))}});
    std::string error;
    Waker waker;
    TileCache cache(TileFile::open(path, &error), waker.callback());
    REQUIRE(waker.wait_for([&] { return cache.get(TileId{0, 0, 0}, "en") != nullptr; }));

    std::unique_ptr<platform::Window> window = headless_window(400, 300);   // another size than the tile's
    REQUIRE(window->ok());
    const platform::ImageTexture* rendered = nullptr;
    TileImages::Config config;
    config.opaque = platform::opaque_images;
    TileImages images(
        [&](const uint32_t* pixels, int size) -> std::unique_ptr<TileImage> {
            platform::ImageTexture t = platform::ImageTexture::upload(pixels, size, size);
            if (!t.ok()) return nullptr;
            auto image = std::make_unique<GlImage>(std::move(t));
            rendered = &image->texture_;
            return image;
        },
        config);
    Camera cam;
    cam.center = World{0.5, 0.5};
    cam.zoom = 0;   // the one tile is 256 px, in the middle of the window: at (72, 22)
    window->set_clear_colour(kLand);   // the ground, as the kiosk's map screen has it
    window->begin_frame(1.0f / 60);
    DrawStats s = draw(ImGui::GetBackgroundDrawList(), *engine, nullptr, cache, cam, 0, 0, 400, 300, "en",
                       platform::opaque_fills, &images);
    window->end_frame();
    CHECK(s.tiles_rendered == 1);
    CHECK(s.tiles_vector == 0);
    REQUIRE(rendered);
    REQUIRE(rendered->width() == 256);

    const uint32_t kWater = IM_COL32(170, 211, 223, 255);
    std::vector<uint8_t> texels;
    REQUIRE(rendered->read_pixels(&texels));
    CHECK(pixel(texels, 256, 128, 40) == kWater);
    CHECK(pixel(texels, 256, 5, 120) == kWater);
    CHECK(pixel(texels, 256, 128, 200) == kLand);
    CHECK(pixel(texels, 256, 250, 250) == kLand);

    std::vector<uint8_t> screen;
    REQUIRE(window->read_pixels(&screen));
    CHECK(pixel(screen, 400, 72 + 128, 22 + 40) == kWater);
    CHECK(pixel(screen, 400, 72 + 5, 22 + 120) == kWater);
    CHECK(pixel(screen, 400, 72 + 128, 22 + 200) == kLand);
    CHECK(pixel(screen, 400, 72 + 250, 22 + 250) == kLand);
    images.clear();   // the textures go while their context is there
}

TEST_CASE("tile images on GL: raster_mesh draws real tiles as GL draws their triangles", "[map][gl]") {
    const std::string tiles = monaco_mbtiles();
    if (tiles.empty()) {
        WARN("tilemaker is not installed: skipped");
        return;
    }
    std::unique_ptr<platform::Window> window = headless_window(300, 300);
    REQUIRE(window->ok());
    const int size = 256;
    std::vector<uint32_t> pixels((size_t)size * size);
    std::vector<uint8_t> screen;
    int meshes = 0;
    size_t different = 0, compared = 0;
    for (const auto& [id, bytes] : all_tiles(tiles)) {
        if (id.z < 13) continue;
        DecodedTile decoded;
        std::string error;
        REQUIRE(decode_mvt(bytes, &decoded, &error));
        const TileMesh mesh = build_mesh(id, decoded, "en");
        if (mesh.indices.size() < 300) continue;
        meshes++;
        window->begin_frame(1.0f / 60);
        ImDrawList* dl = ImGui::GetBackgroundDrawList();
        dl->AddCallback(platform::opaque_fills, nullptr);
        dl->AddRectFilled(ImVec2(0, 0), ImVec2(size, size), IM_COL32(242, 239, 233, 255));
        draw_mesh(dl, mesh, 0, 0, size, ImVec2(0, 0), ImVec2(size, size));
        window->end_frame();
        REQUIRE(window->read_pixels(&screen));
        raster_mesh(mesh, size, IM_COL32(242, 239, 233, 255), pixels.data());
        size_t here = 0;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) here += pixel(screen, 300, x, y) != pixels[(size_t)y * size + x];
        INFO("tile " << id.z << "/" << id.x << "/" << id.y << ": " << here << " pixels differ");
        CHECK(here * 1000 <= (size_t)size * size);   // at most 0.1 % (positions GL rounds otherwise)
        different += here;
        compared += (size_t)size * size;
    }
    CHECK(meshes >= 5);
    WARN(different << " of " << compared << " pixels differ from GL's over " << meshes << " tiles");
}

TEST_CASE("tile images on GL: a tile drawn as its pieces shows its image's pixels, at its own scale and scaled", "[map][gl]") {
    std::unique_ptr<text::Engine> engine = font_engine();
    REQUIRE(engine->ok());
    // No names (no labels over the picture): water off the 16 px grid, and a scatter of small
    // blocks of grass and housing, so that the image has plain squares and detailed ones.
    LayerSpec water, landuse;
    water.name = "water";
    water.features.push_back({3, {}, rings_geometry({{{300, 250}, {2900, 250}, {2900, 1500}, {300, 1500}}})});
    landuse.name = "landuse";
    landuse.keys = {"class"};
    landuse.values = {"grass", "residential"};
    std::mt19937 rng(11);
    for (int k = 0; k < 60; k++) {
        const int x = 200 + (int)(rng() % 3400), y = 1700 + (int)(rng() % 2000), w = 40 + (int)(rng() % 300);
        landuse.features.push_back({3, {0, (uint32_t)(k % 2)}, rings_geometry({{{x, y}, {x + w, y}, {x + w, y + w / 2}, {x, y + w}}})});
    }
    const std::string path = temp_path("gl-pieces.mbtiles");
    write_mbtiles(path, good_metadata(0, 0), {{0, 0, 0, gzip(encode_tile({water, landuse}))}});
    std::string error;
    Waker waker;
    TileCache cache(TileFile::open(path, &error), waker.callback());
    REQUIRE(waker.wait_for([&] { return cache.get(TileId{0, 0, 0}, "en") != nullptr; }));
    const TileMesh* mesh = cache.peek(TileId{0, 0, 0}, "en");
    REQUIRE(mesh);
    REQUIRE(mesh->labels.empty());
    std::vector<uint32_t> image(256 * 256);
    raster_mesh(*mesh, 256, kLand, image.data());
    std::vector<ImagePiece> pieces;
    split_image(image.data(), 256, 16, &pieces);
    int solid = 0, textured = 0;
    for (const ImagePiece& p : pieces) (p.rgba ? solid : textured)++;
    REQUIRE(solid > 3);      // the picture has both kinds
    REQUIRE(textured > 3);

    std::unique_ptr<platform::Window> window = headless_window(400, 300);
    REQUIRE(window->ok());
    TileImages::Config config;
    config.opaque = platform::opaque_images;
    TileImages images([](const uint32_t* pixels, int size) -> std::unique_ptr<TileImage> {
        platform::ImageTexture t = platform::ImageTexture::upload(pixels, size, size);
        return t.ok() ? std::make_unique<GlImage>(std::move(t)) : nullptr;
    }, config);
    Camera cam;
    cam.center = World{0.5, 0.5};
    std::vector<uint8_t> screen;
    // A ground of a colour the map never has: a seam between pieces shows it, and so does the
    // land, which draw() leaves to the ground.
    const uint32_t kGround = IM_COL32(255, 0, 255, 255);
    window->set_clear_colour(kGround);
    auto frame = [&](double zoom) {
        cam.zoom = zoom;
        window->begin_frame(1.0f / 60);
        const DrawStats s = draw(ImGui::GetBackgroundDrawList(), *engine, nullptr, cache, cam, 0, 0, 400, 300, "en",
                                 platform::opaque_fills, &images);
        window->end_frame();
        REQUIRE(window->read_pixels(&screen));
        return s;
    };
    // At its own scale, at (72, 22): every pixel is the image's, or the ground where the image is
    // land (the land's pieces of one colour are not drawn; inside a piece from the image it is).
    CHECK(frame(0).tiles_rendered == 1);
    size_t different = 0, ground = 0;
    for (int y = 0; y < 256; y++)
        for (int x = 0; x < 256; x++) {
            const uint32_t want = image[(size_t)y * 256 + x], got = pixel(screen, 400, 72 + x, 22 + y);
            ground += got == kGround;
            different += got != want && !(got == kGround && want == kLand);
        }
    CHECK(different == 0);
    CHECK(ground > 256 * 16);   // the land's plain squares
    // Zooming (the image drawn at 362 of its 256 px, from x = 19, y = -31): every pixel is a texel
    // at or beside the one nearest its centre, or the ground where that texel is land; a seam
    // between pieces would show the ground elsewhere.
    const DrawStats s = frame(0.5);
    CHECK(s.tiles_rendered == 0);
    CHECK(images.pending());
    const float ax = 19, ay = -31, k = 362.0f / 256;
    size_t off = 0;
    for (int y = 0; y < 300; y++)
        for (int x = 19; x < 19 + 362; x++) {
            const int tx = (int)std::floor((x + 0.5f - ax) / k), ty = (int)std::floor((y + 0.5f - ay) / k);
            bool near = false;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    const int u = std::clamp(tx + dx, 0, 255), v = std::clamp(ty + dy, 0, 255);
                    const uint32_t texel = image[(size_t)v * 256 + u], got = pixel(screen, 400, x, y);
                    near = near || got == texel || (dx == 0 && dy == 0 && got == kGround && texel == kLand);
                }
            off += !near;
        }
    CHECK(off == 0);
    images.clear();   // the textures go while their context is there
}

TEST_CASE("map labels on GL: each glyph and its halo from one quad, as the halo drawn and the glyph over it", "[map][gl]") {
    std::unique_ptr<text::Engine> engine = font_engine();
    REQUIRE(engine->ok());
    std::unique_ptr<platform::Window> window = headless_window(400, 120);
    REQUIRE(window->ok());
    const uint32_t kGround = IM_COL32(20, 110, 40, 255), kHaloColour = IM_COL32(255, 250, 240, 235);
    const uint32_t kInk = IM_COL32(30, 40, 120, 255);
    text::Style style;
    style.size_px = 40;
    style.lang = "it";
    auto layout = engine->layout("Via Gràsse", style);
    REQUIRE(layout);
    platform::Texture atlas;
    std::vector<uint8_t> screen;
    auto frame = [&] {
        window->set_clear_colour(kGround);
        window->begin_frame(1.0f / 60);
        engine->begin_frame();
        ImDrawList* dl = ImGui::GetBackgroundDrawList();
        dl->AddCallback(platform::halo_text, (void*)&kHaloColour);
        text::draw_layout_haloed(dl, *engine, atlas.imgui_id(), *layout, ImVec2(20, 30), 400, text::Align::Start, kInk);
        dl->AddCallback(ImDrawCallback_ResetRenderState, nullptr);
        const text::AtlasPixels& px = engine->atlas();
        atlas.resize(px.width, px.height);
        atlas.upload(0, 0, px.width, px.height, px.coverage, px.width);
        const int vertices = dl->VtxBuffer.Size;
        window->end_frame();
        REQUIRE(window->read_pixels(&screen));
        return vertices;
    };
    frame();   // the glyphs go into the atlas
    REQUIRE_FALSE(engine->needs_redraw());
    const int vertices = frame();
    CHECK(vertices <= 4 * (int)layout->glyphs.size());   // one quad a glyph at most (none for the space)

    // Every pixel against the two drawn one after the other over the ground (ImGui's blend: src
    // alpha, one minus src alpha), from the atlas's texels as the quads place them.
    std::vector<float> want(400 * 120 * 3);
    for (int i = 0; i < 400 * 120; i++)
        for (int c = 0; c < 3; c++) want[(size_t)i * 3 + c] = (float)((kGround >> (8 * c)) & 0xFF);
    const text::AtlasPixels& px = engine->atlas();
    const ImDrawList* dl = ImGui::GetDrawData()->CmdLists[0];
    int quads = 0, halo_only = 0;
    for (int v = 0; v + 3 < dl->VtxBuffer.Size; v += 4) {
        const ImDrawVert& a = dl->VtxBuffer[v];
        const ImDrawVert& b = dl->VtxBuffer[v + 2];
        const int x0 = (int)a.pos.x, y0 = (int)a.pos.y, w = (int)(b.pos.x - a.pos.x), h = (int)(b.pos.y - a.pos.y);
        const int u0 = (int)std::lround(a.uv.x * px.width), v0 = (int)std::lround(a.uv.y * px.height);
        quads++;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                const int t = px.coverage[(size_t)(v0 + y) * px.width + u0 + x];
                const float halo = (float)(t >> 4) / 15 * (float)(kHaloColour >> 24) / 255, glyph = (float)(t & 15) / 15;
                halo_only += (t >> 4) == 15 && (t & 15) == 0;
                float* d = &want[((size_t)(y0 + y) * 400 + x0 + x) * 3];
                for (int c = 0; c < 3; c++) {
                    const float hc = (float)((kHaloColour >> (8 * c)) & 0xFF), ic = (float)((kInk >> (8 * c)) & 0xFF);
                    d[c] = hc * halo + d[c] * (1 - halo);
                    d[c] = ic * glyph + d[c] * (1 - glyph);
                }
            }
    }
    CHECK(quads >= 8);
    CHECK(halo_only > 50);   // the halo shows around the glyphs
    int off = 0, ink = 0, ground = 0;
    for (int i = 0; i < 400 * 120; i++) {
        bool far = false;
        for (int c = 0; c < 3; c++) far = far || std::fabs(screen[(size_t)i * 4 + c] - want[(size_t)i * 3 + c]) > 2.5f;
        off += far;
        ink += pixel(screen, 400, i % 400, i / 400) == kInk;
        ground += pixel(screen, 400, i % 400, i / 400) == kGround;
    }
    CHECK(off == 0);
    CHECK(ink > 100);
    CHECK(ground > 400 * 60);
}
