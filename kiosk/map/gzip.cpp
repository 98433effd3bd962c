// gunzip(): inflate a gzip or zlib stream with zlib, bounded in output (a tile is a few hundred
// kilobytes at most; a small input that inflates to gigabytes is refused, not allocated).
#include "map/map.h"

#include <algorithm>
#include <cstdint>

#include <zlib.h>

namespace map {

bool gunzip(std::string_view in, std::string* out, size_t max_out, std::string* error) {
    out->clear();
    z_stream zs{};
    // 15 + 32: a 32 KiB window, gzip or zlib header detected by zlib.
    if (inflateInit2(&zs, 15 + 32) != Z_OK) {
        if (error) *error = "gzip: inflateInit2 failed";
        return false;
    }
    struct End { z_stream* z; ~End() { inflateEnd(z); } } end{&zs};
    zs.next_in = (Bytef*)in.data();
    zs.avail_in = (uInt)std::min<size_t>(in.size(), UINT32_MAX);
    if (in.size() > UINT32_MAX) {
        if (error) *error = "gzip: input too large";
        return false;
    }
    char buf[64 * 1024];
    for (;;) {
        zs.next_out = (Bytef*)buf;
        zs.avail_out = sizeof buf;
        const int r = inflate(&zs, Z_NO_FLUSH);
        const size_t got = sizeof buf - zs.avail_out;
        if (out->size() + got > max_out) {
            if (error) *error = "gzip: inflates beyond " + std::to_string(max_out) + " bytes";
            out->clear();
            return false;
        }
        out->append(buf, got);
        if (r == Z_STREAM_END) return true;
        if (r == Z_OK) continue;
        if (r == Z_BUF_ERROR && zs.avail_in == 0) {
            if (error) *error = "gzip: truncated stream";
        } else {
            if (error) *error = std::string("gzip: ") + (zs.msg ? zs.msg : "corrupt stream");
        }
        out->clear();
        return false;
    }
}

}  // namespace map
