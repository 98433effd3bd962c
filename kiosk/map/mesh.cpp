// build_mesh(): one decoded tile into triangles in tile-local [0,1] coordinates, drawn in the
// style table's order: polygons filled (rings grouped into polygons by the sign of their area),
// lines widened into strips with miter joins (bevels where sharp), markers as small octagons; and the tile's labels.
#include "map/map.h"
#include "map/map_internal.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace map {

size_t TileMesh::bytes() const {
    size_t n = sizeof(TileMesh) + vertices.capacity() * sizeof(Vertex) + indices.capacity() * sizeof(uint32_t) +
               ranges.capacity() * sizeof(Range) + labels.capacity() * sizeof(Label);
    for (const Label& l : labels) n += l.text.capacity() + l.lang.capacity();
    return n;
}

namespace {

constexpr uint32_t kMaxRangeVertices = 65535;

// The geometry of one style rule, features appended in tile order. `pieces` marks where each
// feature's vertices begin, so the mesh can be cut into 16-bit ranges between features.
struct Bucket {
    std::vector<Vertex> v;
    std::vector<uint32_t> i;
    std::vector<std::pair<uint32_t, uint32_t>> pieces;   // (first vertex, first index)
    void begin_piece() { pieces.emplace_back((uint32_t)v.size(), (uint32_t)i.size()); }
};

double ring_area(const std::vector<Point>& r) {
    double a = 0;
    for (size_t k = 0; k < r.size(); k++) {
        const Point &p = r[k], &q = r[(k + 1) % r.size()];
        a += (double)p.x * q.y - (double)q.x * p.y;
    }
    return a;
}

void fill(const Feature& f, float inv_extent, uint32_t color, Bucket* b) {
    // MVT 2: an exterior ring has positive area in tile coordinates, its holes follow with negative
    // area. The first ring's sign is taken as the exterior's (tolerant of version 1 writers).
    std::vector<std::vector<Vec2>> rings;
    std::vector<Vec2> pts;
    std::vector<uint32_t> tris;
    double exterior_sign = 0;
    auto flush = [&] {
        if (rings.empty()) return;
        pts.clear(), tris.clear();
        triangulate(rings, &pts, &tris);   // a polygon it cannot cut is drawn with what it cut
        if (!tris.empty()) {
            b->begin_piece();
            const uint32_t base = (uint32_t)b->v.size();
            for (const Vec2& p : pts) b->v.push_back(Vertex{p.x * inv_extent, p.y * inv_extent, color});
            for (uint32_t t : tris) b->i.push_back(base + t);
        }
        rings.clear();
    };
    for (const auto& part : f.parts) {
        const double a = ring_area(part);
        if (a == 0) continue;
        if (exterior_sign == 0) exterior_sign = a;
        if ((a > 0) == (exterior_sign > 0)) flush();
        else if (rings.empty()) continue;   // a hole without its exterior
        std::vector<Vec2> ring;
        ring.reserve(part.size());
        for (const Point& p : part) ring.push_back(Vec2{(float)p.x, (float)p.y});
        rings.push_back(std::move(ring));
    }
    flush();
}

// A polyline as one strip of width w (tile-local units): two vertices per point, on the miter
// line of its joint, so consecutive quads share them. A joint turning sharper than about 120
// degrees (the miter would reach past twice the half-width) gets a bevel instead: the quads end
// square and two triangles fill the wedges on both sides.
void stroke(const std::vector<Point>& part, float inv_extent, float w, uint32_t color, Bucket* b) {
    std::vector<Vec2> p;
    p.reserve(part.size());
    for (const Point& q : part) {
        const Vec2 v{q.x * inv_extent, q.y * inv_extent};
        if (p.empty() || v.x != p.back().x || v.y != p.back().y) p.push_back(v);
    }
    if (p.size() < 2) return;
    b->begin_piece();
    const float h = w * 0.5f;
    std::vector<Vec2> normal(p.size() - 1);   // unit normal of each segment
    for (size_t k = 0; k + 1 < p.size(); k++) {
        const float dx = p[k + 1].x - p[k].x, dy = p[k + 1].y - p[k].y;
        const float len = std::sqrt(dx * dx + dy * dy);
        normal[k] = Vec2{-dy / len, dx / len};
    }
    auto pair = [&](Vec2 at, Vec2 off) {   // left and right vertex; returns the left's index
        const uint32_t i = (uint32_t)b->v.size();
        b->v.push_back({at.x + off.x, at.y + off.y, color});
        b->v.push_back({at.x - off.x, at.y - off.y, color});
        return i;
    };
    uint32_t start = pair(p[0], Vec2{normal[0].x * h, normal[0].y * h});
    for (size_t k = 1; k < p.size(); k++) {
        const Vec2 n1 = normal[k - 1];
        uint32_t end, next_start;
        if (k + 1 == p.size()) {
            end = pair(p[k], Vec2{n1.x * h, n1.y * h});
            next_start = end;
        } else {
            const Vec2 n2 = normal[k];
            const float d = n1.x * n2.x + n1.y * n2.y;
            if (1 + d >= 0.5f) {
                const float s = h / (1 + d);
                end = next_start = pair(p[k], Vec2{(n1.x + n2.x) * s, (n1.y + n2.y) * s});
            } else {
                end = pair(p[k], Vec2{n1.x * h, n1.y * h});
                next_start = pair(p[k], Vec2{n2.x * h, n2.y * h});
                const uint32_t c = (uint32_t)b->v.size();
                b->v.push_back({p[k].x, p[k].y, color});
                b->i.insert(b->i.end(), {c, end, next_start, c, end + 1, next_start + 1});
            }
        }
        b->i.insert(b->i.end(), {start, start + 1, end + 1, start, end + 1, end});
        start = next_start;
    }
}

void marker(const Point& at, float inv_extent, float d, uint32_t color, Bucket* b) {
    b->begin_piece();
    const uint32_t c = (uint32_t)b->v.size();
    const float x = at.x * inv_extent, y = at.y * inv_extent, r = d * 0.5f;
    b->v.push_back({x, y, color});
    for (int k = 0; k < 8; k++) {
        const float a = (float)k * 0.785398163f;
        b->v.push_back({x + r * std::cos(a), y + r * std::sin(a), color});
    }
    for (uint32_t k = 0; k < 8; k++) b->i.insert(b->i.end(), {c, c + 1 + k, c + 1 + (k + 1) % 8});
}

// Where a line's label goes: the middle (by length) of its longest part.
bool line_anchor(const Feature& f, float inv_extent, float* x, float* y) {
    const std::vector<Point>* best = nullptr;
    double best_len = 0;
    for (const auto& part : f.parts) {
        double len = 0;
        for (size_t k = 0; k + 1 < part.size(); k++)
            len += std::hypot((double)part[k + 1].x - part[k].x, (double)part[k + 1].y - part[k].y);
        if (len > best_len) best_len = len, best = &part;
    }
    if (!best) return false;
    double half = best_len / 2;
    for (size_t k = 0; k + 1 < best->size(); k++) {
        const Point &a = (*best)[k], &c = (*best)[k + 1];
        const double len = std::hypot((double)c.x - a.x, (double)c.y - a.y);
        if (len >= half && len > 0) {
            const double t = half / len;
            *x = (float)((a.x + (c.x - a.x) * t) * inv_extent);
            *y = (float)((a.y + (c.y - a.y) * t) * inv_extent);
            return true;
        }
        half -= len;
    }
    return false;
}

void add_label(const Feature& f, const Layer& layer, std::string_view cls, int zoom, float inv_extent,
               const std::string& lang, TileMesh* mesh) {
    const LabelRule* rule = match_label(layer.name, cls, zoom);
    if (!rule) return;
    Label l;
    const std::string* text = lang.empty() ? nullptr : f.tag("name:" + lang);
    if (text && !text->empty()) {
        l.text = *text, l.lang = lang;
    } else if ((text = f.tag("name")) && !text->empty()) {
        l.text = *text, l.lang = "it";   // the local name: the tiles cover Italy
    } else {
        return;
    }
    if (l.text.size() > 200) return;
    if (f.type == GeomType::Point) {
        if (f.parts.empty() || f.parts[0].empty()) return;
        l.x = f.parts[0][0].x * inv_extent, l.y = f.parts[0][0].y * inv_extent;
    } else if (f.type == GeomType::Line) {
        if (!line_anchor(f, inv_extent, &l.x, &l.y)) return;
    } else {
        return;
    }
    if (l.x < 0 || l.x >= 1 || l.y < 0 || l.y >= 1) return;   // its own tile places it
    l.priority = rule->priority, l.size = rule->size_px, l.rgba = rule->rgba;
    mesh->labels.push_back(std::move(l));
}

}  // namespace

