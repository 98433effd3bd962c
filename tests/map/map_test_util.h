// Helpers for kiosk/map's tests: hand-built MVT tiles (protozero's writer), small MBTiles files
// written with SQLite, and the Monaco tiles made by Debian's tilemaker from tests/data/osm.
#pragma once

#include "map/map.h"

#include <protozero/pbf_writer.hpp>
#include <sqlite3.h>
#include <zlib.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace map_test {

// Geometry command integers (MVT 2.1 section 4.3).
inline uint32_t cmd(uint32_t id, uint32_t count) { return (count << 3) | id; }
inline uint32_t zz(int32_t v) { return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31); }
inline uint32_t move_to(uint32_t n = 1) { return cmd(1, n); }
inline uint32_t line_to(uint32_t n) { return cmd(2, n); }
inline uint32_t close_path() { return cmd(7, 1); }

// Commands for closed rings given as absolute points (each ring: MoveTo, LineTo n-1, ClosePath).
inline std::vector<uint32_t> rings_geometry(const std::vector<std::vector<std::pair<int, int>>>& rings) {
    std::vector<uint32_t> g;
    int cx = 0, cy = 0;
    for (const auto& r : rings) {
        g.push_back(move_to());
        for (size_t k = 0; k < r.size(); k++) {
            if (k == 1) g.push_back(line_to((uint32_t)r.size() - 1));
            g.push_back(zz(r[k].first - cx));
            g.push_back(zz(r[k].second - cy));
            cx = r[k].first, cy = r[k].second;
        }
        g.push_back(close_path());
    }
    return g;
}

struct FeatureSpec {
    int type;                          // 1 point, 2 line, 3 polygon
    std::vector<uint32_t> tags;        // key, value index pairs
    std::vector<uint32_t> geometry;
};
struct LayerSpec {
    std::string name;
    uint32_t extent = 4096;
    std::vector<std::string> keys, values;   // values written as string values
    std::vector<FeatureSpec> features;
    uint32_t version = 2;
};

inline std::string encode_tile(const std::vector<LayerSpec>& layers) {
    std::string out;
    protozero::pbf_writer tile(out);
    for (const LayerSpec& L : layers) {
        protozero::pbf_writer layer(tile, 3);
        layer.add_uint32(15, L.version);
        layer.add_string(1, L.name);
        for (const FeatureSpec& f : L.features) {
            protozero::pbf_writer feature(layer, 2);
            if (!f.tags.empty()) feature.add_packed_uint32(2, f.tags.begin(), f.tags.end());
            feature.add_enum(3, f.type);
            feature.add_packed_uint32(4, f.geometry.begin(), f.geometry.end());
        }
        for (const std::string& k : L.keys) layer.add_string(3, k);
        for (const std::string& v : L.values) {
            protozero::pbf_writer value(layer, 4);
            value.add_string(1, v);
        }
        layer.add_uint32(5, L.extent);
    }
    return out;
}

inline std::string gzip(const std::string& in) {
    z_stream zs{};
    deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&zs, in.size()) + 32, '\0');
    zs.next_in = (Bytef*)in.data();
    zs.avail_in = (uInt)in.size();
    zs.next_out = (Bytef*)out.data();
    zs.avail_out = (uInt)out.size();
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

inline void exec(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string e = err ? err : "?";
        sqlite3_free(err);
        throw std::runtime_error(e);
    }
}

