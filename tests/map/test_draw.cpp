// draw(): tiles from their own meshes once ready, their ancestors scaled while not, the max-zoom
// tiles scaled above the file's zooms, and labels placed through the text engine, stable.
#include "map/map.h"
#include "map_test_util.h"

#include "text.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <imgui_internal.h>   // ImDrawListSharedData: a draw list without an ImGui context


using namespace map;
using namespace map_test;

namespace {

struct DrawList {
    ImDrawListSharedData shared;
    ImDrawList list{&shared};
    DrawList() {
        list._ResetForNewFrame();
        list.PushClipRect(ImVec2(-10000, -10000), ImVec2(10000, 10000));
    }
};

text::Engine& engine() {
    static std::unique_ptr<text::Engine> e = [] {
        text::EngineConfig c;
        c.font_dir = SPORTELLO_FONT_DIR;
        return text::Engine::create(c);
    }();
    return *e;
}

std::string labelled_tile(const std::string& name) {
    LayerSpec water;
    water.name = "water";
    water.features.push_back({3, {}, rings_geometry({{{512, 512}, {3584, 512}, {3584, 3584}, {512, 3584}}})});
    LayerSpec place;
    place.name = "place";
    place.keys = {"class", "name"};
    place.values = {"city", name};
    place.features.push_back({1, {0, 0, 1, 1}, {move_to(), zz(2048), zz(2048)}});
    return gzip(encode_tile({water, place}));
}

// Draws a frame after every wake of the cache until each visible tile is drawn from its own mesh.
DrawStats draw_until_complete(TileCache& cache, Waker& waker, const Camera& cam) {
    DrawStats s;
    auto frame = [&] {
        DrawList d;
        s = draw(&d.list, engine(), nullptr, cache, cam, 0, 0, 800, 600, "en");
        cache.end_frame();
        return s.tiles_own == s.tiles_visible && !cache.busy();
    };
    waker.wait_for(frame);   // a frame after each wake, as the app does; at most 20 s
    return s;
}

// An uploader without GL: an image is only its address; what it was asked to upload is kept.
struct FakeImage : TileImage {
    void* texture() const override { return (void*)this; }
};
struct FakeRenderer {
    std::vector<int> sizes;   // every upload's side in pixels, in order
    size_t colours = 0;       // distinct colours in the last upload's pixels
    TileUploader fn() {
        return [this](const uint32_t* pixels, int size) -> std::unique_ptr<TileImage> {
            sizes.push_back(size);
            std::vector<uint32_t> sorted(pixels, pixels + (size_t)size * size);
            std::sort(sorted.begin(), sorted.end());
            colours = (size_t)(std::unique(sorted.begin(), sorted.end()) - sorted.begin());
            return std::make_unique<FakeImage>();
        };
    }
};

// How many quads of `colour` (all corners; 0: of any colour) cover the point: llvmpipe fills
// each. The images' draws are quads (6 indices each), plain fills and parts of images alike.
int fills_at(const ImDrawList& l, ImVec2 p, ImU32 colour) {
    auto covers = [&](const ImDrawVert& a, const ImDrawVert& b, const ImDrawVert& c) {
        auto side = [&](ImVec2 u, ImVec2 v) { return (v.x - u.x) * (p.y - u.y) - (v.y - u.y) * (p.x - u.x); };
        const float d1 = side(a.pos, b.pos), d2 = side(b.pos, c.pos), d3 = side(c.pos, a.pos);
        if (d1 == 0 && d2 == 0 && d3 == 0) return false;   // no area
        return (d1 >= 0 && d2 >= 0 && d3 >= 0) || (d1 <= 0 && d2 <= 0 && d3 <= 0);
    };
    int n = 0;
    for (int i = 0; i + 5 < l.IdxBuffer.Size; i += 6) {
        const ImDrawVert* v[6];
        bool same = true;
        for (int k = 0; k < 6; k++) {
            v[k] = &l.VtxBuffer[l.IdxBuffer[i + k]];
            same = same && (colour == 0 || v[k]->col == colour);
        }
        if (same && (covers(*v[0], *v[1], *v[2]) || covers(*v[3], *v[4], *v[5]))) n++;
    }
    return n;
}

// Frames until every tile is decoded, then while images are left to render (as the app draws
// while pending() holds). The most renders any one frame made goes to *most_renders.
DrawStats draw_images_until_done(TileCache& cache, Waker& waker, TileImages& images, const Camera& cam,
                                 int* most_renders, int* frames = nullptr) {
    DrawStats s;
    auto frame = [&] {
        DrawList d;
        s = draw(&d.list, engine(), nullptr, cache, cam, 0, 0, 800, 600, "en", nullptr, &images);
        cache.end_frame();
        *most_renders = std::max(*most_renders, s.tiles_rendered);
        if (frames) ++*frames;
        return s.tiles_own == s.tiles_visible && !cache.busy();
    };
    waker.wait_for(frame);
    for (int i = 0; i < 200 && images.pending(); i++) frame();
    return s;
}

std::unique_ptr<TileCache> labelled_cache(const std::string& name, Waker& waker) {
    const std::string path = temp_path(name);
    std::vector<StoredTile> tiles;
    for (int z = 0; z <= 3; z++)
        for (int x = 0; x < (1 << z); x++)
            for (int y = 0; y < (1 << z); y++) tiles.push_back({z, x, y, labelled_tile("T" + std::to_string(z))});
    write_mbtiles(path, good_metadata(0, 3), tiles);
    std::string error;
    return std::make_unique<TileCache>(TileFile::open(path, &error), waker.callback());
}

}  // namespace

