// Tile images on a real GL context (the offscreen driver: EGL on Mesa llvmpipe): a tile's mesh
// rendered into pixels and uploaded by platform::ImageTexture shows the mesh's colours at known
// pixels, the right way up, in the texture and on screen once draw() has put the image there.
#include "map/map.h"
#include "map/map_images.h"
#include "map_test_util.h"
#include "platform.h"
#include "text.h"

#include <catch2/catch.hpp>

#include <imgui.h>

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

std::unique_ptr<platform::Window> headless_window(int width, int height) {
    platform::WindowConfig wc;
    wc.width = width;
    wc.height = height;
    wc.headless = true;
    return platform::Window::open(wc);
}

}  // namespace

TEST_CASE("tile images on GL: a tile rendered into a texture shows its mesh's colours the right way up", "[map][gl]") {
    text::EngineConfig ec;
    ec.font_dir = SPORTELLO_FONT_DIR;
    std::unique_ptr<text::Engine> engine = text::Engine::create(ec);
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
    window->begin_frame(1.0f / 60);
    DrawStats s = draw(ImGui::GetBackgroundDrawList(), *engine, nullptr, cache, cam, 0, 0, 400, 300, "en",
                       platform::opaque_fills, &images);
    window->end_frame();
    CHECK(s.tiles_rendered == 1);
    CHECK(s.tiles_vector == 0);
    REQUIRE(rendered);
    REQUIRE(rendered->width() == 256);

    const uint32_t kWater = IM_COL32(170, 211, 223, 255), kLand = IM_COL32(242, 239, 233, 255);
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
