// draw_layout: one textured quad per glyph with a bitmap, at the pen position plus bearing, with
// UVs pointing at the glyph's atlas rectangle, aligned in its box by direction.
#include "text_draw.h"
#include "text_test_util.h"

#include <catch2/catch.hpp>
#include <imgui_internal.h>   // ImDrawListSharedData: a draw list without an ImGui context

#include <cmath>

using text_test::engine;
using text_test::style;

namespace {

struct DrawList {
    ImDrawListSharedData shared;
    ImDrawList list{&shared};
    DrawList() {
        list._ResetForNewFrame();
        list.PushClipRect(ImVec2(-10000, -10000), ImVec2(10000, 10000));
    }
};

int glyphs_with_bitmap(const text::Layout& L) {
    int n = 0;
    for (const text::Glyph& g : L.glyphs) n += engine().glyph(g.font, g.glyph_id, L.style.size_px, nullptr);
    return n;
}

}  // namespace

TEST_CASE("draw: one quad per inked glyph, placed at pen + bearing with the atlas UVs", "[text][draw]") {
    REQUIRE(engine().ok());
    engine().begin_frame();
    auto L = engine().layout("Sportello 24", style("it", 32));
    int inked = glyphs_with_bitmap(*L);
    REQUIRE(inked == 11);   // 12 characters, and the space has no bitmap
    DrawList d;
    ImTextureID tex = (ImTextureID)(intptr_t)42;
    text::draw_layout(&d.list, engine(), tex, *L, ImVec2(100, 50), 1000, text::Align::Start, IM_COL32(255, 0, 0, 255));
    REQUIRE(d.list.VtxBuffer.Size == inked * 4);
    REQUIRE(d.list.IdxBuffer.Size == inked * 6);
    bool textured = false;
    for (const ImDrawCmd& cmd : d.list.CmdBuffer) textured |= cmd.TextureId == tex && cmd.ElemCount == (unsigned)inked * 6;
    CHECK(textured);
    const text::AtlasPixels& px = engine().atlas();
    const text::Glyph& s = L->glyphs[0];
    text::AtlasGlyph ag;
    REQUIRE(engine().glyph(s.font, s.glyph_id, 32, &ag));
    const ImDrawVert& v0 = d.list.VtxBuffer[0];   // top-left corner of the first quad
    CHECK(v0.pos.x == std::floor(100 + s.x + 0.5f) + ag.bearing_x);
    CHECK(v0.pos.y == std::floor(50 + L->lines[0].baseline + s.y + 0.5f) + ag.bearing_y);
    CHECK(v0.uv.x == Approx((float)ag.x / px.width));
    CHECK(v0.uv.y == Approx((float)ag.y / px.height));
    CHECK(v0.col == IM_COL32(255, 0, 0, 255));
    const ImDrawVert& v2 = d.list.VtxBuffer[2];   // bottom-right
    CHECK(v2.pos.x - v0.pos.x == ag.w);
    CHECK(v2.pos.y - v0.pos.y == ag.h);
}

TEST_CASE("draw: Start aligns right-to-left text to the right edge of its box", "[text][draw]") {
    REQUIRE(engine().ok());
    engine().begin_frame();
    auto L = engine().layout("مكتب الهجرة", style("ar", 32));
    REQUIRE(L->rtl);
    DrawList d;
    text::draw_layout(&d.list, engine(), (ImTextureID)(intptr_t)1, *L, ImVec2(0, 0), 800, text::Align::Start,
                      IM_COL32_WHITE);
    REQUIRE(d.list.VtxBuffer.Size > 0);
    float min_x = 1e9f, max_x = -1e9f;
    for (const ImDrawVert& v : d.list.VtxBuffer) { min_x = std::min(min_x, v.pos.x); max_x = std::max(max_x, v.pos.x); }
    CHECK(max_x <= 800 + 2);                          // ink may overhang by a pixel of bearing
    CHECK(max_x >= 800 - 0.25f * 32);                 // but it hugs the right edge
    CHECK(min_x >= 800 - L->width - 4);
}
