// Writes the fuzz targets' seed corpora (tests/map/corpus-mvt, tests/map/corpus-mbtiles): hand-
// built tiles (each geometry kind, a hole, tags of every value type, malformed cases) and a few
// of tilemaker's Monaco tiles; small MBTiles files. Run by hand when the corpus should change:
//   build/tests/map/map-make-corpus tests/map
#include "map_test_util.h"

#include <cstdio>

using namespace map_test;

namespace {

void put(const std::filesystem::path& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

std::string small_db(const std::string& name, const std::vector<std::pair<std::string, std::string>>& meta,
                     const std::vector<StoredTile>& tiles) {
    const std::string path = temp_path(name);
    write_mbtiles(path, meta, tiles);
    sqlite3* db = nullptr;   // small pages: a smaller seed mutates faster
    sqlite3_open(path.c_str(), &db);
    exec(db, "PRAGMA page_size = 512; VACUUM;");
    sqlite3_close(db);
    std::ifstream f(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: map-make-corpus <tests/map>\n");
        return 2;
    }
    const std::filesystem::path out = argv[1];
    const auto mvt = out / "corpus-mvt", mbt = out / "corpus-mbtiles";
    std::filesystem::create_directories(mvt);
    std::filesystem::create_directories(mbt);
    const std::string z14 = "\x04";   // byte 0 of an MVT seed: zoom 10 + 4

    LayerSpec roads;
    roads.name = "transportation";
    roads.keys = {"class", "name", "name:en"};
    roads.values = {"primary", "Boulevard", "Boulevard (en)", "minor"};
    roads.features.push_back({2, {0, 0, 1, 1, 2, 2}, {move_to(), zz(10), zz(20), line_to(3), zz(500), zz(0), zz(0), zz(700), zz(-300), zz(-100)}});
    roads.features.push_back({2, {0, 3}, {move_to(), zz(0), zz(0), line_to(1), zz(4096), zz(4096), move_to(), zz(-4096), zz(0), line_to(1), zz(100), zz(100)}});
    LayerSpec water;
    water.name = "water";
    water.features.push_back({3, {}, rings_geometry({{{0, 0}, {4000, 0}, {4000, 4000}, {0, 4000}},
                                                     {{1000, 1000}, {1000, 3000}, {3000, 3000}, {3000, 1000}}})});
    LayerSpec place;
    place.name = "place";
    place.keys = {"class", "name", "name:en"};
    place.values = {"city", "Monaco", "Monaco (en)"};
    place.features.push_back({1, {0, 0, 1, 1, 2, 2}, {move_to(), zz(2048), zz(2048)}});
    LayerSpec building;
    building.name = "building";
    building.features.push_back({3, {}, rings_geometry({{{10, 10}, {60, 10}, {60, 20}, {20, 20}, {20, 60}, {10, 60}}})});
    const std::string good = encode_tile({water, building, roads, place});
    put(mvt / "hand-all-kinds", z14 + good);
    put(mvt / "hand-roads", z14 + encode_tile({roads}));
    put(mvt / "hand-polygon-hole", z14 + encode_tile({water}));
    put(mvt / "bad-truncated", z14 + good.substr(0, good.size() / 2));
    put(mvt / "bad-varint", z14 + std::string("\x1a\x80", 2));
    LayerSpec two = water;
    two.features[0].geometry = {move_to(), zz(0), zz(0), line_to(1), zz(10), zz(0), close_path()};
    put(mvt / "bad-ring-of-two", z14 + encode_tile({two}));
    LayerSpec huge = place;
    huge.extent = 1u << 30;
    put(mvt / "bad-huge-extent", z14 + encode_tile({huge}));
    LayerSpec past = roads;
    past.features[0].geometry = {move_to(), zz(1), zz(1), line_to(100), zz(1), zz(1)};
    put(mvt / "bad-count-past-end", z14 + encode_tile({past}));

    const std::string monaco = monaco_mbtiles();
    if (!monaco.empty()) {
        int kept = 0;
        for (const auto& [id, bytes] : all_tiles(monaco)) {
            if (bytes.size() > 40000 || kept >= 4) continue;
            put(mvt / ("monaco-" + std::to_string(id.z) + "-" + std::to_string(id.x) + "-" + std::to_string(id.y)),
                std::string(1, (char)(id.z - 10)) + bytes);
            kept++;
        }
    }

    put(mbt / "good", small_db("seed-good.mbtiles", good_metadata(0, 2),
                               {{0, 0, 0, gzip(good)}, {1, 1, 1, good}, {2, 1, 2, gzip(encode_tile({place}))}}));
    auto meta = good_metadata(0, 2);
    meta[1].second = "png";
    put(mbt / "bad-format", small_db("seed-format.mbtiles", meta, {}));
    std::string cut = gzip(good);
    cut.resize(cut.size() / 3);
    put(mbt / "bad-gzip", small_db("seed-gzip.mbtiles", good_metadata(0, 1), {{0, 0, 0, cut}}));
    put(mbt / "not-sqlite", "SQLite format 3 but not really");
    std::printf("corpus written under %s\n", out.c_str());
    return 0;
}
