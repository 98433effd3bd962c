// raster_mesh: a tile's triangles drawn into pixels on the CPU. Checked against the definition
// of coverage (a pixel is covered when its centre is inside), on random polygons with holes and
// on edges that run through pixel centres; GL's own drawing of real tiles is the oracle in
// test_images_gl.cpp.
#include "map/map.h"
#include "map/map_internal.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

using namespace map;

namespace {

constexpr uint32_t kBack = 0xFF000000u;   // opaque black: no triangle is drawn in it

std::vector<uint32_t> raster(const TileMesh& mesh, int size) {
    std::vector<uint32_t> px((size_t)size * size, 0x12345678u);
    raster_mesh(mesh, size, kBack, px.data());
    return px;
}

// A mesh of the given points (in pixels of a `size` image) and triangles, triangle k coloured k + 1.
TileMesh mesh_of(const std::vector<Vec2>& pixels, const std::vector<uint32_t>& triangles, int size) {
    TileMesh m;
    for (size_t t = 0; t + 2 < triangles.size(); t += 3)
        for (int k = 0; k < 3; k++) {
            const Vec2 p = pixels[triangles[t + k]];
            m.indices.push_back((uint32_t)m.vertices.size());
            m.vertices.push_back(Vertex{p.x / size, p.y / size, rgba((uint32_t)(t / 3 + 1) & 0xFF, (uint32_t)(t / 3 + 1) >> 8, 7)});
        }
    return m;
}

// Even-odd inside test of (x, y) against rings, and its distance to the nearest edge.
bool inside(const std::vector<std::vector<Vec2>>& rings, double x, double y, double* nearest) {
    bool in = false;
    *nearest = 1e9;
    for (const auto& r : rings)
        for (size_t i = 0, j = r.size() - 1; i < r.size(); j = i++) {
            const double ax = r[j].x, ay = r[j].y, bx = r[i].x, by = r[i].y;
            if ((ay > y) != (by > y) && x < ax + (y - ay) * (bx - ax) / (by - ay)) in = !in;
            const double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
            const double t = len2 > 0 ? std::clamp(((x - ax) * dx + (y - ay) * dy) / len2, 0.0, 1.0) : 0;
            *nearest = std::min(*nearest, std::hypot(x - (ax + t * dx), y - (ay + t * dy)));
        }
    return in;
}

}  // namespace

TEST_CASE("raster: a triangulated polygon with holes covers exactly the pixels whose centre is inside it", "[map]") {
    std::mt19937 rng(20261207);
    std::uniform_real_distribution<float> unit(0, 1);
    const int size = 96;
    for (int round = 0; round < 40; round++) {
        INFO("round " << round);
        // A star-shaped ring around the middle, and a smaller one inside it as a hole.
        std::vector<std::vector<Vec2>> rings(2);
        const int n = 5 + round % 17;
        for (int i = 0; i < n; i++) {
            const float a = 6.2831853f * (i + 0.8f * unit(rng)) / n;
            const float r = 20 + 26 * unit(rng), h = 4 + 6 * unit(rng);
            rings[0].push_back(Vec2{48 + r * std::cos(a), 48 + r * std::sin(a)});
            rings[1].push_back(Vec2{48 + h * std::cos(-a), 48 + h * std::sin(-a)});
        }
        std::vector<Vec2> points;
        std::vector<uint32_t> triangles;
        REQUIRE(triangulate(rings, &points, &triangles));
        const std::vector<uint32_t> px = raster(mesh_of(points, triangles, size), size);
        int covered = 0, checked = 0;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) {
                double nearest;
                const bool in = inside(rings, x + 0.5, y + 0.5, &nearest);
                if (nearest < 0.01) continue;   // on an edge, within the snapping: either answer is right
                checked++;
                INFO("pixel " << x << ", " << y);
                CHECK((px[(size_t)y * size + x] != kBack) == in);
                covered += in;
            }
        CHECK(covered > 500);
        CHECK(checked > size * size * 9 / 10);
        for (uint32_t p : px) CHECK((p >> 24) == 0xFF);   // every pixel written, opaque
    }
}

