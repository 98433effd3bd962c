// Glyph atlas: FreeType rasterization by glyph id into an 8-bit coverage bitmap.
//
// Index
//   [SECTION] Packing
//   [SECTION] Growth and eviction (only at begin_frame)
//   [SECTION] Rasterization
//
// Rules: coordinates handed out during a frame stay valid until the next begin_frame(), so a
// draw list built during the frame is consistent. When a glyph does not fit, glyph() says "no
// bitmap" for this frame and sets `overflow`; the next begin_frame() doubles the atlas (up to
// atlas_max) or, at the maximum, evicts the least recently used glyphs and repacks the others.
// Engine::needs_redraw() tells the app to draw one more frame.
// Sizes are rasterized exactly at the quarter-pixel size of the layout (quantize_size), and at
// one of four horizontal quarter-pixel phases (the outline is shifted before rendering). A haloed
// glyph's box is the bitmap grown by a pixel on every side; its halo there is each pixel's most
// covered of itself and its four neighbours, packed with the glyph's own coverage (halo_texel).
#include "text_internal.h"

#include <algorithm>
#include <cstring>
#include FT_OUTLINE_H

namespace text {

static const int kPad = 1;   // empty pixels between glyphs so bilinear sampling never bleeds

// [SECTION] Packing ------------------------------------------------------------------------------

void Atlas::init(int initial, int max) {
    max_size = std::max(64, max);
    width = height = std::min(std::max(64, initial), max_size);
    coverage.assign((size_t)width * height, 0);
    shelf_x = shelf_y = shelf_h = 0;
    entries.clear();
    mark_dirty(0, 0, width, height);
}

bool Atlas::alloc(int w, int h, int* x, int* y) {
    if (shelf_x + w + kPad > width) {   // next shelf
        shelf_y += shelf_h;
        shelf_x = 0;
        shelf_h = 0;
    }
    if (shelf_x + w + kPad > width || shelf_y + h + kPad > height) return false;
    *x = shelf_x + kPad;
    *y = shelf_y + kPad;
    shelf_x += w + kPad;
    shelf_h = std::max(shelf_h, h + kPad);
    return true;
}

void Atlas::mark_dirty(int x0, int y0, int x1, int y1) {
    if (dirty_x0 >= dirty_x1 || dirty_y0 >= dirty_y1) {
        dirty_x0 = x0; dirty_y0 = y0; dirty_x1 = x1; dirty_y1 = y1;
        return;
    }
    dirty_x0 = std::min(dirty_x0, x0);
    dirty_y0 = std::min(dirty_y0, y0);
    dirty_x1 = std::max(dirty_x1, x1);
    dirty_y1 = std::max(dirty_y1, y1);
}

// [SECTION] Growth and eviction ------------------------------------------------------------------

void Atlas::grow() {
    int nw = std::min(width * 2, max_size), nh = std::min(height * 2, max_size);
    std::vector<uint8_t> next((size_t)nw * nh, 0);
    for (int y = 0; y < height; y++) memcpy(&next[(size_t)y * nw], &coverage[(size_t)y * width], (size_t)width);
    coverage.swap(next);
    width = nw;
    height = nh;
    generation++;   // the texture must be re-created at the new size
    dirty_x0 = dirty_x1 = 0;
    mark_dirty(0, 0, width, height);
}

// Keeps the glyphs of the frame just drawn (all that fit) and then older ones by recency while
// they stay under half the atlas area, packed anew; drops the rest. Keeping the whole last frame
// first avoids thrashing when one screen needs more than half the atlas.
void Atlas::evict_lru() {
    std::vector<std::pair<uint64_t, AtlasKey>> order;   // (last_frame, key)
    for (auto& [key, e] : entries)
        if (e.has_bitmap) order.push_back({e.last_frame, key});
    std::sort(order.begin(), order.end(), [](auto& a, auto& b) { return a.first > b.first; });
    std::vector<uint8_t> old(coverage.size(), 0);
    old.swap(coverage);
    shelf_x = shelf_y = shelf_h = 0;
    long budget = (long)width * height / 2 - overflow_area;
    for (auto& [frame_used, key] : order) {
        AtlasEntry& e = entries[key];
        long area = (long)(e.g.w + kPad) * (e.g.h + kPad);
        int x = 0, y = 0;
        bool last_frame = frame_used + 1 >= frame;   // frame was already advanced by begin_frame()
        if ((!last_frame && budget < area) || !alloc(e.g.w, e.g.h, &x, &y)) {
            entries.erase(key);
            evictions++;
            continue;
        }
        budget -= area;
        for (int r = 0; r < e.g.h; r++)
            memcpy(&coverage[(size_t)(y + r) * width + x], &old[(size_t)(e.g.y + r) * width + e.g.x], e.g.w);
        e.g.x = (uint16_t)x;
        e.g.y = (uint16_t)y;
    }
    mark_dirty(0, 0, width, height);
}

void Atlas::begin_frame() {
    frame++;
    if (!overflow) return;
    if (width < max_size || height < max_size) grow();
    else evict_lru();
    overflow = false;
    overflow_area = 0;
}

// [SECTION] Rasterization ------------------------------------------------------------------------

bool Engine::Impl::rasterize(uint16_t font, uint32_t glyph_id, int size_q, int phase, bool halo, AtlasEntry* out) {
    *out = AtlasEntry{};
    if (!ensure_loaded(font)) return true;   // remembered as "no bitmap"
    Font& f = fonts[font];
    FT_Face face = f.ft_face.get();
    if (f.ft_size_q != size_q) {
        if (FT_Set_Char_Size(face, 0, (FT_F26Dot6)size_q * 16, 72, 72) != 0) return true;
        f.ft_size_q = size_q;
    }
    if (FT_Load_Glyph(face, glyph_id, FT_LOAD_TARGET_LIGHT) != 0) return true;
    if (face->glyph->format == FT_GLYPH_FORMAT_OUTLINE && phase > 0)
        FT_Outline_Translate(&face->glyph->outline, phase * 16, 0);   // 26.6: 16 = 1/4 px
    if (FT_Render_Glyph(face->glyph, FT_RENDER_MODE_LIGHT) != 0) return true;
    const FT_Bitmap& bm = face->glyph->bitmap;
    if (bm.width == 0 || bm.rows == 0 || bm.pixel_mode != FT_PIXEL_MODE_GRAY) return true;
    const int grow = halo ? 1 : 0;
    const int bw = (int)bm.width, bh = (int)bm.rows;
    const int w = bw + 2 * grow, h = bh + 2 * grow;
    if (w + 2 * kPad > atlas.max_size || h + 2 * kPad > atlas.max_size) return true;   // never fits
    int x = 0, y = 0;
    if (!atlas.alloc(w, h, &x, &y)) {
        atlas.overflow = true;
        atlas.overflow_area += (long)(w + kPad) * (h + kPad);
        return false;
    }
    // Coverage of the bitmap at (c, r), zero outside it.
    auto at = [&](int c, int r) -> uint8_t {
        return c >= 0 && r >= 0 && c < bw && r < bh ? bm.buffer[(ptrdiff_t)r * bm.pitch + c] : 0;
    };
    for (int r = 0; r < h; r++) {
        uint8_t* dst = &atlas.coverage[(size_t)(y + r) * atlas.width + x];
        if (!halo) {
            memcpy(dst, bm.buffer + (ptrdiff_t)r * bm.pitch, (size_t)w);
            continue;
        }
        for (int c = 0; c < w; c++) {
            const int bc = c - 1, br = r - 1;
            dst[c] = halo_texel(std::max({at(bc, br), at(bc - 1, br), at(bc + 1, br), at(bc, br - 1), at(bc, br + 1)}),
                                at(bc, br));
        }
    }
    atlas.mark_dirty(x, y, x + w, y + h);
    out->has_bitmap = true;
    out->g = {(uint16_t)x, (uint16_t)y, (uint16_t)w, (uint16_t)h, (int16_t)(face->glyph->bitmap_left - grow),
              (int16_t)(-face->glyph->bitmap_top - grow)};
    return true;
}

}  // namespace text
