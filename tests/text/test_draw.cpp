// draw_layout: one textured quad per glyph with a bitmap, at the pen position plus bearing, with
// UVs pointing at the glyph's atlas rectangle, aligned in its box by direction.
#include "text_draw.h"
#include "text_test_util.h"

#include <catch2/catch.hpp>
#include <imgui_internal.h>   // ImDrawListSharedData: a draw list without an ImGui context

#include <algorithm>
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
    for (int q = 0; q < inked; q++) {   // each quad: which atlas entry (by its UVs), and where
        const text::Glyph& g = L->glyphs[q + (q >= 9 ? 1 : 0)];   // glyph 9 is the space
        const ImDrawVert& v0 = d.list.VtxBuffer[q * 4];   // top-left corner
        int found = -1;
        text::AtlasGlyph ag;
        for (int phase = 0; phase < 4 && found < 0; phase++) {
            REQUIRE(engine().glyph(g.font, g.glyph_id, 32, phase, &ag));
            if (v0.uv.x == Approx((float)ag.x / px.width) && v0.uv.y == Approx((float)ag.y / px.height)) found = phase;
        }
        INFO("quad " << q);
        REQUIRE(found >= 0);
        // Whole-pixel quad + quarter-pixel phase reproduce the pen position within 1/8 px.
        CHECK(std::fabs(v0.pos.x - ag.bearing_x + found * 0.25f - (100 + g.x)) <= 0.125f + 1e-4f);
        CHECK(v0.pos.y == std::floor(50 + L->lines[0].baseline + g.y + 0.5f) + ag.bearing_y);
        CHECK(v0.col == IM_COL32(255, 0, 0, 255));
        const ImDrawVert& v2 = d.list.VtxBuffer[q * 4 + 2];   // bottom-right
        CHECK(v2.pos.x - v0.pos.x == ag.w);
        CHECK(v2.pos.y - v0.pos.y == ag.h);
    }
}

