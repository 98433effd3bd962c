// build_mesh: fills cover their polygons, roads are strips of their style's width (the joins
// included), unknown layers and classes are skipped, labels take name:<lang>, else name.
#include "map/map.h"
#include "map/map_internal.h"
#include "map_test_util.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace map;
using namespace map_test;

namespace {

double area(const TileMesh& m) {
    double a = 0;
    for (size_t k = 0; k + 2 < m.indices.size(); k += 3) {
        const Vertex &p = m.vertices[m.indices[k]], &q = m.vertices[m.indices[k + 1]], &r = m.vertices[m.indices[k + 2]];
        a += std::fabs(((double)q.x - p.x) * ((double)r.y - p.y) - ((double)q.y - p.y) * ((double)r.x - p.x)) / 2;
    }
    return a;
}

DecodedTile decoded(const std::vector<LayerSpec>& layers) {
    DecodedTile t;
    std::string error;
    REQUIRE(decode_mvt(encode_tile(layers), &t, &error));
    return t;
}

void check_ranges(const TileMesh& m) {
    uint32_t next = 0;
    for (const TileMesh::Range& r : m.ranges) {
        CHECK(r.first_index == next);
        CHECK(r.vertex_count < 65536);
        for (uint32_t k = r.first_index; k < r.first_index + r.index_count; k++) {
            REQUIRE(m.indices[k] >= r.first_vertex);
            REQUIRE(m.indices[k] < r.first_vertex + r.vertex_count);
        }
        next += r.index_count;
    }
    CHECK(next == m.indices.size());
}

}  // namespace

TEST_CASE("mesh: a polygon with a hole is filled exactly, in tile-local units", "[map][mesh]") {
    LayerSpec water;
    water.name = "water";
    water.features.push_back({3, {}, rings_geometry({{{0, 0}, {2048, 0}, {2048, 2048}, {0, 2048}},
                                                     {{512, 512}, {512, 1536}, {1536, 1536}, {1536, 512}}})});
    const TileMesh m = build_mesh(TileId{14, 0, 0}, decoded({water}), "en");
    check_ranges(m);
    CHECK(area(m) == Approx(0.25 - 0.0625));
    for (const Vertex& v : m.vertices) CHECK(v.rgba == m.vertices[0].rgba);
}

TEST_CASE("mesh: a road is a strip of its width, a right-angle joint included", "[map][mesh]") {
    LayerSpec roads;
    roads.name = "transportation";
    roads.keys = {"class"};
    roads.values = {"path"};   // one rule only (no casing): 1.5 px at zoom 14
    // 1024 units east, then 1024 south: an L of two quarter-tiles.
    roads.features.push_back({2, {0, 0}, {move_to(), zz(1024), zz(1024), line_to(2), zz(1024), zz(0), zz(0), zz(1024)}});
    const TileMesh m = build_mesh(TileId{14, 0, 0}, decoded({roads}), "en");
    check_ranges(m);
    const double w = 1.5 / 256.0;
    CHECK(area(m) == Approx(0.5 * w).epsilon(1e-4));   // a miter joint adds exactly what its inside loses
    CHECK(m.vertices.size() == 6);                     // two per point
}

TEST_CASE("mesh: a hairpin gets a bevel, and the strip stays on its line", "[map][mesh]") {
    LayerSpec roads;
    roads.name = "transportation";
    roads.keys = {"class"};
    roads.values = {"path"};
    roads.features.push_back({2, {0, 0}, {move_to(), zz(1000), zz(1000), line_to(2), zz(1000), zz(0), zz(-1000), zz(10)}});
    const TileMesh m = build_mesh(TileId{14, 0, 0}, decoded({roads}), "en");
    check_ranges(m);
    CHECK(m.vertices.size() == 9);   // square ends at the hairpin plus its centre
    const double w = 1.5 / 256.0;
    for (const Vertex& v : m.vertices) {   // nothing shoots out past the half-width
        CHECK(v.x >= 1000.0 / 4096 - w);
        CHECK(v.x <= 2000.0 / 4096 + w);
    }
}

TEST_CASE("mesh: unknown layers and classes are skipped, labels prefer name:<lang>", "[map][mesh]") {
    LayerSpec odd;
    odd.name = "aeroway";
    odd.features.push_back({3, {}, rings_geometry({{{0, 0}, {100, 0}, {100, 100}}})});
    LayerSpec roads;
    roads.name = "transportation";
    roads.keys = {"class"};
    roads.values = {"hyperloop"};
    roads.features.push_back({2, {0, 0}, {move_to(), zz(0), zz(0), line_to(1), zz(100), zz(100)}});
    LayerSpec place;
    place.name = "place";
    place.keys = {"class", "name", "name:ar"};
    place.values = {"town", "Monaco", "موناكو"};
    place.features.push_back({1, {0, 0, 1, 1, 2, 2}, {move_to(), zz(100), zz(200)}});
    place.features.push_back({1, {0, 0, 1, 1}, {move_to(), zz(5000), zz(200)}});   // in the buffer: the neighbour's
    const DecodedTile t = decoded({odd, roads, place});
    const TileMesh ar = build_mesh(TileId{14, 0, 0}, t, "ar");
    CHECK(ar.vertices.empty());
    REQUIRE(ar.labels.size() == 1);
    CHECK(ar.labels[0].text == "موناكو");
    CHECK(ar.labels[0].lang == "ar");
    CHECK(ar.labels[0].x == Approx(100.0 / 4096));
    CHECK(ar.labels[0].priority > 0);
    const TileMesh en = build_mesh(TileId{14, 0, 0}, t, "en");
    REQUIRE(en.labels.size() == 1);
    CHECK(en.labels[0].text == "Monaco");
}