TEST_CASE("draw: ancestors stand in for tiles not ready, then each tile draws its own", "[map][draw]") {
    REQUIRE(engine().ok());
    const std::string path = temp_path("draw.mbtiles");
    std::vector<StoredTile> tiles;
    for (int z = 0; z <= 3; z++)
        for (int x = 0; x < (1 << z); x++)
            for (int y = 0; y < (1 << z); y++)
                tiles.push_back({z, x, y, labelled_tile("T" + std::to_string(z) + "/" + std::to_string(x) + "/" + std::to_string(y))});
    write_mbtiles(path, good_metadata(0, 3), tiles);
    std::string error;
    auto file = TileFile::open(path, &error);
    REQUIRE(file);
    Waker waker;
    TileCache cache(std::move(file), waker.callback());
    Camera cam;
    cam.center = World{0.3, 0.3};
    cam.zoom = 1.2;
    DrawStats s = draw_until_complete(cache, waker, cam);
    REQUIRE(s.tiles_visible > 0);
    REQUIRE(s.tiles_own == s.tiles_visible);
    CHECK(s.labels_drawn > 0);

    // Zoom in: the z3 tiles are not decoded yet; their z1 ancestors are drawn scaled instead.
    cam.zoom = 3.0;
    DrawList d;
    s = draw(&d.list, engine(), nullptr, cache, cam, 0, 0, 800, 600, "en");
    CHECK(s.tiles_own == 0);
    CHECK(s.tiles_substituted == s.tiles_visible);
    CHECK(d.list.VtxBuffer.Size > 4);   // more than the background
    cache.end_frame();
    s = draw_until_complete(cache, waker, cam);
    CHECK(s.tiles_own == s.tiles_visible);
    CHECK(s.tiles_substituted == 0);

    // Above the file's max zoom the z3 tiles are drawn scaled.
    cam.zoom = 6.5;
    DrawList over;
    s = draw(&over.list, engine(), nullptr, cache, cam, 0, 0, 800, 600, "en");
    CHECK(s.tiles_visible >= 1);
    CHECK(s.tiles_own == s.tiles_visible);
}

TEST_CASE("draw: zooming out, the children stand in while their parent is not ready", "[map][draw]") {
    REQUIRE(engine().ok());
    const std::string path = temp_path("zoom-out.mbtiles");
    std::vector<StoredTile> tiles;
    for (int z = 2; z <= 3; z++)
        for (int x = 0; x < (1 << z); x++)
            for (int y = 0; y < (1 << z); y++) tiles.push_back({z, x, y, labelled_tile("Z" + std::to_string(z))});
    write_mbtiles(path, good_metadata(2, 3), tiles);
    std::string error;
    Waker waker;
    TileCache cache(TileFile::open(path, &error), waker.callback());
    Camera cam;
    cam.center = World{0.5, 0.5};
    cam.zoom = 3.0;
    DrawStats s = draw_until_complete(cache, waker, cam);
    REQUIRE(s.tiles_own == s.tiles_visible);
    cam.zoom = 2.0;   // no z2 tile decoded yet, no ancestor in the file
    DrawList d;       // a smaller view: the z2 tiles whose children the z3 view loaded
    s = draw(&d.list, engine(), nullptr, cache, cam, 0, 0, 400, 300, "en");
    CHECK(s.tiles_visible == 4);
    CHECK(s.tiles_own == 0);
    CHECK(s.tiles_substituted == s.tiles_visible);
    cache.end_frame();
    s = draw_until_complete(cache, waker, cam);
    CHECK(s.tiles_own == s.tiles_visible);
}