TEST_CASE("atlas: the four quarter-pixel phases are distinct rasterizations", "[text][atlas]") {
    REQUIRE(engine().ok());
    engine().begin_frame();
    auto L = engine().layout("l", style("it", 40));
    REQUIRE(L->glyphs.size() == 1);
    const text::Glyph& g = L->glyphs[0];
    const text::AtlasPixels& px = engine().atlas();
    auto ink_centre = [&](const text::AtlasGlyph& a) {   // coverage-weighted x, in pen coordinates
        double sum = 0, wsum = 0;
        for (int y = 0; y < a.h; y++)
            for (int x = 0; x < a.w; x++) {
                double w = px.coverage[(size_t)(a.y + y) * px.width + a.x + x];
                sum += w * (x + 0.5 + a.bearing_x);
                wsum += w;
            }
        return sum / wsum;
    };
    text::AtlasGlyph p0, p2;
    REQUIRE(engine().glyph(g.font, g.glyph_id, 40, 0, &p0));
    REQUIRE(engine().glyph(g.font, g.glyph_id, 40, 2, &p2));
    CHECK((p0.x != p2.x || p0.y != p2.y));
    CHECK(ink_centre(p2) - ink_centre(p0) == Approx(0.5).margin(0.1));   // half a pixel to the right
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

TEST_CASE("draw: lines outside the clip rectangle are not drawn", "[text][draw]") {
    REQUIRE(engine().ok());
    engine().begin_frame();
    std::string page;
    for (int i = 0; i < 40; i++) page += "Riga di prova\n";
    auto L = engine().layout(page, style("it", 24));
    REQUIRE(L->lines.size() >= 40);
    DrawList all, some;
    text::draw_layout(&all.list, engine(), nullptr, *L, ImVec2(0, 0), 500, text::Align::Start, IM_COL32_WHITE);
    some.list.PushClipRect(ImVec2(0, 300), ImVec2(500, 400));   // about 3 lines of 40
    text::draw_layout(&some.list, engine(), nullptr, *L, ImVec2(0, 0), 500, text::Align::Start, IM_COL32_WHITE);
    CHECK(some.list.VtxBuffer.Size > 0);
    CHECK(some.list.VtxBuffer.Size * 4 < all.list.VtxBuffer.Size);
    for (const ImDrawVert& v : some.list.VtxBuffer) {   // everything drawn is near the visible band
        CHECK(v.pos.y > 300 - 4 * 24);
        CHECK(v.pos.y < 400 + 4 * 24);
    }
}

TEST_CASE("atlas: a haloed glyph holds the glyph grown by one pixel in the four directions and the glyph, drawn one quad a glyph", "[text][atlas]") {
    REQUIRE(engine().ok());
    engine().begin_frame();
    auto L = engine().layout("Sàg", style("it", 30));
    REQUIRE(L->glyphs.size() == 3);
    const text::AtlasPixels& px = engine().atlas();
    for (const text::Glyph& g : L->glyphs) {
        for (int phase = 0; phase < 4; phase++) {
            text::AtlasGlyph plain, halo;
            REQUIRE(engine().glyph(g.font, g.glyph_id, 30, phase, &plain));
            REQUIRE(engine().haloed_glyph(g.font, g.glyph_id, 30, phase, &halo));
            INFO("glyph " << g.glyph_id << " phase " << phase);
            CHECK((halo.x != plain.x || halo.y != plain.y));   // an atlas entry of its own
            CHECK(halo.w == plain.w + 2);
            CHECK(halo.h == plain.h + 2);
            CHECK(halo.bearing_x == plain.bearing_x - 1);
            CHECK(halo.bearing_y == plain.bearing_y - 1);
            // Plain coverage at (x, y) of the glyph's own box, zero outside it.
            auto cov = [&](int x, int y) -> int {
                if (x < 0 || y < 0 || x >= plain.w || y >= plain.h) return 0;
                return px.coverage[(size_t)(plain.y + y) * px.width + plain.x + x];
            };
            // Each texel: the halo's coverage to 4 bits (the high ones), the glyph's (the low ones).
            auto four_bits = [](int c) { return (int)std::lround(c * 15 / 255.0); };
            int wrong = 0, grown = 0, inked = 0;
            for (int y = 0; y < halo.h; y++)
                for (int x = 0; x < halo.w; x++) {
                    const int gx = x - 1, gy = y - 1;   // the same pixel in the glyph's box
                    const int grown_cov = std::max({cov(gx, gy), cov(gx - 1, gy), cov(gx + 1, gy), cov(gx, gy - 1), cov(gx, gy + 1)});
                    const int got = px.coverage[(size_t)(halo.y + y) * px.width + halo.x + x];
                    wrong += (got >> 4) != four_bits(grown_cov) || (got & 15) != four_bits(cov(gx, gy));
                    grown += (got >> 4) > (got & 15);
                    inked += (got & 15) == 15;
                }
            CHECK(wrong == 0);
            CHECK(grown > 0);
            CHECK(inked > 0);
        }
    }
    // Drawn: one quad a glyph with a bitmap, the halo's rectangle one pixel around the glyph's,
    // in the text's colour (the halo's is the program's).
    DrawList plain_list, halo_list;
    ImTextureID tex = (ImTextureID)(intptr_t)7;
    text::draw_layout(&plain_list.list, engine(), tex, *L, ImVec2(10, 20), 500, text::Align::Start, IM_COL32(0, 0, 0, 255));
    text::draw_layout_haloed(&halo_list.list, engine(), tex, *L, ImVec2(10, 20), 500, text::Align::Start, IM_COL32(0, 0, 0, 255));
    REQUIRE(halo_list.list.VtxBuffer.Size == plain_list.list.VtxBuffer.Size);
    REQUIRE(plain_list.list.VtxBuffer.Size == 3 * 4);
    for (int v = 0; v < plain_list.list.VtxBuffer.Size; v += 4) {
        CHECK(halo_list.list.VtxBuffer[v].pos.x == plain_list.list.VtxBuffer[v].pos.x - 1);
        CHECK(halo_list.list.VtxBuffer[v].pos.y == plain_list.list.VtxBuffer[v].pos.y - 1);
        CHECK(halo_list.list.VtxBuffer[v + 2].pos.x == plain_list.list.VtxBuffer[v + 2].pos.x + 1);
        CHECK(halo_list.list.VtxBuffer[v + 2].pos.y == plain_list.list.VtxBuffer[v + 2].pos.y + 1);
        CHECK(halo_list.list.VtxBuffer[v].col == IM_COL32(0, 0, 0, 255));
    }
}
