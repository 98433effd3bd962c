// libFuzzer target for the MVT decoder and what runs on its output: decode_mvt, then build_mesh
// (style table, ear clipping, line strips, labels), then raster_mesh (the tile's image) and
// split_image (its pieces). Invariants beyond "no crash": a refusal says why; a built mesh's
// indices stay inside its ranges and its vertices, and every range fits 16-bit draw indices; every
// pixel of the image is opaque; the pieces cover the image's area exactly.
#include "map/map.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {
void check(bool invariant) {
    if (!invariant) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    // Byte 0 picks the zoom the mesh is styled for (so zoom-dependent rules run too).
    const int zoom = 10 + data[0] % 8;
    const std::string_view bytes((const char*)data + 1, size - 1);
    map::DecodedTile tile;
    std::string error;
    if (!map::decode_mvt(bytes, &tile, &error)) {
        check(!error.empty() && tile.layers.empty());
        return 0;
    }
    for (const map::Layer& L : tile.layers) {
        check(L.extent > 0 && L.extent <= 65536);
        for (const map::Feature& f : L.features) {
            check(!f.parts.empty());
            if (f.type == map::GeomType::Polygon)
                for (const auto& ring : f.parts) check(ring.size() >= 3);
        }
    }
    const map::TileMesh mesh = map::build_mesh(map::TileId{zoom, 0, 0}, tile, "en");
    check(mesh.indices.size() % 3 == 0);
    size_t indices = 0;
    for (const map::TileMesh::Range& r : mesh.ranges) {
        check(r.vertex_count < 65536);
        check(r.first_index == indices);
        check((size_t)r.first_vertex + r.vertex_count <= mesh.vertices.size());
        for (uint32_t k = r.first_index; k < r.first_index + r.index_count; k++)
            check(mesh.indices[k] >= r.first_vertex && mesh.indices[k] < r.first_vertex + r.vertex_count);
        indices += r.index_count;
    }
    check(indices == mesh.indices.size());
    for (const map::Label& l : mesh.labels) check(l.x >= 0 && l.x < 1 && l.y >= 0 && l.y < 1 && !l.text.empty());
    std::vector<uint32_t> pixels(64 * 64);
    map::raster_mesh(mesh, 64, 0, pixels.data());
    for (uint32_t p : pixels) check((p >> 24) == 0xFF);
    std::vector<map::ImagePiece> pieces;
    map::split_image(pixels.data(), 64, 16, &pieces);
    size_t area = 0;
    for (const map::ImagePiece& p : pieces) {
        check(p.x0 < p.x1 && p.y0 < p.y1 && p.x1 <= 64 && p.y1 <= 64);
        area += (size_t)(p.x1 - p.x0) * (p.y1 - p.y0);
    }
    check(area == pixels.size());
    return 0;
}