TileMesh build_mesh(TileId id, const DecodedTile& tile, const std::string& lang) {
    TileMesh mesh;
    mesh.id = id;
    std::map<int, Bucket> buckets;   // by style order
    std::vector<const StyleRule*> rules;
    static const std::string kNone;
    for (const Layer& layer : tile.layers) {
        const float inv_extent = 1.0f / (float)layer.extent;
        for (const Feature& f : layer.features) {
            const std::string* cls_tag = f.tag("class");
            const std::string& cls = cls_tag ? *cls_tag : kNone;
            add_label(f, layer, cls, id.z, inv_extent, lang, &mesh);
            match_styles(layer.name, cls, f.type, id.z, &rules);
            for (const StyleRule* r : rules) {
                Bucket& b = buckets[r->order];
                if (r->paint == Paint::Fill) {
                    fill(f, inv_extent, r->rgba, &b);
                } else if (r->paint == Paint::Line) {
                    const float w = line_width_px(*r, id.z) / (float)tile_px();
                    for (const auto& part : f.parts) stroke(part, inv_extent, w, r->rgba, &b);
                } else {
                    for (const auto& part : f.parts)
                        for (const Point& p : part) marker(p, inv_extent, r->width_px / (float)tile_px(), r->rgba, &b);
                }
            }
        }
    }
    // Concatenate in drawing order, cutting a new range before a feature that would not fit.
    TileMesh::Range cur;
    for (auto& [order, b] : buckets) {
        (void)order;
        for (size_t p = 0; p < b.pieces.size(); p++) {
            const uint32_t v0 = b.pieces[p].first, i0 = b.pieces[p].second;
            const uint32_t v1 = p + 1 < b.pieces.size() ? b.pieces[p + 1].first : (uint32_t)b.v.size();
            const uint32_t i1 = p + 1 < b.pieces.size() ? b.pieces[p + 1].second : (uint32_t)b.i.size();
            const uint32_t nv = v1 - v0;
            if (nv > kMaxRangeVertices) continue;   // one feature beyond 16-bit indices: left out
            if (cur.vertex_count + nv > kMaxRangeVertices) {
                mesh.ranges.push_back(cur);
                cur = TileMesh::Range{(uint32_t)mesh.indices.size(), 0, (uint32_t)mesh.vertices.size(), 0};
            }
            const uint32_t shift = (uint32_t)mesh.vertices.size() - v0;
            mesh.vertices.insert(mesh.vertices.end(), b.v.begin() + v0, b.v.begin() + v1);
            for (uint32_t k = i0; k < i1; k++) mesh.indices.push_back(b.i[k] + shift);
            cur.vertex_count += nv;
            cur.index_count += i1 - i0;
        }
    }
    if (cur.index_count > 0) mesh.ranges.push_back(cur);
    mesh.vertices.shrink_to_fit();
    mesh.indices.shrink_to_fit();
    return mesh;
}

}  // namespace map
