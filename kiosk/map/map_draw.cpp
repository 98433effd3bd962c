// draw(): the visible tiles of a camera through an ImDrawList, then their labels.
//
// Tiles: the data zoom is the camera's zoom rounded, kept within the file's range (above its
// max_zoom the max-zoom tiles are drawn scaled). Each tile's mesh is written straight into the
// draw list (PrimReserve, one pass over its vertices), clipped to the tile's square so the
// buffer geometry MVT tiles carry past their edges never paints over a neighbour. A tile not ready
// yet gets the nearest ready ancestor, scaled and clipped to the same square (or, zooming out,
// its ready children); the request for the tile itself stays queued. Nothing here waits for the worker.
//
// Labels: candidates from every drawn mesh, placed greedily; the ones shown last frame first (so
// a label does not jump or blink while panning), then by priority. A placed label reserves its
// box; a candidate overlapping a box, or repeating a name already shown nearby, is dropped.
#include "map/map.h"
#include "map/map_images.h"
#include "map/map_internal.h"

#include "text.h"
#include "text_draw.h"

#include <imgui.h>
#include <imgui_internal.h>   // ImDrawListSharedData::TexUvWhitePixel (no ImGui context needed)

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace map {

namespace {

constexpr int kMaxTilesPerFrame = 256;   // beyond that the view is far outside the data's zooms
constexpr int kMaxLabels = 80;
constexpr float kLabelPad = 3.0f;
constexpr float kSameNameDistance = 400.0f;   // px between two labels of one name

struct Square { float x, y, size; };   // a tile on screen

struct Candidate {
    const Label* label;
    float x, y;       // anchor on screen
    bool kept;
};

struct Box {
    float x0, y0, x1, y1;
    bool overlaps(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

// A halo in the land's light colour keeps a name legible over roads and fills. Static: the
// renderer reads it through the callback's pointer when the frame is drawn.
const uint32_t kHalo = IM_COL32(250, 248, 244, 235);

void draw_labels(ImDrawList* dl, text::Engine& engine, void* atlas, TileCache& cache, std::vector<Candidate>& cands,
                 float x0, float y0, float w, float h, ProgramCallback halo_text, DrawStats* stats) {
    // Each glyph and its halo in one quad (llvmpipe's cost goes with the triangles as much as
    // with the pixels: two quads a glyph were half of a map frame's vertices).
    if (halo_text) dl->AddCallback(halo_text, (void*)&kHalo);
    TileCache::LabelMemory& memory = cache.label_memory();
    const std::unordered_set<std::string> kept(memory.kept.begin(), memory.kept.end());
    for (Candidate& c : cands) c.kept = kept.count(c.label->text) > 0;
    std::sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) {
        if (a.kept != b.kept) return a.kept;
        if (a.label->priority != b.label->priority) return a.label->priority > b.label->priority;
        if (a.label->text != b.label->text) return a.label->text < b.label->text;
        return a.y != b.y ? a.y < b.y : a.x < b.x;
    });
    std::vector<Box> boxes;
    std::vector<std::pair<const std::string*, ImVec2>> shown;
    memory.kept.clear();
    for (const Candidate& c : cands) {
        if ((int)boxes.size() >= kMaxLabels) break;
        bool repeat = false;
        for (const auto& [name, at] : shown)
            if (*name == c.label->text && std::hypot(at.x - c.x, at.y - c.y) < kSameNameDistance) repeat = true;
        if (repeat) continue;
        text::Style style;
        style.size_px = c.label->size;
        style.lang = c.label->lang;
        auto layout = engine.layout(c.label->text, style);
        const Box box{c.x - layout->width / 2 - kLabelPad, c.y - layout->height / 2 - kLabelPad,
                      c.x + layout->width / 2 + kLabelPad, c.y + layout->height / 2 + kLabelPad};
        if (box.x0 < x0 || box.y0 < y0 || box.x1 > x0 + w || box.y1 > y0 + h) continue;
        bool free = true;
        for (const Box& b : boxes)
            if (b.overlaps(box)) { free = false; break; }
        if (!free) continue;
        boxes.push_back(box);
        shown.emplace_back(&c.label->text, ImVec2(c.x, c.y));
        memory.kept.push_back(c.label->text);
        const ImVec2 tl(std::round(box.x0 + kLabelPad), std::round(box.y0 + kLabelPad));
        stats->labels_drawn++;
        text::draw_layout_haloed(dl, engine, atlas, *layout, tl, layout->width, text::Align::Start, c.label->rgba);
    }
    if (halo_text) dl->AddCallback(ImDrawCallback_ResetRenderState, nullptr);
}

}  // namespace

void draw_mesh(ImDrawList* dl, const TileMesh& mesh, float x, float y, float size, ImVec2 clip_min, ImVec2 clip_max) {
    if (mesh.indices.empty()) return;
    dl->PushClipRect(clip_min, clip_max, true);
    const ImVec2 uv = dl->_Data->TexUvWhitePixel;
    for (const TileMesh::Range& r : mesh.ranges) {
        dl->PrimReserve((int)r.index_count, (int)r.vertex_count);
        ImDrawVert* vw = dl->_VtxWritePtr;
        ImDrawIdx* iw = dl->_IdxWritePtr;
        const uint32_t base = dl->_VtxCurrentIdx;
        const Vertex* v = mesh.vertices.data() + r.first_vertex;
        for (uint32_t k = 0; k < r.vertex_count; k++) {
            vw[k].pos = ImVec2(x + v[k].x * size, y + v[k].y * size);
            vw[k].uv = uv;
            vw[k].col = v[k].rgba;
        }
        const uint32_t* idx = mesh.indices.data() + r.first_index;
        for (uint32_t k = 0; k < r.index_count; k++) iw[k] = (ImDrawIdx)(base + idx[k] - r.first_vertex);
        dl->_VtxWritePtr += r.vertex_count;
        dl->_IdxWritePtr += r.index_count;
        dl->_VtxCurrentIdx += r.vertex_count;
    }
    dl->PopClipRect();
}

namespace {

// One draw()'s view and what it collects: label candidates, and the images to draw after the
// triangles (tiles never overlap, so the order between the two does not matter).
struct View {
    ImDrawList* dl;
    TileCache& cache;
    const std::string& lang;
    const Camera& camera;
    const TileSetInfo& info;
    float x0, y0, w, h;
    double world;                       // world_px(camera.zoom)
    TileImages::Impl* images;           // null: triangles only
    ProgramCallback opaque;             // draws opaque fills without blending, if given
    DrawStats stats;
    std::vector<Candidate> cands;
    std::vector<TileId> drawn_ancestors;
    struct Quad { void* texture; ImVec2 a, b, uv0, uv1; };
    std::vector<Quad> quads;

    Square square(TileId t) const {
        const int n = 1 << t.z;
        return Square{(float)(x0 + w * 0.5 + ((double)t.x / n - camera.center.x) * world),
                      (float)(y0 + h * 0.5 + ((double)t.y / n - camera.center.y) * world), (float)(world / n)};
    }
    void add_labels(const TileMesh& mesh, Square sq) {
        for (const Label& l : mesh.labels) {
            if (camera.zoom + 0.5 < l.min_zoom) continue;
            const float lx = sq.x + l.x * sq.size, ly = sq.y + l.y * sq.size;
            if (lx >= x0 && ly >= y0 && lx < x0 + w && ly < y0 + h) cands.push_back(Candidate{&l, lx, ly, false});
        }
    }
    void add_ancestor_labels(TileId a) {
        if (std::find(drawn_ancestors.begin(), drawn_ancestors.end(), a) != drawn_ancestors.end()) return;
        drawn_ancestors.push_back(a);
        if (const TileMesh* mesh = cache.peek(a, lang)) add_labels(*mesh, square(a));
    }
    // The part (u0, v0)-(u1, v1) of an image (fractions of its side) on the square, corners on
    // whole pixels so that neighbouring tiles meet without a seam and texels land on pixels. The
    // image's pieces that meet the part: solid ones as plain fills straight into the draw list
    // (among the opaque fills: tiles never overlap), or not at all where they are the land, which
    // the ground shows; the others as parts of the image. Every
    // piece edge is placed by one expression, so pieces meet without a seam at any scale.
    void add_image(const TileImages::Impl::Entry& e, Square sq, float u0 = 0, float v0 = 0, float u1 = 1, float v1 = 1) {
        const ImVec2 a(std::round(sq.x), std::round(sq.y)), b(std::round(sq.x + sq.size), std::round(sq.y + sq.size));
        if (e.pieces.empty()) {
            quads.push_back({e.image->texture(), a, b, ImVec2(u0, v0), ImVec2(u1, v1)});
            return;
        }
        const float side = (float)e.size;
        const float px0 = u0 * side, py0 = v0 * side, px1 = u1 * side, py1 = v1 * side;   // the part in pixels
        const float kx = (b.x - a.x) / (px1 - px0), ky = (b.y - a.y) / (py1 - py0);
        for (const ImagePiece& p : e.pieces) {
            const float x0 = std::max((float)p.x0, px0), y0 = std::max((float)p.y0, py0);
            const float x1 = std::min((float)p.x1, px1), y1 = std::min((float)p.y1, py1);
            if (x0 >= x1 || y0 >= y1 || p.rgba == kLand) continue;
            const ImVec2 pa(a.x + (x0 - px0) * kx, a.y + (y0 - py0) * ky), pb(a.x + (x1 - px0) * kx, a.y + (y1 - py0) * ky);
            if (p.rgba) dl->AddRectFilled(pa, pb, p.rgba);
            else quads.push_back({e.image->texture(), pa, pb, ImVec2(x0 / side, y0 / side), ImVec2(x1 / side, y1 / side)});
        }
    }
};

// An image that stands in for the tile `id` (square sq): the nearest ancestor's part of its
// image, else the children's images. False when there is none.
bool image_stand_in(View& v, TileId id, Square sq) {
    for (TileId a = id; a.z > v.info.min_zoom;) {
        a = parent(a);
        if (const TileImages::Impl::Entry* e = v.images->find(a)) {
            const int k = 1 << (id.z - a.z);
            const float fx = (float)(id.x - a.x * k), fy = (float)(id.y - a.y * k);
            v.add_image(*e, sq, fx / k, fy / k, (fx + 1) / k, (fy + 1) / k);
            v.add_ancestor_labels(a);
            return true;
        }
    }
    if (id.z >= v.info.max_zoom) return false;
    int found = 0;
    for (int c = 0; c < 4; c++) {
        const TileId child{id.z + 1, 2 * id.x + (c & 1), 2 * id.y + (c >> 1)};
        if (const TileImages::Impl::Entry* e = v.images->find(child)) {
            v.add_image(*e, Square{sq.x + (c & 1) * sq.size * 0.5f, sq.y + (c >> 1) * sq.size * 0.5f, sq.size * 0.5f},
                        0, 0, 1, 1);
            found++;
        }
    }
    return found > 0;
}

// The tile's own image, rendered now if it has none (or one of a scale too far off, once the
// zoom stays still) and this frame's budget allows. Null when the tile has no image to draw.
const TileImages::Impl::Entry* own_image(View& v, TileId id, Square sq, const TileMesh* mesh) {
    TileImages::Impl& images = *v.images;
    TileImages::Impl::Entry* e = images.find(id);
    if (!mesh) return e;
    // Large views above the file's zooms draw their tiles scaled up rather than hold huge images.
    const int want = std::clamp((int)std::lround(sq.size), 16, 512);
    const bool stale = e && std::fabs((double)want / e->size - 1) > images.config.rescale;
    if (e && !stale) return e;
    if (e && !images.settled) {
        images.pending = true;   // once the zoom stops
        return e;
    }
    if (TileImages::Impl::Entry* r = images.render(id, *mesh, want, &v.stats)) return r;
    return e;
}

void draw_tile(View& v, TileId id) {
    v.stats.tiles_visible++;
    const Square sq = v.square(id);
    const ImVec2 cmin(sq.x, sq.y), cmax(sq.x + sq.size, sq.y + sq.size);
    const TileMesh* mesh = v.cache.get(id, v.lang);
    if (v.images) {
        if (const TileImages::Impl::Entry* e = own_image(v, id, sq, mesh)) {
            v.add_image(*e, sq);
            if (mesh) v.add_labels(*mesh, sq);
            v.stats.tiles_own++;
            return;
        }
        if (image_stand_in(v, id, sq)) {
            if (mesh) v.add_labels(*mesh, sq);
            v.stats.tiles_substituted++;
            return;
        }
    }
    if (mesh) {
        draw_mesh(v.dl, *mesh, sq.x, sq.y, sq.size, cmin, cmax);
        v.add_labels(*mesh, sq);
        v.stats.tiles_own++;
        v.stats.tiles_vector++;
        return;
    }
    for (TileId a = id; a.z > v.info.min_zoom;) {
        a = parent(a);
        if (const TileMesh* am = v.cache.peek(a, v.lang)) {
            const Square asq = v.square(a);
            draw_mesh(v.dl, *am, asq.x, asq.y, asq.size, cmin, cmax);
            v.add_ancestor_labels(a);
            v.stats.tiles_substituted++;
            v.stats.tiles_vector++;
            return;
        }
    }
    // Zooming out: the children drawn a moment ago are still there to stand in.
    if (id.z >= v.info.max_zoom) return;
    int found = 0;
    for (int c = 0; c < 4; c++) {
        const TileId child{id.z + 1, 2 * id.x + (c & 1), 2 * id.y + (c >> 1)};
        if (const TileMesh* cm = v.cache.peek(child, v.lang)) {
            const Square csq{sq.x + (c & 1) * sq.size * 0.5f, sq.y + (c >> 1) * sq.size * 0.5f, sq.size * 0.5f};
            draw_mesh(v.dl, *cm, csq.x, csq.y, csq.size, ImVec2(csq.x, csq.y), ImVec2(csq.x + csq.size, csq.y + csq.size));
            found++;
        }
    }
    v.stats.tiles_substituted += found > 0;
    v.stats.tiles_vector += found > 0;
}

}  // namespace

DrawStats draw(ImDrawList* dl, text::Engine& engine, void* atlas, TileCache& cache, const Camera& camera,
               float x0, float y0, float w, float h, const std::string& lang, ProgramCallback opaque,
               TileImages* images, ProgramCallback halo_text) {
    const ImVec2 view_min(x0, y0), view_max(x0 + w, y0 + h);
    dl->PushClipRect(view_min, view_max, true);
    // Every colour of the tiles is opaque: no blend, no texture fetch needed.
    if (opaque) dl->AddCallback(opaque, nullptr);
    const TileSetInfo& info = cache.info();
    // The zoom's own level, as MapLibre chooses it: its tiles are drawn at 1 to 2 times their size,
    // each image rendered at the view's scale (rounding would draw them at 0.7 to 1.4: at 1080p up
    // to 66 tiles a view against 40, and llvmpipe's cost goes with the number of images).
    const int z = std::clamp((int)std::floor(camera.zoom), info.min_zoom, info.max_zoom);
    const int n = 1 << z;
    View v{dl, cache, lang, camera, info, x0, y0, w, h, world_px(camera.zoom), images ? &images->impl() : nullptr, opaque, {}, {}, {}, {}};
    if (v.images) v.images->begin_frame(camera.zoom);

    // Visible tiles, within the file's bounds (outside them there is nothing to ask for).
    const World tl = screen_to_world(camera, x0, y0, w, h, x0, y0);
    const World br = screen_to_world(camera, x0, y0, w, h, x0 + w, y0 + h);
    const World bmin = project(LonLat{info.west, info.north}), bmax = project(LonLat{info.east, info.south});
    auto tile_of = [&](double t) { return (int)std::clamp(std::floor(t * n), 0.0, (double)(n - 1)); };
    const int tx0 = tile_of(std::max(tl.x, bmin.x)), tx1 = tile_of(std::min(br.x, bmax.x));
    const int ty0 = tile_of(std::max(tl.y, bmin.y)), ty1 = tile_of(std::min(br.y, bmax.y));
    const bool any = tl.x < bmax.x && br.x > bmin.x && tl.y < bmax.y && br.y > bmin.y;
    const long count = any ? (long)(tx1 - tx0 + 1) * (ty1 - ty0 + 1) : 0;
    if (count > 0 && count <= kMaxTilesPerFrame)
        for (int ty = ty0; ty <= ty1; ty++)
            for (int tx = tx0; tx <= tx1; tx++) draw_tile(v, TileId{z, tx, ty});
    // The images' texels are opaque too: with a callback for them, drawn without blending.
    const ProgramCallback opaque_images = v.images && !v.quads.empty() ? v.images->config.opaque : nullptr;
    if (opaque_images) dl->AddCallback(opaque_images, nullptr);
    else if (opaque) dl->AddCallback(ImDrawCallback_ResetRenderState, nullptr);
    for (const View::Quad& q : v.quads) dl->AddImage(q.texture, q.a, q.b, q.uv0, q.uv1);
    if (opaque_images) dl->AddCallback(ImDrawCallback_ResetRenderState, nullptr);
    draw_labels(dl, engine, atlas, cache, v.cands, x0, y0, w, h, halo_text, &v.stats);
    dl->PopClipRect();
    return v.stats;
}

}  // namespace map
