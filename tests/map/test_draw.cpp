// draw(): tiles from their own meshes once ready, their ancestors scaled while not, the max-zoom
// tiles scaled above the file's zooms, and labels placed through the text engine, stable.
#include "map/map.h"
#include "map_test_util.h"

#include "text.h"

#include <catch2/catch.hpp>
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
    const auto kept = cache.label_memory().kept;
    for (int step = 0; step < 20; step++) {
        cam.center.x += 0.5 / world_px(cam.zoom);   // half a pixel per frame
        DrawList d;
        draw(&d.list, engine(), nullptr, cache, cam, 0, 0, 800, 600, "en");
        cache.end_frame();
        INFO("step " << step << ", " << kept.size() << " labels kept before, " << cache.label_memory().kept.size() << " now");
        CHECK(cache.label_memory().kept == kept);
    }
}
