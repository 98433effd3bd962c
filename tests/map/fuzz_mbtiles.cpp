// libFuzzer target for the MBTiles reader: the input is written as a file (an SQLite database
// the fuzzer mutates, metadata and tile blobs included), opened with TileFile::open and, when it
// opens, a few tiles are read (gunzip) and decoded as the cache's worker would. Invariants: open
// refuses with a reason or yields a sane zoom range; read refuses with a reason or returns bytes
// within the tile bound.
#include "map/map.h"
#include "map/map_internal.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

namespace {
void check(bool invariant) {
    if (!invariant) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string path = [] {
        const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        return std::string(dir) + "/sportello-fuzz-mbtiles-" + std::to_string(getpid()) + ".mbtiles";
    }();
    {
        FILE* f = std::fopen(path.c_str(), "wb");
        if (!f) return 0;
        std::fwrite(data, 1, size, f);
        std::fclose(f);
    }
    std::string error;
    auto file = map::TileFile::open(path, &error);
    if (!file) {
        check(!error.empty());
    } else {
        const map::TileSetInfo& info = file->info();
        check(info.min_zoom >= 0 && info.min_zoom <= info.max_zoom && info.max_zoom <= map::kMaxTileZoom);
        const map::TileId ids[] = {{0, 0, 0}, {1, 0, 0}, {1, 1, 1}, {2, 1, 2}, {info.max_zoom, 0, 0}};
        for (const map::TileId& id : ids) {
            std::string bytes;
            error.clear();
            if (!file->read(id, &bytes, &error)) {
                check(!error.empty());
                continue;
            }
            check(bytes.size() <= map::kMaxTileBytes);
            map::DecodedTile tile;
            if (map::decode_mvt(bytes, &tile, &error)) (void)map::build_mesh(id, tile, "en");
        }
    }
    std::remove(path.c_str());
    return 0;
}