TEST_CASE("draw: labels shown last frame stay while panning", "[map][draw]") {
    REQUIRE(engine().ok());
    const std::string path = temp_path("labels.mbtiles");
    std::vector<StoredTile> tiles;
    for (int x = 0; x < 4; x++)
        for (int y = 0; y < 4; y++) tiles.push_back({2, x, y, labelled_tile("Label " + std::to_string(x) + std::to_string(y))});
    write_mbtiles(path, good_metadata(2, 2), tiles);
    std::string error;
    Waker waker;
    TileCache cache(TileFile::open(path, &error), waker.callback());
    Camera cam;
    cam.center = World{0.5, 0.5};
    cam.zoom = 2;   // 1024 px of world in an 800x600 view: labels sit 128 + 256 k px from the tiles' edges
    const DrawStats s = draw_until_complete(cache, waker, cam);
    REQUIRE(s.tiles_own == s.tiles_visible);
    REQUIRE(s.labels_drawn > 0);
    auto sorted = [](std::vector<std::string> v) {   // the set matters, not the order placed
        std::sort(v.begin(), v.end());
        return v;
    };
    const auto kept = sorted(cache.label_memory().kept);
    for (int step = 0; step < 20; step++) {
        cam.center.x += 0.5 / world_px(cam.zoom);   // half a pixel per frame
        DrawList d;
        draw(&d.list, engine(), nullptr, cache, cam, 0, 0, 800, 600, "en");
        cache.end_frame();
        INFO("step " << step << ", " << kept.size() << " labels kept before, " << cache.label_memory().kept.size() << " now");
        CHECK(sorted(cache.label_memory().kept) == kept);
    }
}

TEST_CASE("draw with images: each tile rendered once at the view's scale, a few a frame, then no more frames asked", "[map][draw][images]") {
    REQUIRE(engine().ok());
    Waker waker;
    auto cache = labelled_cache("images.mbtiles", waker);
    FakeRenderer renderer;
    TileImages::Config config;
    config.renders_per_frame = 2;
    TileImages images(renderer.fn(), config);
    Camera cam;
    cam.center = World{0.3, 0.3};
    cam.zoom = 2.0;   // data zoom 2: a tile is 256 px
    int most = 0, frames = 0;
    DrawStats s = draw_images_until_done(*cache, waker, images, cam, &most, &frames);
    REQUIRE(s.tiles_visible > 2);
    CHECK(s.tiles_own == s.tiles_visible);
    CHECK(s.tiles_vector == 0);
    CHECK(most == 2);
    CHECK(!images.pending());
    CHECK(images.count() == s.tiles_visible);
    CHECK((int)renderer.sizes.size() == s.tiles_visible);   // once each
    for (int size : renderer.sizes) CHECK(size == 256);
    CHECK(renderer.colours > 1);   // the tile's triangles, not only its background
    CHECK(images.bytes() == (size_t)s.tiles_visible * 256 * 256 * 4);

    // Still: no render, nothing pending (no frame asked for), each tile as its pieces instead of
    // triangles. The tile's water square lies on whole 16 px squares (32 to 224 px): it is one
    // plain fill, its land four more, and no part of any image is needed.
    DrawList still, vector;
    s = draw(&still.list, engine(), nullptr, *cache, cam, 0, 0, 800, 600, "en", nullptr, &images);
    CHECK(s.tiles_rendered == 0);
    CHECK(!images.pending());
    draw(&vector.list, engine(), nullptr, *cache, cam, 0, 0, 800, 600, "en");
    auto has_water = [](const ImDrawList& l) {   // the tiles' fill colour (style.cpp's water)
        for (const ImDrawVert& v : l.VtxBuffer)
            if (v.col == IM_COL32(170, 211, 223, 255)) return true;
        return false;
    };
    CHECK(has_water(vector.list));
    // The tile (1, 1) lies at (348.8, 248.8) on screen, its water from (380.8, 280.8) on.
    CHECK(fills_at(still.list, ImVec2(476, 376), IM_COL32(170, 211, 223, 255)) == 1);
    for (const ImDrawCmd& c : still.list.CmdBuffer) CHECK((c.ElemCount == 0 || c.TextureId == nullptr));
    cache->end_frame();
}

