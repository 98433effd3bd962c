// [SECTION] Raster: a tile's mesh drawn into pixels on the CPU, as GL would draw it (no AA), and
// the pixels split into pieces of one colour and the rest (split_image).
//
// Why not GL: on the kiosks' software renderer (llvmpipe) a render into a texture in the middle
// of a frame flushes the frame's queued drawing, sets up every triangle of the tile, and waits
// for its rasterization; a frame with one render took 3-5 ms longer. Here a render is a loop over
// spans of opaque colour (0.1 ms for most tiles), and the frame only uploads its pixels.
//
// The coverage rule is GL's: a pixel is covered when its centre is inside the triangle, a centre
// on an edge belongs to the triangle on the edge's left or top side only (so two triangles that
// share an edge never both cover a pixel, nor leave one out). Positions are snapped to 1/256 of a
// pixel, as llvmpipe snaps them, and every test is exact integer arithmetic.
#include "map/map.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace map {

namespace {

constexpr int kSub = 256;                 // subpixel steps a pixel
constexpr double kFar = 1048576.0;        // 2^20 px: sums of products of fixed coordinates fit int64

// Only called on finite values (raster_mesh skips triangles with others).
int64_t to_fixed(float v, int size) {
    const double p = std::clamp((double)v * size, -kFar, kFar);
    return (int64_t)std::llround(p * kSub);
}

bool finite(const Vertex& v) { return std::isfinite(v.x) && std::isfinite(v.y); }

// Floor and ceiling of n / d for d != 0, rounding toward minus and plus infinity.
int64_t floor_div(int64_t n, int64_t d) {
    int64_t q = n / d;
    if ((n % d != 0) && ((n < 0) != (d < 0))) q--;
    return q;
}
int64_t ceil_div(int64_t n, int64_t d) {
    int64_t q = n / d;
    if ((n % d != 0) && ((n < 0) == (d < 0))) q++;
    return q;
}

struct Edge {
    int64_t ax, ay, dx, dy;   // from a, direction d
    int64_t bias;             // 0: a centre on the edge is inside (left or top edge); 1: outside
};

// The edge a->b of a triangle whose interior is where (d x (p - a)) >= 0.
Edge make_edge(int64_t ax, int64_t ay, int64_t bx, int64_t by) {
    Edge e{ax, ay, bx - ax, by - ay, 1};
    // With y down and the interior on the positive side: an edge going up has the interior on its
    // right (a left edge); a horizontal edge going right has it below (a top edge).
    if (e.dy < 0 || (e.dy == 0 && e.dx > 0)) e.bias = 0;
    return e;
}

// Narrows [lo, hi] (pixel columns) to those whose centre on the row of centre `yc` is inside `e`.
void clip_span(const Edge& e, int64_t yc, int64_t* lo, int64_t* hi) {
    // Inside: dx * (yc - ay) - dy * (xc - ax) >= bias, with xc = px * kSub + kSub / 2.
    const int64_t slope = -e.dy * kSub;                           // change per pixel column
    const int64_t k = e.dx * (yc - e.ay) - e.dy * (kSub / 2 - e.ax);
    const int64_t need = e.bias - k;                              // slope * px >= need
    if (slope > 0) *lo = std::max(*lo, ceil_div(need, slope));
    else if (slope < 0) *hi = std::min(*hi, floor_div(need, slope));
    else if (need > 0) *hi = *lo - 1;                             // parallel to the row, outside
}

void raster_triangle(const Vertex& v0, const Vertex& v1, const Vertex& v2, int size, uint32_t* pixels) {
    int64_t x0 = to_fixed(v0.x, size), y0 = to_fixed(v0.y, size);
    int64_t x1 = to_fixed(v1.x, size), y1 = to_fixed(v1.y, size);
    int64_t x2 = to_fixed(v2.x, size), y2 = to_fixed(v2.y, size);
    const int64_t area = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0);
    if (area == 0) return;
    if (area < 0) {
        std::swap(x1, x2);
        std::swap(y1, y2);
    }
    const Edge edges[3] = {make_edge(x0, y0, x1, y1), make_edge(x1, y1, x2, y2), make_edge(x2, y2, x0, y0)};
    const int64_t min_y = std::min({y0, y1, y2}), max_y = std::max({y0, y1, y2});
    const int64_t min_x = std::min({x0, x1, x2}), max_x = std::max({x0, x1, x2});
    // Rows and columns whose centres (p * kSub + kSub / 2) lie within the bounding box.
    const int64_t row_lo = std::max<int64_t>(0, ceil_div(min_y - kSub / 2, kSub));
    const int64_t row_hi = std::min<int64_t>(size - 1, floor_div(max_y - kSub / 2, kSub));
    const int64_t col_lo = std::max<int64_t>(0, ceil_div(min_x - kSub / 2, kSub));
    const int64_t col_hi = std::min<int64_t>(size - 1, floor_div(max_x - kSub / 2, kSub));
    const uint32_t colour = v0.rgba | 0xFF000000u;   // opaque: the tile's fills are drawn without blending
    for (int64_t py = row_lo; py <= row_hi; py++) {
        const int64_t yc = py * kSub + kSub / 2;
        int64_t lo = col_lo, hi = col_hi;
        for (const Edge& e : edges) clip_span(e, yc, &lo, &hi);
        if (lo <= hi) std::fill(pixels + py * size + lo, pixels + py * size + hi + 1, colour);
    }
}

}  // namespace

