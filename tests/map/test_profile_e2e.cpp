// kiosk/map on the kiosk's own tiles: sportello-admin map (osmium, osmcoastline, tilemaker with
// assets/map's profile) makes Monaco's tiles, sea included; every tile decodes, every simple
// polygon is covered exactly by its triangles, every layer in the file has a style, and meshes
// and labels come out of the tiles that have roads and places.
#include "harness.h"
#include "map/map.h"
#include "map/map_internal.h"
#include "map_test_util.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <set>

using namespace map;

TEST_CASE("the kiosk's own Monaco tiles decode, triangulate and style", "[e2e][map]") {
    const std::string dir = harness::temp_dir("map-profile"), out = dir + "/monaco.mbtiles";
    const int rc = harness::admin(dir, {"map", "--osm", std::string(SPORTELLO_SOURCE_DIR) + "/tests/data/osm/monaco-latest.osm.pbf",
                                        "--out", out});
    INFO(harness::read_file(dir + "/admin.log"));
    REQUIRE(WIFEXITED(rc));
    REQUIRE(WEXITSTATUS(rc) == 0);
    std::string error;
    auto file = TileFile::open(out, &error);
    REQUIRE(file);
    std::set<std::string> layers, unstyled;
    size_t polygons = 0, covered = 0, vertices = 0, labels = 0;
    std::vector<const StyleRule*> rules;
    for (const auto& [id, bytes] : map_test::all_tiles(out)) {
        DecodedTile t;
        INFO("tile " << id.z << "/" << id.x << "/" << id.y);
        REQUIRE(decode_mvt(bytes, &t, &error));
        for (const Layer& L : t.layers) {
            layers.insert(L.name);
            bool styled = match_label(L.name, "") != nullptr;
            for (const Feature& f : L.features) {
                const std::string* cls = f.tag("class");
                for (int z = 12; z <= 18 && !styled; z++) {
                    match_styles(L.name, cls ? *cls : "", f.type, z, &rules);
                    styled = !rules.empty() || (cls && match_label(L.name, *cls));
                }
                if (f.type != GeomType::Polygon) continue;
                for (const auto& part : f.parts) {
                    double a = 0;
                    for (size_t k = 0; k < part.size(); k++) {
                        const Point &p = part[k], &q = part[(k + 1) % part.size()];
                        a += (double)p.x * q.y - (double)q.x * p.y;
                    }
                    if (a <= 0) continue;   // holes are checked with their exterior in test_triangulate
                    std::vector<Vec2> ring, pts;
                    for (const Point& p : part) ring.push_back(Vec2{(float)p.x, (float)p.y});
                    std::vector<uint32_t> tris;
                    polygons++;
                    if (!triangulate({ring}, &pts, &tris)) continue;
                    double sum = 0;
                    for (size_t k = 0; k + 2 < tris.size(); k += 3) {
                        const Vec2 &p = pts[tris[k]], &q = pts[tris[k + 1]], &r = pts[tris[k + 2]];
                        sum += (((double)q.x - p.x) * ((double)r.y - p.y) - ((double)q.y - p.y) * ((double)r.x - p.x)) / 2;
                    }
                    covered += std::fabs(sum - a / 2) <= 1e-9 * std::fabs(a);
                }
            }
            if (!styled) unstyled.insert(L.name);
        }
        const TileMesh m = build_mesh(id, t, "en");
        vertices += m.vertices.size();
        labels += m.labels.size();
    }
    WARN(polygons << " exterior rings, " << covered << " covered exactly; " << vertices << " vertices, " << labels << " labels");
    CHECK(layers.count("water") == 1);
    CHECK(layers.count("transportation") == 1);
    CHECK(unstyled.empty());
    CHECK(polygons > 500);
    CHECK(covered * 100 >= polygons * 99);   // rings crossing themselves (grid rounding) aside
    CHECK(vertices > 10000);
    CHECK(labels > 10);
}
