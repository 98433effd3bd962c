// Drawing laid-out text as textured quads through an ImDrawList (the only ImGui user of kiosk/text).
#include "text_draw.h"

#include <cmath>

namespace text {

static void draw_glyphs(ImDrawList* draw_list, Engine& engine, ImTextureID atlas, const Layout& layout,
                        ImVec2 top_left, float box_width, Align align, ImU32 color, bool halo) {
    if (!draw_list || layout.glyphs.empty()) return;
    const AtlasPixels& px = engine.atlas();
    float size = layout.style.size_px;
    // Lines wholly outside the clip rectangle (a long scrolled page) are skipped: their glyphs are
    // neither looked up nor marked as used. 3 em above and below the baseline covers every script.
    ImVec2 clip_min = draw_list->GetClipRectMin(), clip_max = draw_list->GetClipRectMax();
    draw_list->PushTextureID(atlas);
    for (const Line& line : layout.lines) {
        float x0 = top_left.x + line_offset(layout, line, box_width, align);
        float base = top_left.y + line.baseline;
        if (base + 3 * size < clip_min.y || base - 3 * size > clip_max.y) continue;
        for (uint32_t r = line.first_run; r < line.first_run + line.run_count; r++) {
            const Run& run = layout.runs[r];
            for (uint32_t i = run.first_glyph; i < run.first_glyph + run.glyph_count; i++) {
                const Glyph& g = layout.glyphs[i];
                // Quarter-pixel pen: whole pixels for the quad, the rest is the rasterized phase.
                float qx = std::floor((x0 + g.x) * 4.0f + 0.5f);
                float ix = std::floor(qx / 4.0f);
                int phase = (int)(qx - ix * 4.0f);
                AtlasGlyph ag;
                const bool has = halo ? engine.haloed_glyph(g.font, g.glyph_id, size, phase, &ag)
                                      : engine.glyph(g.font, g.glyph_id, size, phase, &ag);
                if (!has) continue;
                float x = ix + ag.bearing_x;
                float y = std::floor(base + g.y + 0.5f) + ag.bearing_y;
                // atlas() may not be re-read here: the size cannot change before begin_frame().
                ImVec2 uv0((float)ag.x / px.width, (float)ag.y / px.height);
                ImVec2 uv1((float)(ag.x + ag.w) / px.width, (float)(ag.y + ag.h) / px.height);
                draw_list->PrimReserve(6, 4);
                draw_list->PrimRectUV(ImVec2(x, y), ImVec2(x + ag.w, y + ag.h), uv0, uv1, color);
            }
        }
    }
    draw_list->PopTextureID();
}

void draw_layout(ImDrawList* draw_list, Engine& engine, ImTextureID atlas, const Layout& layout,
                 ImVec2 top_left, float box_width, Align align, ImU32 color) {
    draw_glyphs(draw_list, engine, atlas, layout, top_left, box_width, align, color, false);
}

void draw_layout_haloed(ImDrawList* draw_list, Engine& engine, ImTextureID atlas, const Layout& layout,
                        ImVec2 top_left, float box_width, Align align, ImU32 color) {
    draw_glyphs(draw_list, engine, atlas, layout, top_left, box_width, align, color, true);
}

}  // namespace text
