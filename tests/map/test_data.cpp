// Projection, camera, gzip bounds and the MBTiles reader (TMS row flip, metadata checks).
#include "map/map.h"
#include "map/map_internal.h"
#include "map_test_util.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace map;
using namespace map_test;

TEST_CASE("projection: world <-> lon/lat round trips and known points", "[map][projection]") {
    for (double lat : {-85.0, -43.7, 0.0, 41.9, 43.7384, 85.0})
        for (double lon : {-180.0, -12.5, 0.0, 7.4246, 12.4964, 179.9}) {
            const LonLat back = unproject(project(LonLat{lon, lat}));
            CHECK(std::fabs(back.lon - lon) < 1e-9);
            CHECK(std::fabs(back.lat - lat) < 1e-9);
        }
    const World origin = project(LonLat{0, 0});
    CHECK(origin.x == Approx(0.5));
    CHECK(origin.y == Approx(0.5));
    CHECK(project(LonLat{0, 89.9}).y == Approx(0.0).margin(1e-9));   // clamped to Mercator's square
    // Rome, two points about 1.06 km apart (0.006 deg of latitude, 0.0099 deg of longitude).
    CHECK(distance_m(LonLat{12.4823, 41.8962}, LonLat{12.4922, 41.8902}) == Approx(1055).epsilon(0.05));
    CHECK(parent(TileId{14, 8529, 5974}) == TileId{13, 4264, 2987});
    CHECK(parent(TileId{0, 0, 0}) == TileId{0, 0, 0});
}

TEST_CASE("camera: screen <-> world round trip, zoom_around keeps the point under the finger", "[map][projection]") {
    Camera c;
    c.center = project(LonLat{7.4246, 43.7384});
    c.zoom = 15.3;
    const float x0 = 100, y0 = 50, w = 1280, h = 800;
    float sx, sy;
    world_to_screen(c, x0, y0, w, h, c.center, &sx, &sy);
    CHECK(sx == Approx(x0 + w / 2));
    CHECK(sy == Approx(y0 + h / 2));
    const World p = screen_to_world(c, x0, y0, w, h, 321, 654);
    world_to_screen(c, x0, y0, w, h, p, &sx, &sy);
    CHECK(sx == Approx(321).margin(1e-3));
    CHECK(sy == Approx(654).margin(1e-3));
    for (double factor : {2.0, 0.5, 1.37, 0.9}) {
        const World before = screen_to_world(c, x0, y0, w, h, 321, 654);
        const double z = c.zoom;
        zoom_around(&c, x0, y0, w, h, 321, 654, factor);
        CHECK(c.zoom == Approx(z + std::log2(factor)));
        const World after = screen_to_world(c, x0, y0, w, h, 321, 654);
        CHECK(after.x == Approx(before.x).epsilon(1e-12));
        CHECK(after.y == Approx(before.y).epsilon(1e-12));
    }
    zoom_around(&c, x0, y0, w, h, 321, 654, 1e9);   // clamped, still finite
    CHECK(c.zoom <= 22);
    zoom_around(&c, x0, y0, w, h, 321, 654, 0);     // ignored
    CHECK(std::isfinite(c.center.x));
}

TEST_CASE("gzip: round trip, truncation and a decompression bomb refused", "[map][gzip]") {
    const std::string text(100000, 'a');
    std::string out, error;
    REQUIRE(gunzip(gzip(text), &out, 1 << 20, &error));
    CHECK(out == text);
    const std::string z = gzip(text);
    CHECK_FALSE(gunzip(std::string_view(z).substr(0, z.size() / 2), &out, 1 << 20, &error));
    CHECK(error.find("truncated") != std::string::npos);
    CHECK(out.empty());
    // 64 MiB of zeros compress to about 64 KiB; the bound stops inflating at 1 MiB.
    const std::string bomb = gzip(std::string(64u << 20, '\0'));
    CHECK(bomb.size() < (1u << 17));
    CHECK_FALSE(gunzip(bomb, &out, 1 << 20, &error));
    CHECK(error.find("beyond") != std::string::npos);
    CHECK(out.empty());
    CHECK_FALSE(gunzip("not gzip at all", &out, 1 << 20, &error));
}

TEST_CASE("mbtiles: XYZ ids read the TMS rows, gzipped or not, a missing tile is empty", "[map][mbtiles]") {
    const std::string path = temp_path("tms.mbtiles");
    write_mbtiles(path, good_metadata(0, 3),
                  {{2, 1, 0, gzip("north row")}, {2, 1, 3, "south row, stored plain"}, {3, 7, 7, "corner"}});
    std::string error, bytes;
    auto f = TileFile::open(path, &error);
    REQUIRE(f);
    CHECK(f->info().min_zoom == 0);
    CHECK(f->info().max_zoom == 3);
    CHECK(f->info().west == -180);
    REQUIRE(f->read(TileId{2, 1, 0}, &bytes, &error));
    CHECK(bytes == "north row");
    REQUIRE(f->read(TileId{2, 1, 3}, &bytes, &error));
    CHECK(bytes == "south row, stored plain");
    REQUIRE(f->read(TileId{3, 7, 7}, &bytes, &error));
    CHECK(bytes == "corner");
    REQUIRE(f->read(TileId{2, 0, 0}, &bytes, &error));
    CHECK(bytes.empty());
    CHECK_FALSE(f->read(TileId{2, 4, 0}, &bytes, &error));   // outside the zoom's grid
    CHECK_FALSE(f->read(TileId{-1, 0, 0}, &bytes, &error));
}

TEST_CASE("mbtiles: bad files and bad metadata are refused at open with a reason", "[map][mbtiles]") {
    const std::string path = temp_path("bad.mbtiles");
    std::string error;
    auto with = [&](std::vector<std::pair<std::string, std::string>> meta) {
        write_mbtiles(path, meta, {});
        error.clear();
        return TileFile::open(path, &error) != nullptr;
    };
    auto meta = good_metadata();
    CHECK(with(meta));
    meta[1].second = "png";
    CHECK_FALSE(with(meta));
    CHECK(error.find("not pbf") != std::string::npos);
    meta = good_metadata();
    meta.erase(meta.begin() + 3);   // maxzoom
    CHECK_FALSE(with(meta));
    CHECK(error.find("maxzoom") != std::string::npos);
    meta = good_metadata(5, 2);
    CHECK_FALSE(with(meta));
    meta = good_metadata(0, 99);
    CHECK_FALSE(with(meta));
    meta = good_metadata();
    meta[4].second = "1,2,three,4";
    CHECK_FALSE(with(meta));
    CHECK(error.find("bounds") != std::string::npos);
    {
        std::ofstream(path, std::ios::binary | std::ios::trunc) << "this is not an SQLite database, it is text";
    }
    CHECK_FALSE(TileFile::open(path, &error));
    CHECK_FALSE(error.empty());
    CHECK_FALSE(TileFile::open(temp_path("does-not-exist.mbtiles"), &error));
}

TEST_CASE("mbtiles: a corrupt gzipped tile is an error, not a crash", "[map][mbtiles]") {
    const std::string path = temp_path("corrupt.mbtiles");
    std::string z = gzip(std::string(5000, 'x'));
    z.resize(z.size() / 2);
    write_mbtiles(path, good_metadata(), {{1, 0, 0, z}});
    std::string error, bytes;
    auto f = TileFile::open(path, &error);
    REQUIRE(f);
    CHECK_FALSE(f->read(TileId{1, 0, 0}, &bytes, &error));
    CHECK(error.find("1/0/0") != std::string::npos);
}