TEST_CASE("draw with images: a scale off by more than the threshold is rendered again once the zoom stays", "[map][draw][images]") {
    REQUIRE(engine().ok());
    Waker waker;
    auto cache = labelled_cache("rescale.mbtiles", waker);
    FakeRenderer renderer;
    TileImages images(renderer.fn(), TileImages::Config{});
    Camera cam;
    cam.center = World{0.5, 0.5};
    cam.zoom = 2.0;
    int most = 0;
    DrawStats s = draw_images_until_done(*cache, waker, images, cam, &most);
    REQUIRE(s.tiles_own == s.tiles_visible);
    REQUIRE(!images.pending());
    const size_t first = renderer.sizes.size();

    cam.zoom = 2.3;   // the same data zoom, tiles 315 px: 23 % off their images
    DrawList moving;
    s = draw(&moving.list, engine(), nullptr, *cache, cam, 0, 0, 800, 600, "en", nullptr, &images);
    CHECK(s.tiles_rendered == 0);      // while the zoom moves, the images are drawn scaled
    CHECK(s.tiles_own == s.tiles_visible);
    CHECK(images.pending());           // and a frame is asked for
    cache->end_frame();
    s = draw_images_until_done(*cache, waker, images, cam, &most);
    CHECK(!images.pending());
    REQUIRE(renderer.sizes.size() > first);
    for (size_t i = first; i < renderer.sizes.size(); i++) CHECK(renderer.sizes[i] == 315);
    const size_t second = renderer.sizes.size();

    cam.zoom = 2.32;   // 1.4 % off: within the threshold, nothing rendered, nothing asked
    for (int i = 0; i < 2; i++) {
        DrawList d;
        s = draw(&d.list, engine(), nullptr, *cache, cam, 0, 0, 800, 600, "en", nullptr, &images);
        cache->end_frame();
        CHECK(!images.pending());
    }
    CHECK(renderer.sizes.size() == second);
}

TEST_CASE("draw with images: the images never hold more than their byte bound, and still ask for no frame", "[map][draw][images]") {
    REQUIRE(engine().ok());
    Waker waker;
    auto cache = labelled_cache("bound.mbtiles", waker);
    FakeRenderer renderer;
    TileImages::Config config;
    config.max_bytes = 5 * 256 * 256 * 4;   // five tiles of a view that needs more
    TileImages images(renderer.fn(), config);
    Camera cam;
    cam.zoom = 3.0;
    int most = 0;
    for (double x : {0.3, 0.5, 0.7, 0.3}) {
        cam.center = World{x, 0.5};
        DrawStats s = draw_images_until_done(*cache, waker, images, cam, &most);
        CHECK(s.tiles_visible > 5);
        CHECK(s.tiles_own == s.tiles_visible);   // those without an image as triangles
        CHECK(images.bytes() <= config.max_bytes);
        CHECK(images.count() <= 5);
        CHECK(!images.pending());
    }
    CHECK(renderer.sizes.size() > 5);   // images were let go for the new views' tiles
}

TEST_CASE("draw with images: the land is never drawn, the ground under the view shows it", "[map][draw][images]") {
    REQUIRE(engine().ok());
    Waker waker;
    auto cache = labelled_cache("background.mbtiles", waker);
    FakeRenderer renderer;
    TileImages images(renderer.fn(), TileImages::Config{});
    Camera cam;
    cam.center = World{0.4, 0.4};
    cam.zoom = 2.0;   // the world is 1024 px: the 800 x 600 view lies inside it
    const ImVec2 middle(400, 300), corner(2, 2);
    auto land_vertices = [](const ImDrawList& l) {
        return std::count_if(l.VtxBuffer.begin(), l.VtxBuffer.end(), [](const ImDrawVert& v) { return v.col == kLand; });
    };
    {   // Before any tile is ready, nothing is drawn.
        DrawList d;
        DrawStats s = draw(&d.list, engine(), nullptr, *cache, cam, 0, 0, 800, 600, "en", nullptr, &images);
        cache->end_frame();
        CHECK(s.tiles_own < s.tiles_visible);
        CHECK(fills_at(d.list, middle, 0) == 0);
        CHECK(fills_at(d.list, corner, 0) == 0);
    }
    int most = 0;
    DrawStats s = draw_images_until_done(*cache, waker, images, cam, &most);
    REQUIRE(s.tiles_own == s.tiles_visible);
    DrawList covered;
    s = draw(&covered.list, engine(), nullptr, *cache, cam, 0, 0, 800, 600, "en", nullptr, &images);
    cache->end_frame();
    // The middle lies in a tile's water, drawn once; the corner in a tile's land, a piece of one
    // colour that is left to the ground.
    CHECK(fills_at(covered.list, middle, IM_COL32(170, 211, 223, 255)) == 1);
    CHECK(fills_at(covered.list, middle, 0) == 1);
    CHECK(fills_at(covered.list, corner, 0) == 0);
    CHECK(land_vertices(covered.list) == 0);

    // Past the world's edge there is no tile, and nothing is drawn.
    cam.center = World{0.1, 0.4};   // the world's left edge at x = 400 - 0.1 * 1024 = 297.6
    draw_images_until_done(*cache, waker, images, cam, &most);
    DrawList edge;
    s = draw(&edge.list, engine(), nullptr, *cache, cam, 0, 0, 800, 600, "en", nullptr, &images);
    cache->end_frame();
    CHECK(fills_at(edge.list, ImVec2(100, 300), 0) == 0);
    CHECK(fills_at(edge.list, ImVec2(500, 300), 0) == 1);   // water
    CHECK(land_vertices(edge.list) == 0);
}