TEST_CASE("raster: two triangles sharing an edge through pixel centres split its pixels, none twice, none left out", "[map]") {
    const int size = 16;
    // Diagonals that run exactly through pixel centres (x.5, y.5), in every direction.
    const std::vector<std::vector<Vec2>> quads = {
        {{0.5f, 0.5f}, {12.5f, 0.5f}, {12.5f, 12.5f}, {0.5f, 12.5f}},
        {{2.5f, 1.5f}, {14.5f, 3.5f}, {10.5f, 15.5f}, {0.5f, 9.5f}},
        {{8.5f, 0.5f}, {15.5f, 8.5f}, {8.5f, 15.5f}, {0.5f, 8.5f}},
    };
    for (const auto& q : quads)
        for (int diagonal = 0; diagonal < 2; diagonal++) {
            const uint32_t a = diagonal, b = a + 1, c = a + 2, d = (a + 3) % 4;
            const std::vector<uint32_t> first = {a, b, c}, second = {a, c, d};
            std::vector<uint32_t> one = raster(mesh_of(q, first, size), size);
            std::vector<uint32_t> two = raster(mesh_of(q, second, size), size);
            std::vector<uint32_t> both = raster(mesh_of(q, {a, b, c, a, c, d}, size), size);
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++) {
                    const size_t i = (size_t)y * size + x;
                    INFO("diagonal " << diagonal << " pixel " << x << ", " << y);
                    CHECK(!(one[i] != kBack && two[i] != kBack));                 // never both
                    CHECK((both[i] != kBack) == (one[i] != kBack || two[i] != kBack));   // the union, no gap
                }
        }
    // A square on whole pixels: exactly the pixels inside, however it is cut.
    const std::vector<Vec2> square = {{2, 3}, {10, 3}, {10, 9}, {2, 9}};
    const std::vector<uint32_t> px = raster(mesh_of(square, {0, 1, 2, 0, 2, 3}, size), size);
    int covered = 0;
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            const bool in = x >= 2 && x < 10 && y >= 3 && y < 9;
            CHECK((px[(size_t)y * size + x] != kBack) == in);
            covered += px[(size_t)y * size + x] != kBack;
        }
    CHECK(covered == 48);
}

TEST_CASE("raster: triangles are drawn in order, each in its first vertex's colour, opaque", "[map]") {
    const int size = 8;
    TileMesh m;
    auto quad = [&](float x0, float y0, float x1, float y1, uint32_t colour) {
        const uint32_t base = (uint32_t)m.vertices.size();
        for (Vec2 p : {Vec2{x0, y0}, Vec2{x1, y0}, Vec2{x1, y1}, Vec2{x0, y1}})
            m.vertices.push_back(Vertex{p.x / size, p.y / size, colour});
        for (uint32_t k : {0u, 1u, 2u, 0u, 2u, 3u}) m.indices.push_back(base + k);
    };
    quad(0, 0, 6, 6, rgba(10, 20, 30));
    quad(2, 2, 8, 8, rgba(40, 50, 60, 128));   // drawn over the first; alpha ignored (no blending)
    const std::vector<uint32_t> px = raster(m, size);
    CHECK(px[0] == rgba(10, 20, 30));
    CHECK(px[3 * size + 3] == rgba(40, 50, 60));
    CHECK(px[7 * size + 7] == rgba(40, 50, 60));
    CHECK(px[7 * size + 0] == kBack);
}

TEST_CASE("raster: bad meshes are survived: indices past the end, huge and non-finite positions", "[map]") {
    const int size = 32;
    TileMesh m;
    const float inf = INFINITY, nan = NAN;
    for (Vec2 p : {Vec2{0, 0}, Vec2{1, 0}, Vec2{0, 1}, Vec2{1e30f, -1e30f}, Vec2{1e30f, 1e30f}, Vec2{nan, 0.5f},
                   Vec2{inf, 0}, Vec2{0.5f, -inf}})
        m.vertices.push_back(Vertex{p.x, p.y, rgba(1, 2, 3)});
    m.vertices[3].rgba = rgba(9, 9, 9);
    m.indices = {0, 1, 99,  3, 4, 0,  0, 1, 5,  0, 6, 7,  0, 1, 2,  4294967295u, 0, 1,  0, 1};
    const std::vector<uint32_t> px = raster(m, size);
    // The huge triangle (3, 4, 0) is clamped far outside and drawn as far as the image goes: the
    // wedge right of the diagonal from (0, 0). Then (0, 1, 2) over it: the top-left half.
    CHECK(px[(size_t)(size / 2) * size + size - 1] == rgba(9, 9, 9));
    CHECK(px[0 * size + 20] == rgba(1, 2, 3));
    CHECK(px[(size_t)(size - 1) * size + 1] == kBack);
    for (uint32_t p : px) CHECK((p >> 24) == 0xFF);
}
