// The MVT decoder: hand-built tiles with known geometry, every malformed case refused, every
// truncation of a valid tile survived, and tilemaker's real output decoded.
#include "map/map.h"
#include "map_test_util.h"

#include <catch2/catch.hpp>

#include <set>

using namespace map;
using namespace map_test;

namespace {

LayerSpec sample_layer() {
    LayerSpec L;
    L.name = "transportation";
    L.keys = {"class", "name", "name:en"};
    L.values = {"primary", "Boulevard du Larvotto", "Larvotto Boulevard"};
    // A line: MoveTo(10,20) LineTo(+5,+0)(+0,+7)
    L.features.push_back({2, {0, 0, 1, 1, 2, 2}, {move_to(), zz(10), zz(20), line_to(2), zz(5), zz(0), zz(0), zz(7)}});
    // Two points in one feature.
    L.features.push_back({1, {0, 0}, {move_to(2), zz(1), zz(2), zz(3), zz(4)}});
    // A square with a square hole, then a second square (multipolygon).
    L.features.push_back({3, {}, rings_geometry({{{0, 0}, {100, 0}, {100, 100}, {0, 100}},
                                                 {{25, 25}, {25, 75}, {75, 75}, {75, 25}},
                                                 {{200, 200}, {300, 200}, {300, 300}, {200, 300}}})});
    return L;
}

bool decodes(const std::string& bytes, std::string* error) {
    DecodedTile t;
    return decode_mvt(bytes, &t, error);
}

// One layer holding one feature with this geometry (and type).
std::string one_feature(int type, std::vector<uint32_t> geometry, uint32_t extent = 4096) {
    LayerSpec L;
    L.name = "x";
    L.extent = extent;
    L.features.push_back({type, {}, std::move(geometry)});
    return encode_tile({L});
}

}  // namespace

TEST_CASE("mvt: a hand-built tile decodes to its known geometry and tags", "[map][mvt]") {
    DecodedTile t;
    std::string error;
    REQUIRE(decode_mvt(encode_tile({sample_layer()}), &t, &error));
    REQUIRE(t.layers.size() == 1);
    const Layer& L = t.layers[0];
    CHECK(L.name == "transportation");
    CHECK(L.extent == 4096);
    REQUIRE(L.features.size() == 3);
    const Feature& line = L.features[0];
    CHECK(line.type == GeomType::Line);
    REQUIRE(line.parts.size() == 1);
    REQUIRE(line.parts[0].size() == 3);
    CHECK(line.parts[0][0].x == 10);
    CHECK(line.parts[0][0].y == 20);
    CHECK(line.parts[0][1].x == 15);
    CHECK(line.parts[0][2].y == 27);
    REQUIRE(line.tag("name"));
    CHECK(*line.tag("name") == "Boulevard du Larvotto");
    CHECK(*line.tag("name:en") == "Larvotto Boulevard");
    CHECK(line.tag("name:ar") == nullptr);
    const Feature& points = L.features[1];
    CHECK(points.type == GeomType::Point);
    REQUIRE(points.parts.size() == 1);
    REQUIRE(points.parts[0].size() == 2);
    CHECK(points.parts[0][1].x == 4);   // deltas: (1,2) then (+3,+4)
    CHECK(points.parts[0][1].y == 6);
    const Feature& poly = L.features[2];
    CHECK(poly.type == GeomType::Polygon);
    REQUIRE(poly.parts.size() == 3);
    CHECK(poly.parts[1][1].y == 75);
    CHECK(poly.parts[2][2].x == 300);
}

TEST_CASE("mvt: non-string values are rendered as strings", "[map][mvt]") {
    std::string out;
    {
        protozero::pbf_writer tile(out);
        protozero::pbf_writer layer(tile, 3);
        layer.add_uint32(15, 2);
        layer.add_string(1, "poi");
        {
            protozero::pbf_writer f(layer, 2);
            const uint32_t tags[] = {0, 0, 1, 1, 2, 2};
            f.add_packed_uint32(2, std::begin(tags), std::end(tags));
            f.add_enum(3, 1);
            const uint32_t g[] = {move_to(), zz(1), zz(1)};
            f.add_packed_uint32(4, std::begin(g), std::end(g));
        }
        layer.add_string(3, "rank");
        layer.add_string(3, "level");
        layer.add_string(3, "open");
        { protozero::pbf_writer v(layer, 4); v.add_int64(4, -3); }
        { protozero::pbf_writer v(layer, 4); v.add_double(3, 2.5); }
        { protozero::pbf_writer v(layer, 4); v.add_bool(7, true); }
    }
    DecodedTile t;
    std::string error;
    REQUIRE(decode_mvt(out, &t, &error));
    const Feature& f = t.layers.at(0).features.at(0);
    CHECK(*f.tag("rank") == "-3");
    CHECK(*f.tag("level") == "2.5");
    CHECK(*f.tag("open") == "true");
}