// An MBTiles file with the given metadata and tiles (z, x, y in XYZ; stored as TMS rows).
struct StoredTile { int z, x, y; std::string data; };
inline void write_mbtiles(const std::string& path, const std::vector<std::pair<std::string, std::string>>& metadata,
                          const std::vector<StoredTile>& tiles) {
    std::filesystem::remove(path);
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    exec(db, "CREATE TABLE metadata (name text, value text); "
             "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob); "
             "CREATE UNIQUE INDEX tile_index on tiles (zoom_level, tile_column, tile_row);");
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO metadata VALUES (?, ?)", -1, &st, nullptr);
    for (const auto& [k, v] : metadata) {
        sqlite3_bind_text(st, 1, k.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, v.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_prepare_v2(db, "INSERT INTO tiles VALUES (?, ?, ?, ?)", -1, &st, nullptr);
    for (const StoredTile& t : tiles) {
        sqlite3_bind_int(st, 1, t.z);
        sqlite3_bind_int(st, 2, t.x);
        sqlite3_bind_int(st, 3, (1 << t.z) - 1 - t.y);
        sqlite3_bind_blob(st, 4, t.data.data(), (int)t.data.size(), SQLITE_TRANSIENT);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

inline std::vector<std::pair<std::string, std::string>> good_metadata(int min_zoom = 0, int max_zoom = 2) {
    return {{"name", "test"}, {"format", "pbf"}, {"minzoom", std::to_string(min_zoom)},
            {"maxzoom", std::to_string(max_zoom)}, {"bounds", "-180,-85,180,85"}};
}

inline std::string temp_path(const std::string& name) {
    auto dir = std::filesystem::path(SPORTELLO_BINARY_DIR) / "tests" / "map" / "tmp";
    std::filesystem::create_directories(dir);
    return (dir / name).string();
}

// Monaco as vector tiles, made once per build tree by /usr/bin/tilemaker with tests/map's small
// profile (zooms 10..14). Empty when tilemaker is not installed (the caller skips, saying so).
inline std::string monaco_mbtiles() {
    static const std::string path = [] {
        if (!std::filesystem::exists("/usr/bin/tilemaker")) return std::string();
        const std::string out = temp_path("monaco.mbtiles");
        if (std::filesystem::exists(out)) return out;
        const std::string src = SPORTELLO_SOURCE_DIR;
        const std::string tmp = out + "." + std::to_string(getpid()) + ".mbtiles";   // ctest runs cases in parallel
        std::filesystem::remove(tmp);
        const std::string command = "cd '" + std::filesystem::path(out).parent_path().string() +
            "' && /usr/bin/tilemaker --threads 1 --input '" + src + "/tests/data/osm/monaco-latest.osm.pbf' --output '" +
            tmp + "' --config '" + src + "/tests/map/tiles_config.json' --process '" + src +
            "/tests/map/tiles_process.lua' > '" + tmp + ".log' 2>&1";
        if (std::system(command.c_str()) != 0) throw std::runtime_error("tilemaker failed: see " + tmp + ".log");
        std::filesystem::rename(tmp, out);
        return out;
    }();
    return path;
}

// Every tile of an MBTiles file as (XYZ id, gunzipped MVT bytes).
inline std::vector<std::pair<map::TileId, std::string>> all_tiles(const std::string& path) {
    std::vector<std::pair<map::TileId, std::string>> out;
    sqlite3* db = nullptr;
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT zoom_level, tile_column, tile_row FROM tiles ORDER BY 1, 2, 3", -1, &st, nullptr);
    std::vector<map::TileId> ids;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const int z = sqlite3_column_int(st, 0);
        ids.push_back(map::TileId{z, sqlite3_column_int(st, 1), (1 << z) - 1 - sqlite3_column_int(st, 2)});
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    std::string error;
    auto file = map::TileFile::open(path, &error);
    if (!file) throw std::runtime_error(error);
    for (const map::TileId& id : ids) {
        std::string bytes;
        if (!file->read(id, &bytes, &error)) throw std::runtime_error(error);
        out.emplace_back(id, std::move(bytes));
    }
    return out;
}

// The wake callback's side: counts wakes and lets a test wait for one with a bound.
struct Waker {
    std::mutex mu;
    std::condition_variable cv;
    int wakes = 0;
    std::function<void()> callback() {
        return [this] {
            std::lock_guard<std::mutex> lock(mu);
            wakes++;
            cv.notify_all();
        };
    }
    // Waits until `ready` holds, checking it again after every wake, for at most 20 s.
    template <class F> bool wait_for(F ready) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        for (;;) {
            std::unique_lock<std::mutex> lock(mu);
            const int seen = wakes;
            lock.unlock();
            if (ready()) return true;
            lock.lock();
            if (!cv.wait_until(lock, deadline, [&] { return wakes != seen; })) return false;
        }
    }
};

}  // namespace map_test
