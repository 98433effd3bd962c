// Triangulation covers each polygon exactly: the triangles all turn one way and their areas sum to
// the exterior's area minus the holes'. On hand-made shapes and on every polygon of the Monaco tiles.
#include "map/map.h"
#include "map_test_util.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

using namespace map;
using namespace map_test;

namespace {

double shoelace(const std::vector<Vec2>& r) {
    double a = 0;
    for (size_t k = 0; k < r.size(); k++) {
        const Vec2 &p = r[k], &q = r[(k + 1) % r.size()];
        a += (double)p.x * q.y - (double)q.x * p.y;
    }
    return a / 2;
}

struct Coverage {
    bool ok = false;
    double polygon = 0, triangles = 0;
    size_t negative = 0;   // triangles turning the other way (overlap or inside-out)
};

Coverage cover(const std::vector<std::vector<Vec2>>& rings) {
    Coverage c;
    std::vector<Vec2> pts;
    std::vector<uint32_t> tris;
    c.ok = triangulate(rings, &pts, &tris);
    for (size_t r = 0; r < rings.size(); r++) c.polygon += (r == 0 ? 1 : -1) * std::fabs(shoelace(rings[r]));
    for (size_t k = 0; k + 2 < tris.size(); k += 3) {
        const Vec2 &a = pts[tris[k]], &b = pts[tris[k + 1]], &d = pts[tris[k + 2]];
        const double s = ((double)b.x - a.x) * ((double)d.y - a.y) - ((double)b.y - a.y) * ((double)d.x - a.x);
        if (s < 0) c.negative++;
        c.triangles += s / 2;
    }
    return c;
}

// No two edges of the rings cross or overlap (sharing an end point, or touching at a vertex, is
// allowed: the spec's rings may touch).
bool simple(const std::vector<std::vector<Vec2>>& rings) {
    struct Seg { Vec2 a, b; };
    std::vector<Seg> segs;
    for (const auto& r : rings)
        for (size_t k = 0; k < r.size(); k++) segs.push_back({r[k], r[(k + 1) % r.size()]});
    auto orient = [](Vec2 a, Vec2 b, Vec2 c) {
        const double v = ((double)b.x - a.x) * ((double)c.y - a.y) - ((double)b.y - a.y) * ((double)c.x - a.x);
        return (v > 0) - (v < 0);
    };
    auto on = [](Vec2 a, Vec2 b, Vec2 p) {   // p strictly inside segment ab, collinear
        return std::min(a.x, b.x) <= p.x && p.x <= std::max(a.x, b.x) && std::min(a.y, b.y) <= p.y &&
               p.y <= std::max(a.y, b.y) && !(p.x == a.x && p.y == a.y) && !(p.x == b.x && p.y == b.y);
    };
    for (size_t i = 0; i < segs.size(); i++)
        for (size_t j = i + 1; j < segs.size(); j++) {
            const Seg &s = segs[i], &t = segs[j];
            const int o1 = orient(s.a, s.b, t.a), o2 = orient(s.a, s.b, t.b);
            const int o3 = orient(t.a, t.b, s.a), o4 = orient(t.a, t.b, s.b);
            if (o1 * o2 < 0 && o3 * o4 < 0) return false;   // proper crossing
            if (o1 == 0 && o2 == 0 && (on(s.a, s.b, t.a) || on(s.a, s.b, t.b) || on(t.a, t.b, s.a))) return false;
        }
    return true;
}

std::vector<Vec2> ring(std::initializer_list<std::pair<float, float>> p) {
    std::vector<Vec2> r;
    for (auto [x, y] : p) r.push_back(Vec2{x, y});
    return r;
}

}  // namespace

TEST_CASE("triangulate: convex, concave, holes, either winding", "[map][triangulate]") {
    const auto square = ring({{0, 0}, {100, 0}, {100, 100}, {0, 100}});
    const auto hole = ring({{25, 25}, {75, 25}, {75, 75}, {25, 75}});
    const auto hole2 = ring({{80, 10}, {90, 10}, {90, 90}, {80, 90}});
    const auto comb = ring({{0, 0}, {50, 0}, {50, 40}, {40, 40}, {40, 10}, {30, 10}, {30, 40}, {20, 40},
                            {20, 10}, {10, 10}, {10, 40}, {0, 40}});
    for (const auto& rings : std::vector<std::vector<std::vector<Vec2>>>{
             {square}, {comb}, {square, hole}, {square, hole, hole2},
             {{square.rbegin(), square.rend()}, hole},   // exterior clockwise, hole counter-clockwise
         }) {
        const Coverage c = cover(rings);
        CHECK(c.ok);
        CHECK(c.negative == 0);
        CHECK(c.triangles == Approx(c.polygon));
    }
    CHECK(cover({square, hole}).triangles == Approx(10000 - 2500));
}