TEST_CASE("mvt: malformed tiles are refused with a reason, never a crash", "[map][mvt]") {
    std::string error;
    SECTION("truncated varint") {
        CHECK_FALSE(decodes(std::string("\x1a\x80", 2), &error));
        CHECK_FALSE(decodes(one_feature(2, {move_to(), zz(1), 0xffffffffu}).substr(0, 20), &error));
        std::string last_byte_cut = encode_tile({sample_layer()});
        CHECK_FALSE(decodes(last_byte_cut.substr(0, last_byte_cut.size() - 1), &error));
    }
    SECTION("command count past the end") {
        CHECK_FALSE(decodes(one_feature(2, {move_to(), zz(1), zz(1), line_to(5), zz(1), zz(1)}), &error));
        CHECK(error.find("past the end") != std::string::npos);
        CHECK_FALSE(decodes(one_feature(1, {move_to(536870911), zz(1), zz(1)}), &error));
        CHECK(error.find("past the end") != std::string::npos);
        CHECK_FALSE(decodes(one_feature(2, {move_to(), zz(1)}), &error));
    }
    SECTION("a ring of two points") {
        CHECK_FALSE(decodes(one_feature(3, {move_to(), zz(0), zz(0), line_to(1), zz(10), zz(0), close_path()}), &error));
        CHECK(error.find("ring") != std::string::npos);
    }
    SECTION("a ring never closed, and commands out of place") {
        CHECK_FALSE(decodes(one_feature(3, {move_to(), zz(0), zz(0), line_to(2), zz(10), zz(0), zz(0), zz(10)}), &error));
        CHECK_FALSE(decodes(one_feature(2, {line_to(1), zz(1), zz(1)}), &error));
        CHECK_FALSE(decodes(one_feature(2, {move_to(), zz(1), zz(1), close_path()}), &error));
        CHECK_FALSE(decodes(one_feature(2, {cmd(5, 1), zz(1), zz(1)}), &error));
        CHECK_FALSE(decodes(one_feature(1, {move_to(0)}), &error));
    }
    SECTION("a huge or zero extent") {
        CHECK_FALSE(decodes(one_feature(1, {move_to(), zz(1), zz(1)}, 1u << 30), &error));
        CHECK(error.find("extent") != std::string::npos);
        CHECK_FALSE(decodes(one_feature(1, {move_to(), zz(1), zz(1)}, 0), &error));
    }
    SECTION("coordinates run away") {
        std::vector<uint32_t> g = {move_to(), zz(0), zz(0), line_to(1000)};
        for (int k = 0; k < 1000; k++) g.push_back(zz(2000000000)), g.push_back(zz(0));
        CHECK_FALSE(decodes(one_feature(2, g), &error));
        CHECK(error.find("out of range") != std::string::npos);
    }
    SECTION("tags out of range or odd") {
        LayerSpec L = sample_layer();
        L.features[0].tags = {0, 7};
        CHECK_FALSE(decodes(encode_tile({L}), &error));
        L.features[0].tags = {0, 0, 1};
        CHECK_FALSE(decodes(encode_tile({L}), &error));
    }
    SECTION("an unknown version, a wrong wire type") {
        LayerSpec L = sample_layer();
        L.version = 9;
        CHECK_FALSE(decodes(encode_tile({L}), &error));
        std::string bad;
        {
            protozero::pbf_writer tile(bad);
            protozero::pbf_writer layer(tile, 3);
            layer.add_string(1, "x");
            layer.add_string(5, "extent as a string");
        }
        CHECK_FALSE(decodes(bad, &error));
        CHECK(error.find("wire type") != std::string::npos);
    }
    SECTION("a value repeated by index cannot expand the tile without bound") {
        LayerSpec L;
        L.name = "x";
        L.keys = {"k"};
        L.values = {std::string(1 << 20, 'v')};
        FeatureSpec f{1, {}, {move_to(), zz(1), zz(1)}};
        for (int k = 0; k < 40; k++) f.tags.push_back(0), f.tags.push_back(0);
        L.features.push_back(f);
        CHECK_FALSE(decodes(encode_tile({L}), &error));
        CHECK(error.find("bound") != std::string::npos);
    }
}

TEST_CASE("mvt: every prefix and single-byte change of a valid tile is survived", "[map][mvt]") {
    const std::string good = encode_tile({sample_layer()});
    std::string error;
    int refused = 0;
    for (size_t n = 0; n < good.size(); n++) refused += !decodes(good.substr(0, n), &error);
    CHECK(refused > 0);
    for (size_t i = 0; i < good.size(); i++)
        for (int bit = 0; bit < 8; bit++) {
            std::string mutated = good;
            mutated[i] = (char)(mutated[i] ^ (1 << bit));
            DecodedTile t;
            if (decode_mvt(mutated, &t, &error))
                for (const Layer& L : t.layers) CHECK((L.extent > 0 && L.extent <= 65536));
        }
}

TEST_CASE("mvt: tilemaker's tiles of Monaco decode, with the profile's layers", "[map][mvt][tilemaker]") {
    const std::string path = monaco_mbtiles();
    if (path.empty()) {
        WARN("skipped: /usr/bin/tilemaker is not installed (Debian package tilemaker)");
        return;
    }
    auto tiles = all_tiles(path);
    REQUIRE(tiles.size() >= 10);
    std::set<std::string> layers;
    size_t features = 0, named_places = 0;
    for (const auto& [id, bytes] : tiles) {
        DecodedTile t;
        std::string error;
        INFO("tile " << id.z << "/" << id.x << "/" << id.y);
        REQUIRE(decode_mvt(bytes, &t, &error));
        for (const Layer& L : t.layers) {
            layers.insert(L.name);
            CHECK(L.extent == 4096);
            features += L.features.size();
            for (const Feature& f : L.features)
                if (L.name == "place" && f.tag("name")) named_places++;
        }
    }
    CHECK(layers.count("transportation") == 1);
    CHECK(layers.count("building") == 1);
    CHECK(layers.count("place") == 1);
    CHECK(features > 1000);
    CHECK(named_places > 0);
}
