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

namespace {

// Checks split_image's promise on an image: every pixel in one piece, a solid piece all its
// colour, and every grid square inside a piece from the image not of one colour (so no square
// that could be a plain fill is left to the texture). Returns the pieces.
std::vector<ImagePiece> check_split(const std::vector<uint32_t>& px, int size, int cell) {
    std::vector<ImagePiece> pieces;
    split_image(px.data(), size, cell, &pieces);
    std::vector<int> cover((size_t)size * size, 0);
    for (const ImagePiece& p : pieces) {
        REQUIRE(p.x0 < p.x1);
        REQUIRE(p.y0 < p.y1);
        REQUIRE(p.x1 <= size);
        REQUIRE(p.y1 <= size);
        CHECK(p.x0 % cell == 0);
        CHECK(p.y0 % cell == 0);
        for (int y = p.y0; y < p.y1; y++)
            for (int x = p.x0; x < p.x1; x++) {
                cover[(size_t)y * size + x]++;
                if (p.rgba) REQUIRE(px[(size_t)y * size + x] == p.rgba);
            }
        if (p.rgba) continue;
        for (int sy = p.y0; sy < p.y1; sy += cell)
            for (int sx = p.x0; sx < p.x1; sx += cell) {
                bool one = true;
                for (int y = sy; y < std::min(sy + cell, size); y++)
                    for (int x = sx; x < std::min(sx + cell, size); x++) one = one && px[(size_t)y * size + x] == px[(size_t)sy * size + sx];
                CHECK_FALSE(one);
            }
    }
    for (int c : cover) REQUIRE(c == 1);
    return pieces;
}

}  // namespace

TEST_CASE("split_image: pieces cover every pixel once, solid ones of one colour, the rest no square of one colour", "[map]") {
    std::mt19937 rng(7);
    for (int size : {256, 383, 512, 17, 16, 1}) {
        INFO("size " << size);
        // Blocks of colour in a few hues (so runs and merges happen), with noise in some squares.
        std::vector<uint32_t> px((size_t)size * size);
        const int block = 24;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) px[(size_t)y * size + x] = 0xFF000000u | (uint32_t)(((x / block) * 7 + (y / block) * 3) % 4);
        for (int k = 0; k < size * size / 200; k++) px[rng() % px.size()] = 0xFF0000FFu;
        const std::vector<ImagePiece> pieces = check_split(px, size, 16);
        CHECK(!pieces.empty());
    }
    // A real tile's picture: the water, land and blocks of Monaco's shapes.
    const int size = 300;
    std::vector<uint32_t> px((size_t)size * size);
    const std::vector<std::vector<Vec2>> rings = {{{10, 10}, {290, 40}, {250, 280}, {30, 200}}, {{100, 100}, {150, 110}, {120, 160}}};
    std::vector<Vec2> points;
    std::vector<uint32_t> triangles;
    REQUIRE(triangulate(rings, &points, &triangles));
    raster_mesh(mesh_of(points, triangles, size), size, kBack, px.data());
    const std::vector<ImagePiece> pieces = check_split(px, size, 16);
    size_t solid = 0;
    for (const ImagePiece& p : pieces) solid += p.rgba ? (size_t)(p.x1 - p.x0) * (p.y1 - p.y0) : 0;
    CHECK(solid * 2 > px.size());   // most of a polygon and its surroundings are plain fills
}

TEST_CASE("split_image: runs and rows of one colour join into one piece", "[map]") {
    const int size = 64;
    std::vector<uint32_t> px((size_t)size * size, 0xFF112233u);
    std::vector<ImagePiece> pieces = check_split(px, size, 16);
    REQUIRE(pieces.size() == 1);
    CHECK((pieces[0].x1 == 64 && pieces[0].y1 == 64 && pieces[0].rgba == 0xFF112233u));
    // The left half another colour: two pieces, each the image's height.
    for (int y = 0; y < size; y++)
        for (int x = 0; x < 32; x++) px[(size_t)y * size + x] = 0xFF445566u;
    pieces = check_split(px, size, 16);
    REQUIRE(pieces.size() == 2);
    CHECK((pieces[0].y1 == 64 && pieces[1].y1 == 64));
    // One pixel off in the top right square: that square comes from the image, the square beside
    // it is a piece of its own, and the right half below them one piece.
    px[5 * size + 60] = 0xFF000000u;
    pieces = check_split(px, size, 16);
    CHECK(pieces.size() == 4);
    int from_image = 0;
    for (const ImagePiece& p : pieces) from_image += p.rgba == 0;
    CHECK(from_image == 1);
}

TEST_CASE("split_image: sizes and cells out of range give no pieces", "[map]") {
    std::vector<uint32_t> px(16, 0xFF000000u);
    std::vector<ImagePiece> pieces = {ImagePiece{}};
    split_image(px.data(), 0, 16, &pieces);
    CHECK(pieces.empty());
    split_image(px.data(), 4, 0, &pieces);
    CHECK(pieces.empty());
    split_image(px.data(), 70000, 16, &pieces);   // not read: refused before
    CHECK(pieces.empty());
    split_image(px.data(), 4, 16, &pieces);       // a cell larger than the image: one square
    CHECK(pieces.size() == 1);
    split_image(px.data(), 4, 2147483647, &pieces);
    REQUIRE(pieces.size() == 1);
    CHECK((pieces[0].x1 == 4 && pieces[0].y1 == 4));
}
