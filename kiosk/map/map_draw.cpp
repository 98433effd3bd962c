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

void draw_mesh(ImDrawList* dl, const TileMesh& mesh, Square at, ImVec2 clip_min, ImVec2 clip_max) {
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
            vw[k].pos = ImVec2(at.x + v[k].x * at.size, at.y + v[k].y * at.size);
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

struct Candidate {
    const Label* label;
    float x, y;       // anchor on screen
    bool kept;
};

struct Box {
    float x0, y0, x1, y1;
    bool overlaps(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

void draw_labels(ImDrawList* dl, text::Engine& engine, void* atlas, TileCache& cache,
                 std::vector<Candidate>& cands, float x0, float y0, float w, float h, DrawStats* stats) {
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
        // A halo in the background's light colour keeps the name legible over roads and fills.
        const ImU32 halo = IM_COL32(250, 248, 244, 230);
        for (const ImVec2 d : {ImVec2(-1, 0), ImVec2(1, 0), ImVec2(0, -1), ImVec2(0, 1)})
            text::draw_layout(dl, engine, atlas, *layout, ImVec2(tl.x + d.x, tl.y + d.y), layout->width,
                              text::Align::Start, halo);
        text::draw_layout(dl, engine, atlas, *layout, tl, layout->width, text::Align::Start, c.label->rgba);
        stats->labels_drawn++;
    }
}

}  // namespace

DrawStats draw(ImDrawList* dl, text::Engine& engine, void* atlas, TileCache& cache, const Camera& camera,
               float x0, float y0, float w, float h, const std::string& lang, OpaqueCallback opaque) {
    DrawStats stats;
    const ImVec2 view_min(x0, y0), view_max(x0 + w, y0 + h);
    dl->PushClipRect(view_min, view_max, true);
    // Every colour of the background and the tiles is opaque: no blend, no texture fetch needed.
    if (opaque) dl->AddCallback(opaque, nullptr);
    dl->AddRectFilled(view_min, view_max, kBackground);
    const TileSetInfo& info = cache.info();
    const int z = std::clamp((int)std::lround(camera.zoom), info.min_zoom, info.max_zoom);
    const int n = 1 << z;
    const double world = world_px(camera.zoom);
    const float size = (float)(world / n);

    // Visible tiles, within the file's bounds (outside them there is nothing to ask for).
    const World tl = screen_to_world(camera, x0, y0, w, h, x0, y0);
    const World br = screen_to_world(camera, x0, y0, w, h, x0 + w, y0 + h);
    const World bmin = project(LonLat{info.west, info.north}), bmax = project(LonLat{info.east, info.south});
    auto tile_of = [&](double v) { return (int)std::clamp(std::floor(v * n), 0.0, (double)(n - 1)); };
    const int tx0 = tile_of(std::max(tl.x, bmin.x)), tx1 = tile_of(std::min(br.x, bmax.x));
    const int ty0 = tile_of(std::max(tl.y, bmin.y)), ty1 = tile_of(std::min(br.y, bmax.y));
    const bool any = tl.x < bmax.x && br.x > bmin.x && tl.y < bmax.y && br.y > bmin.y;
    const long count = any ? (long)(tx1 - tx0 + 1) * (ty1 - ty0 + 1) : 0;

    std::vector<Candidate> cands;
    std::vector<TileId> drawn_ancestors;
    auto add_labels = [&](const TileMesh& mesh, Square sq) {
        for (const Label& l : mesh.labels) {
            if (camera.zoom + 0.5 < l.min_zoom) continue;
            const float lx = sq.x + l.x * sq.size, ly = sq.y + l.y * sq.size;
            if (lx >= x0 && ly >= y0 && lx < x0 + w && ly < y0 + h) cands.push_back(Candidate{&l, lx, ly, false});
        }
    };
    if (count > 0 && count <= kMaxTilesPerFrame) {
        for (int ty = ty0; ty <= ty1; ty++) {
            for (int tx = tx0; tx <= tx1; tx++) {
                stats.tiles_visible++;
                const TileId id{z, tx, ty};
                const Square sq{(float)(x0 + w * 0.5 + ((double)tx / n - camera.center.x) * world),
                                (float)(y0 + h * 0.5 + ((double)ty / n - camera.center.y) * world), size};
                const ImVec2 cmin(sq.x, sq.y), cmax(sq.x + size, sq.y + size);
                if (const TileMesh* mesh = cache.get(id, lang)) {
                    draw_mesh(dl, *mesh, sq, cmin, cmax);
                    add_labels(*mesh, sq);
                    stats.tiles_own++;
                    continue;
                }
                bool covered = false;
                for (TileId a = parent(id); a.z >= info.min_zoom; a = parent(a)) {
                    if (const TileMesh* mesh = cache.peek(a, lang)) {
                        const int an = 1 << a.z;
                        const Square asq{(float)(x0 + w * 0.5 + ((double)a.x / an - camera.center.x) * world),
                                         (float)(y0 + h * 0.5 + ((double)a.y / an - camera.center.y) * world),
                                         (float)(world / an)};
                        draw_mesh(dl, *mesh, asq, cmin, cmax);
                        if (std::find(drawn_ancestors.begin(), drawn_ancestors.end(), a) == drawn_ancestors.end()) {
                            drawn_ancestors.push_back(a);
                            add_labels(*mesh, asq);
                        }
                        stats.tiles_substituted++;
                        covered = true;
                        break;
                    }
                    if (a.z == 0) break;
                }
                // Zooming out: the children drawn a moment ago are still there to stand in.
                if (!covered && z < info.max_zoom) {
                    int found = 0;
                    for (int c = 0; c < 4; c++) {
                        const TileId child{z + 1, 2 * tx + (c & 1), 2 * ty + (c >> 1)};
                        if (const TileMesh* mesh = cache.peek(child, lang)) {
                            const Square csq{sq.x + (c & 1) * size * 0.5f, sq.y + (c >> 1) * size * 0.5f, size * 0.5f};
                            draw_mesh(dl, *mesh, csq, ImVec2(csq.x, csq.y), ImVec2(csq.x + csq.size, csq.y + csq.size));
                            found++;
                        }
                    }
                    stats.tiles_substituted += found > 0;
                }
            }
        }
    }
    if (opaque) dl->AddCallback(ImDrawCallback_ResetRenderState, nullptr);
    draw_labels(dl, engine, atlas, cache, cands, x0, y0, w, h, &stats);
    dl->PopClipRect();
    return stats;
}

}  // namespace map