void raster_mesh(const TileMesh& mesh, int size, uint32_t background, uint32_t* pixels) {
    std::fill(pixels, pixels + (size_t)size * size, background | 0xFF000000u);
    const size_t n = mesh.indices.size() / 3 * 3;
    for (size_t i = 0; i < n; i += 3) {
        const uint32_t a = mesh.indices[i], b = mesh.indices[i + 1], c = mesh.indices[i + 2];
        if (a >= mesh.vertices.size() || b >= mesh.vertices.size() || c >= mesh.vertices.size()) continue;
        if (!finite(mesh.vertices[a]) || !finite(mesh.vertices[b]) || !finite(mesh.vertices[c])) continue;
        raster_triangle(mesh.vertices[a], mesh.vertices[b], mesh.vertices[c], size, pixels);
    }
}

// The square's colour when all its pixels have it, else 0 (no opaque colour is 0).
static uint32_t square_colour(const uint32_t* pixels, int size, int x0, int y0, int x1, int y1) {
    const uint32_t c = pixels[(size_t)y0 * size + x0];
    for (int y = y0; y < y1; y++) {
        const uint32_t* row = pixels + (size_t)y * size;
        for (int x = x0; x < x1; x++)
            if (row[x] != c) return 0;
    }
    return c;
}

void split_image(const uint32_t* pixels, int size, int cell, std::vector<ImagePiece>* out) {
    out->clear();
    if (size <= 0 || size > 65535 || cell <= 0) return;
    cell = std::min(cell, size);   // so that no square's bound below overflows
    const int cells = (size + cell - 1) / cell;
    std::vector<uint32_t> colour(cells);
    // The pieces that reach the bottom of the previous row of squares, left to right: a run of
    // this row extends one when it spans the same columns in the same colour.
    std::vector<size_t> open, next;
    for (int cy = 0; cy < cells; cy++) {
        const int y0 = cy * cell, y1 = std::min(size, y0 + cell);
        for (int cx = 0; cx < cells; cx++)
            colour[cx] = square_colour(pixels, size, cx * cell, y0, std::min(size, cx * cell + cell), y1);
        next.clear();
        size_t o = 0;
        for (int cx = 0; cx < cells;) {
            int end = cx + 1;
            while (end < cells && colour[end] == colour[cx]) end++;
            const uint16_t x0 = (uint16_t)(cx * cell), x1 = (uint16_t)std::min(size, end * cell);
            while (o < open.size() && (*out)[open[o]].x0 < x0) o++;
            if (o < open.size() && (*out)[open[o]].x0 == x0 && (*out)[open[o]].x1 == x1 &&
                (*out)[open[o]].rgba == colour[cx]) {
                (*out)[open[o]].y1 = (uint16_t)y1;
                next.push_back(open[o]);
            } else {
                out->push_back(ImagePiece{x0, (uint16_t)y0, x1, (uint16_t)y1, colour[cx]});
                next.push_back(out->size() - 1);
            }
            cx = end;
        }
        open.swap(next);
    }
}

}  // namespace map
