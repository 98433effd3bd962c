// bench-map-core: kiosk/map's costs on tilemaker's Monaco tiles (made at first run, as the tests do).
//   - read + gunzip, decode, mesh (style, triangulation, strips) per tile: p50 / p99 / max in ms
//   - the meshes' memory, the cache's bytes with every tile loaded
//   - draw(): the CPU side of a 1920x1080 frame panning over Monaco at zoom 15.5 (vertices written
//     into the ImDrawList, labels placed and shaped); rasterization (llvmpipe) is not in it.
#include "map/map.h"
#include "map_test_util.h"

#include "text.h"

#include <imgui_internal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

using namespace map;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

double pct(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, (size_t)(p / 100.0 * (double)v.size()))];
}

}  // namespace

int main() {
    const std::string path = map_test::monaco_mbtiles();
    if (path.empty()) {
        std::printf("bench-map-core: skipped, /usr/bin/tilemaker is not installed\n");
        return 0;
    }
    std::string error;
    auto file = TileFile::open(path, &error);
    if (!file) {
        std::fprintf(stderr, "bench-map-core: %s\n", error.c_str());
        return 1;
    }
    const auto ids = map_test::all_tiles(path);
    std::vector<double> read_ms, decode_ms, mesh_ms, total_ms;
    size_t mesh_bytes = 0, vertices = 0, raw = 0;
    for (int round = 0; round < 5; round++)
        for (const auto& [id, unused] : ids) {
            (void)unused;
            auto t0 = Clock::now();
            std::string bytes;
            file->read(id, &bytes, &error);
            read_ms.push_back(ms_since(t0));
            auto t1 = Clock::now();
            DecodedTile tile;
            decode_mvt(bytes, &tile, &error);
            decode_ms.push_back(ms_since(t1));
            auto t2 = Clock::now();
            const TileMesh mesh = build_mesh(id, tile, "en");
            mesh_ms.push_back(ms_since(t2));
            total_ms.push_back(ms_since(t0));
            if (round == 0) mesh_bytes += mesh.bytes(), vertices += mesh.vertices.size(), raw += bytes.size();
        }
    std::printf("bench-map-core: %zu Monaco tiles (z%d-%d), %zu KiB of MVT, x5 rounds\n", ids.size(),
                file->info().min_zoom, file->info().max_zoom, raw / 1024);
    std::printf("  read+gunzip   p50 %.3f ms  p99 %.3f ms\n", pct(read_ms, 50), pct(read_ms, 99));
    std::printf("  decode        p50 %.3f ms  p99 %.3f ms\n", pct(decode_ms, 50), pct(decode_ms, 99));
    std::printf("  mesh (style, triangulate, strips)  p50 %.3f ms  p99 %.3f ms\n", pct(mesh_ms, 50), pct(mesh_ms, 99));
    std::printf("  per tile total p50 %.3f ms  p99 %.3f ms  max %.3f ms\n", pct(total_ms, 50), pct(total_ms, 99),
                pct(total_ms, 100));
    std::printf("  meshes: %zu vertices, %zu KiB for all tiles\n", vertices, mesh_bytes / 1024);

    // The cache with its worker, all tiles loaded; then frames of draw() panning across Monaco.
    text::EngineConfig tc;
    tc.font_dir = SPORTELLO_FONT_DIR;
    auto engine = text::Engine::create(tc);
    map_test::Waker waker;
    TileCache cache(TileFile::open(path, &error), waker.callback());
    for (const auto& [id, unused] : ids) cache.get(id, "en");
    waker.wait_for([&] { return !cache.busy(); });
    for (const auto& [id, unused] : ids) cache.get(id, "en");
    std::printf("  cache: %zu KiB with every tile ready (bound %u KiB)\n", cache.bytes() / 1024, 24u << 10);

    Camera cam;
    cam.center = project(LonLat{7.4160, 43.7310});
    cam.zoom = 15.5;
    std::vector<double> frame_ms;
    size_t vtx = 0;
    int labels = 0;
    for (int f = 0; f < 600; f++) {
        ImDrawListSharedData shared;
        ImDrawList dl(&shared);
        dl._ResetForNewFrame();
        dl.PushClipRect(ImVec2(0, 0), ImVec2(1920, 1080));
        engine->begin_frame();
        auto t0 = Clock::now();
        const DrawStats s = draw(&dl, *engine, nullptr, cache, cam, 0, 0, 1920, 1080, "en");
        cache.end_frame();
        if (f >= 100) frame_ms.push_back(ms_since(t0));   // after the layouts are shaped once
        vtx = std::max(vtx, (size_t)dl.VtxBuffer.Size);
        labels = std::max(labels, s.labels_drawn);
        cam.center.x += 3.0 / world_px(cam.zoom) * ((f / 150) % 2 ? -1 : 1);   // 3 px per frame, back and forth
        if (cache.busy()) waker.wait_for([&] { return !cache.busy(); });
    }
    std::printf("  draw() 1920x1080 zoom 15.5 panning: p50 %.3f ms  p99 %.3f ms (CPU side), up to %zu vertices, %d labels\n",
                pct(frame_ms, 50), pct(frame_ms, 99), vtx, labels);
    return 0;
}