TEST_CASE("triangulate: a ring passing twice through a point (a pinched-off hole) is cut into loops", "[map][triangulate]") {
    // From tilemaker's zoom-10 tile of Monaco: the triangle (532,1524) (531,1525) (532,1525) is a
    // hole written as part of the exterior ring, touching it at two points.
    const auto pinched = ring({{533, 1525}, {532, 1526}, {531, 1525}, {531, 1524}, {532, 1524}, {531, 1525},
                               {532, 1525}, {532, 1524}});
    const Coverage c = cover({pinched});
    CHECK(c.ok);
    CHECK(c.negative == 0);
    CHECK(std::fabs(c.polygon) == 2.0);
    CHECK(c.triangles == 2.0);
    // A figure eight: two loops of the same turn, both filled.
    const Coverage eight = cover({ring({{0, 0}, {10, 0}, {10, 10}, {20, 10}, {20, 20}, {10, 20}, {10, 10}, {0, 10}})});
    CHECK(eight.ok);
    CHECK(eight.triangles == 200.0);
}

TEST_CASE("triangulate: a huge ring ends within the work bound", "[map][triangulate]") {
    // A comb of 60,000 teeth: ear clipping is quadratic in it; the work bound stops it, keeping what
    // it cut, instead of holding the worker for minutes.
    std::vector<Vec2> comb;
    const int teeth = 60000;
    for (int k = 0; k < teeth; k++) {
        comb.push_back(Vec2{(float)(2 * k), 0});
        comb.push_back(Vec2{(float)(2 * k + 1), 1000});
    }
    comb.push_back(Vec2{(float)(2 * teeth), -10});
    comb.push_back(Vec2{0, -10});
    std::vector<Vec2> pts;
    std::vector<uint32_t> tris;
    triangulate({comb}, &pts, &tris);   // ok or cut short: either way it returns
    CHECK(pts.size() == comb.size());
    for (uint32_t t : tris) REQUIRE(t < pts.size());
}

TEST_CASE("triangulate: degenerate input is refused or covers nothing", "[map][triangulate]") {
    CHECK_FALSE(cover({ring({{0, 0}, {10, 0}})}).ok);
    CHECK_FALSE(cover({ring({{0, 0}, {10, 0}, {20, 0}})}).ok);   // collinear: no area
    CHECK_FALSE(cover({}).ok);
    // Repeated points and a closing point equal to the first are fine.
    const Coverage c = cover({ring({{0, 0}, {0, 0}, {10, 0}, {10, 10}, {10, 10}, {0, 10}, {0, 0}})});
    CHECK(c.ok);
    CHECK(c.triangles == Approx(100));
}

TEST_CASE("triangulate: every polygon of the Monaco tiles is covered exactly", "[map][triangulate][tilemaker]") {
    const std::string path = monaco_mbtiles();
    if (path.empty()) {
        WARN("skipped: /usr/bin/tilemaker is not installed (Debian package tilemaker)");
        return;
    }
    size_t polygons = 0, with_holes = 0, self_crossing = 0;
    for (const auto& [id, bytes] : all_tiles(path)) {
        DecodedTile t;
        std::string error;
        REQUIRE(decode_mvt(bytes, &t, &error));
        for (const Layer& L : t.layers)
            for (const Feature& f : L.features) {
                if (f.type != GeomType::Polygon) continue;
                // Group rings as the spec says: a positive ring starts a polygon, negative ones are its holes.
                std::vector<std::vector<std::vector<Vec2>>> groups;
                for (const auto& part : f.parts) {
                    std::vector<Vec2> r;
                    for (const Point& p : part) r.push_back(Vec2{(float)p.x, (float)p.y});
                    const double a = shoelace(r);
                    if (a > 0) groups.emplace_back();
                    if (a == 0 || groups.empty()) continue;
                    groups.back().push_back(std::move(r));
                }
                for (const auto& rings : groups) {
                    polygons++;
                    with_holes += rings.size() > 1;
                    const Coverage c = cover(rings);
                    if (!simple(rings)) {
                        // Rounding to the tile grid at low zooms can make a ring cross itself; the
                        // shoelace area is then no coverage to compare with. Cut without a crash is all.
                        self_crossing++;
                        continue;
                    }
                    INFO("tile " << id.z << "/" << id.x << "/" << id.y << " layer " << L.name << ", "
                         << rings.size() << " rings, " << rings[0].size() << " points");
                    CHECK(c.ok);
                    CHECK(c.negative == 0);
                    CHECK(c.triangles == Approx(c.polygon).epsilon(1e-9));
                }
            }
    }
    CHECK(polygons > 500);
    CHECK(self_crossing * 50 < polygons);
    WARN(polygons << " polygons, " << with_holes << " with holes, " << self_crossing << " crossing themselves");
}
