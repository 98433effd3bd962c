// TileCache: the worker decodes in the background and wakes the app through the callback; stale
// requests are dropped; ready meshes stay under the byte bound, least recently used out first.
#include "map/map.h"
#include "map_test_util.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>

using namespace map;
using namespace map_test;

namespace {

// A tile with one polygon (a square covering the tile's middle) and one named place.
std::string square_tile(int size) {
    LayerSpec water;
    water.name = "water";
    water.features.push_back({3, {}, rings_geometry({{{2048 - size, 2048 - size}, {2048 + size, 2048 - size},
                                                      {2048 + size, 2048 + size}, {2048 - size, 2048 + size}}})});
    LayerSpec place;
    place.name = "place";
    place.keys = {"class", "name", "name:en"};
    place.values = {"city", "Monaco", "Monaco (en)"};
    place.features.push_back({1, {0, 0, 1, 1, 2, 2}, {move_to(), zz(1000), zz(1000)}});
    return gzip(encode_tile({water, place}));
}

std::string cache_file(const std::string& name) {
    const std::string path = temp_path(name);
    std::vector<StoredTile> tiles;
    for (int z = 0; z <= 3; z++)
        for (int x = 0; x < (1 << z); x++)
            for (int y = 0; y < (1 << z); y++) tiles.push_back({z, x, y, square_tile(200 + 100 * z)});
    write_mbtiles(path, good_metadata(0, 3), tiles);
    return path;
}

}  // namespace

TEST_CASE("cache: get() queues, the worker builds the mesh and calls wake", "[map][cache]") {
    std::string error;
    auto file = TileFile::open(cache_file("cache-wake.mbtiles"), &error);
    REQUIRE(file);
    Waker waker;
    TileCache cache(std::move(file), waker.callback());
    const TileId id{2, 1, 2};
    CHECK(cache.get(id, "en") == nullptr);   // never blocks: not ready on the first ask
    const TileMesh* mesh = nullptr;
    REQUIRE(waker.wait_for([&] { return (mesh = cache.peek(id, "en")) != nullptr; }));
    CHECK(waker.wakes >= 1);
    CHECK(mesh->id == id);
    CHECK_FALSE(mesh->vertices.empty());
    CHECK(mesh->indices.size() % 3 == 0);
    REQUIRE(mesh->labels.size() == 1);
    CHECK(mesh->labels[0].text == "Monaco (en)");
    CHECK(mesh->labels[0].lang == "en");
    for (const Vertex& v : mesh->vertices) {
        CHECK(v.x >= 0);
        CHECK(v.x <= 1);
    }
    CHECK(cache.get(id, "en") == mesh);
    // Another language is another mesh: no name:ar in the tile, so the local name.
    REQUIRE(cache.get(id, "ar") == nullptr);
    REQUIRE(waker.wait_for([&] { return cache.peek(id, "ar") != nullptr; }));
    CHECK(cache.peek(id, "ar")->labels.at(0).text == "Monaco");
    CHECK(cache.bytes() > 0);
}

TEST_CASE("cache: a tile that fails to decode is reported and not asked again", "[map][cache]") {
    const std::string path = temp_path("cache-bad.mbtiles");
    write_mbtiles(path, good_metadata(0, 1), {{0, 0, 0, square_tile(100)}, {1, 0, 0, gzip("\x1a\x80 broken")}});
    std::string error;
    auto file = TileFile::open(path, &error);
    REQUIRE(file);
    Waker waker;
    TileCache cache(std::move(file), waker.callback());
    CHECK(cache.get(TileId{1, 0, 0}, "en") == nullptr);
    REQUIRE(waker.wait_for([&] { return !cache.last_error().empty() && !cache.busy(); }));
    CHECK(cache.last_error().find("mvt") != std::string::npos);
    const int wakes = waker.wakes;
    cache.end_frame();
    CHECK(cache.get(TileId{1, 0, 0}, "en") == nullptr);
    CHECK_FALSE(cache.busy());   // not queued again
    CHECK(waker.wakes == wakes);
}

TEST_CASE("cache: requests not asked for again are dropped at end_frame", "[map][cache]") {
    std::string error;
    auto file = TileFile::open(cache_file("cache-stale.mbtiles"), &error);
    REQUIRE(file);
    Waker waker;
    TileCache cache(std::move(file), waker.callback());
    for (int x = 0; x < 8; x++)
        for (int y = 0; y < 8; y++) cache.get(TileId{3, x, y}, "en");
    cache.end_frame();   // asked this frame: kept
    cache.end_frame();   // not asked in this one: dropped
    REQUIRE(waker.wait_for([&] { return !cache.busy(); }));
    int ready = 0;
    for (int x = 0; x < 8; x++)
        for (int y = 0; y < 8; y++) ready += cache.peek(TileId{3, x, y}, "en") != nullptr;
    CHECK(ready < 64);
}

TEST_CASE("cache: ready meshes are evicted least recently used first above the byte bound", "[map][cache]") {
    std::string error;
    auto file = TileFile::open(cache_file("cache-evict.mbtiles"), &error);
    REQUIRE(file);
    Waker waker;
    // Measure one mesh with an unbounded cache first.
    size_t one = 0;
    {
        auto f2 = TileFile::open(temp_path("cache-evict.mbtiles"), &error);
        TileCache probe(std::move(f2), waker.callback());
        probe.get(TileId{3, 0, 0}, "en");
        REQUIRE(waker.wait_for([&] { return probe.peek(TileId{3, 0, 0}, "en") != nullptr; }));
        one = probe.bytes();
    }
    REQUIRE(one > 0);
    TileCache cache(std::move(file), waker.callback(), one * 5 / 2);   // room for two
    const TileId ids[] = {{3, 0, 0}, {3, 1, 0}, {3, 2, 0}, {3, 3, 0}};
    for (const TileId& id : ids) {
        cache.get(id, "en");
        REQUIRE(waker.wait_for([&] { return cache.peek(id, "en") != nullptr; }));
        cache.end_frame();
        CHECK(cache.bytes() <= one * 5 / 2);
    }
    CHECK(cache.peek(ids[0], "en") == nullptr);   // the oldest went first
    CHECK(cache.peek(ids[1], "en") == nullptr);
    CHECK(cache.peek(ids[3], "en") != nullptr);
}
