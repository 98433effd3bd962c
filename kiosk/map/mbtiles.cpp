// TileFile: an MBTiles 1.3 file (SQLite) opened read-only. Metadata checked at open; tiles read
// by XYZ id (MBTiles rows are TMS: row 0 is the southern-most, so row = 2^z - 1 - y).
// Used by one thread at a time (the cache's worker): the connection is opened without mutexes.
#include "map/map.h"
#include "map/map_internal.h"

#include <sqlite3.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace map {

struct TileFile::Impl {
    sqlite3* db = nullptr;
    sqlite3_stmt* tile = nullptr;
    TileSetInfo info;
    ~Impl() {
        sqlite3_finalize(tile);
        sqlite3_close(db);
    }
};

namespace {

bool parse_int(const std::string& s, int* out) {
    const char* end = s.data() + s.size();
    auto r = std::from_chars(s.data(), end, *out);
    return r.ec == std::errc() && r.ptr == end;
}

// "west,south,east,north" in degrees.
bool parse_bounds(const std::string& s, TileSetInfo* info) {
    double v[4];
    size_t pos = 0;
    for (int i = 0; i < 4; i++) {
        const size_t comma = i < 3 ? s.find(',', pos) : s.size();
        if (comma == std::string::npos) return false;
        std::string part = s.substr(pos, comma - pos);
        char* end = nullptr;
        v[i] = std::strtod(part.c_str(), &end);
        if (part.empty() || end != part.c_str() + part.size() || !std::isfinite(v[i])) return false;
        pos = comma + 1;
    }
    if (v[0] < -180 || v[2] > 180 || v[0] > v[2] || v[1] < -90 || v[3] > 90 || v[1] > v[3]) return false;
    info->west = v[0], info->south = v[1], info->east = v[2], info->north = v[3];
    return true;
}

}  // namespace

TileFile::TileFile() : impl_(std::make_unique<Impl>()) {}
TileFile::~TileFile() = default;
const TileSetInfo& TileFile::info() const { return impl_->info; }

std::unique_ptr<TileFile> TileFile::open(const std::string& path, std::string* error) {
    auto fail = [&](const std::string& why) -> std::unique_ptr<TileFile> {
        if (error) *error = path + ": " + why;
        return nullptr;
    };
    std::unique_ptr<TileFile> f(new TileFile());
    Impl& m = *f->impl_;
    if (sqlite3_open_v2(path.c_str(), &m.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK)
        return fail(m.db ? sqlite3_errmsg(m.db) : "cannot open");
    sqlite3_extended_result_codes(m.db, 1);
    // A hostile file cannot make a query run for long or allocate much: no lookaside tricks
    // are needed, only bounds on what one statement may read into memory.
    sqlite3_limit(m.db, SQLITE_LIMIT_LENGTH, (int)kMaxTileFileBytes);

    sqlite3_stmt* meta = nullptr;
    if (sqlite3_prepare_v2(m.db, "SELECT name, value FROM metadata", -1, &meta, nullptr) != SQLITE_OK) {
        std::string why = std::string("not an MBTiles file (") + sqlite3_errmsg(m.db) + ")";
        sqlite3_finalize(meta);
        return fail(why);
    }
    bool have_min = false, have_max = false;
    std::string bad;
    int rc;
    while ((rc = sqlite3_step(meta)) == SQLITE_ROW) {
        const char* n = (const char*)sqlite3_column_text(meta, 0);
        const char* v = (const char*)sqlite3_column_text(meta, 1);
        if (!n || !v) continue;
        const std::string name = n, value = v;
        if (name == "minzoom") {
            have_min = parse_int(value, &m.info.min_zoom);
            if (!have_min) bad = "bad minzoom";
        } else if (name == "maxzoom") {
            have_max = parse_int(value, &m.info.max_zoom);
            if (!have_max) bad = "bad maxzoom";
        } else if (name == "bounds") {
            if (!parse_bounds(value, &m.info)) bad = "bad bounds '" + value.substr(0, 64) + "'";
        } else if (name == "format") {
            m.info.format = value;
        } else if (name == "name") {
            m.info.name = value;
        } else if (name == "attribution") {
            m.info.attribution = value;
        }
    }
    const bool step_ok = rc == SQLITE_DONE;
    std::string step_error = step_ok ? "" : sqlite3_errmsg(m.db);
    sqlite3_finalize(meta);
    if (!step_ok) return fail("metadata: " + step_error);
    if (!bad.empty()) return fail("metadata: " + bad);
    if (m.info.format != "pbf") return fail("metadata: format is '" + m.info.format.substr(0, 32) + "', not pbf");
    if (!have_min || !have_max) return fail("metadata: minzoom and maxzoom are required");
    if (m.info.min_zoom < 0 || m.info.max_zoom > kMaxTileZoom || m.info.min_zoom > m.info.max_zoom)
        return fail("metadata: zoom range " + std::to_string(m.info.min_zoom) + ".." + std::to_string(m.info.max_zoom));
    if (m.info.west == 0 && m.info.east == 0 && m.info.south == 0 && m.info.north == 0)
        m.info.west = -180, m.info.south = -85.0511, m.info.east = 180, m.info.north = 85.0511;

    if (sqlite3_prepare_v2(m.db, "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
                           -1, &m.tile, nullptr) != SQLITE_OK)
        return fail(std::string("no tiles table (") + sqlite3_errmsg(m.db) + ")");
    return f;
}

bool TileFile::read(TileId id, std::string* out, std::string* error) {
    out->clear();
    if (id.z < 0 || id.z > kMaxTileZoom || id.x < 0 || id.y < 0 || id.x >= (1 << id.z) || id.y >= (1 << id.z)) {
        if (error) *error = "tile id out of range";
        return false;
    }
    sqlite3_stmt* st = impl_->tile;
    sqlite3_reset(st);
    sqlite3_bind_int(st, 1, id.z);
    sqlite3_bind_int(st, 2, id.x);
    sqlite3_bind_int(st, 3, (1 << id.z) - 1 - id.y);   // XYZ -> TMS
    const int rc = sqlite3_step(st);
    char where[48];
    std::snprintf(where, sizeof where, "tile %d/%d/%d: ", id.z, id.x, id.y);
    if (rc == SQLITE_DONE) return true;   // no tile there
    if (rc != SQLITE_ROW) {
        if (error) *error = where + std::string(sqlite3_errmsg(impl_->db));
        sqlite3_reset(st);
        return false;
    }
    const void* blob = sqlite3_column_blob(st, 0);
    const int n = sqlite3_column_bytes(st, 0);
    const std::string_view data(blob ? (const char*)blob : "", blob ? (size_t)n : 0);
    bool ok = true;
    std::string why;
    if (data.size() >= 2 && (uint8_t)data[0] == 0x1f && (uint8_t)data[1] == 0x8b) {
        ok = gunzip(data, out, kMaxTileBytes, &why);
    } else if (data.size() > kMaxTileBytes) {
        ok = false, why = "tile larger than " + std::to_string(kMaxTileBytes) + " bytes";
    } else {
        out->assign(data);
    }
    sqlite3_reset(st);
    if (!ok && error) *error = where + why;
    return ok;
}

}  // namespace map
