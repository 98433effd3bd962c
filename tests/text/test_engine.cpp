// Engine: font stack errors, layout cache, atlas growth and LRU eviction, alignment, fallback.
#include "text_test_util.h"

#include <catch2/catch.hpp>
#include <hb.h>
#include <hb-ot.h>

#include <filesystem>
#include <unistd.h>

using text_test::engine;
using text_test::style;
namespace fs = std::filesystem;

namespace {

// A unique empty directory under the system temp dir, removed at scope exit.
struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/sportello-text-XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// Alpha of the atlas pixels of a glyph, row by row.
std::vector<uint8_t> glyph_alpha(text::Engine& e, const text::AtlasGlyph& g) {
    const text::AtlasPixels& px = e.atlas();
    std::vector<uint8_t> out;
    for (int y = g.y; y < g.y + g.h; y++)
        for (int x = g.x; x < g.x + g.w; x++) out.push_back(px.coverage[(size_t)y * px.width + x]);
    return out;
}

bool any_ink(const std::vector<uint8_t>& a) {
    for (uint8_t v : a) if (v) return true;
    return false;
}

}  // namespace

TEST_CASE("fonts: a missing font directory or file gives ok() false and names both", "[text][fonts]") {
    auto none = text::Engine::create({"/nonexistent/sportello-fonts"});
    CHECK_FALSE(none->ok());
    CHECK(none->error().find("NotoSans-Regular.ttf") != std::string::npos);
    CHECK(none->error().find("/nonexistent/sportello-fonts") != std::string::npos);
    auto L = none->layout("ciao", style("it"));   // inert, not a crash
    REQUIRE(L != nullptr);
    CHECK(L->glyphs.empty());

    // Every required font but Ethiopic: the error names exactly that one.
    REQUIRE(engine().ok());
    TempDir dir;
    fs::create_directories(dir.path / "nested" / "deeper");
    for (uint16_t i = 0; !engine().font_file(i).empty(); i++) {
        fs::path src = engine().font_file(i);
        if (src.filename().string().find("Ethiopic") != std::string::npos) continue;
        std::error_code ec;
        fs::create_symlink(src, dir.path / "nested" / "deeper" / src.filename(), ec);
    }
    auto partial = text::Engine::create({dir.path.string()});
    CHECK_FALSE(partial->ok());
    CHECK(partial->error().find("NotoSansEthiopic-Regular.ttf") != std::string::npos);
    CHECK(partial->error().find(dir.path.string()) != std::string::npos);
}

TEST_CASE("fonts: the CJK face is Simplified Chinese, Urdu uses Nastaliq, other scripts their Noto font",
          "[text][fonts]") {
    REQUIRE(engine().ok());
    struct { const char* lang; const char* text; const char* file; } cases[] = {
        {"zh", "居留许可", "NotoSansCJK-Regular.ttc"}, {"ur", "اجازت نامہ", "NotoNastaliqUrdu-Regular.ttf"},
        {"fa", "اجازه اقامت", "NotoNaskhArabic-Regular.ttf"}, {"bn", "স্বাস্থ্য", "NotoSansBengali-Regular.ttf"},
        {"ti", "ፍቓድ", "NotoSansEthiopic-Regular.ttf"}, {"uk", "лікар", "NotoSans-Regular.ttf"},
    };
    for (auto& c : cases) {
        auto L = engine().layout(c.text, style(c.lang));
        REQUIRE(L->runs.size() == 1);
        CHECK(fs::path(engine().font_file(L->runs[0].font)).filename() == c.file);
        for (const text::Glyph& g : L->glyphs) CHECK(g.glyph_id != 0);
    }
    auto tagged = engine().layout("اجازت نامہ", style("UR-pk"));   // BCP 47 is case-insensitive
    CHECK(fs::path(engine().font_file(tagged->runs[0].font)).filename() == "NotoNastaliqUrdu-Regular.ttf");
    auto zh = engine().layout("中文", style("zh"));
    uint16_t cjk = zh->runs[0].font;
    hb_blob_t* blob = hb_blob_create_from_file(engine().font_file(cjk).c_str());
    hb_face_t* face = hb_face_create(blob, (unsigned)engine().font_face_index(cjk));
    char name[128] = {0};
    unsigned len = sizeof name;
    hb_ot_name_get_utf8(face, HB_OT_NAME_ID_FONT_FAMILY, HB_LANGUAGE_INVALID, &len, name);
    hb_face_destroy(face);
    hb_blob_destroy(blob);
    CHECK(std::string(name) == "Noto Sans CJK SC");
}

TEST_CASE("fonts: characters the run's font lacks fall back per cluster to a font that has them",
          "[text][fonts][fallback]") {
    REQUIRE(engine().ok());
    // U+2192 (arrow) and U+20AC (euro) are Common, so they join the Arabic run; Noto Naskh Arabic
    // may not have them, but some font of the stack does.
    auto L = engine().layout("اذهب → المكتب، الرسوم 16 €", style("ar"));
    for (const text::Glyph& g : L->glyphs) CHECK(g.glyph_id != 0);
    auto zh = engine().layout("请到ASL办理", style("zh"));
    for (const text::Glyph& g : zh->glyphs) CHECK(g.glyph_id != 0);
}

TEST_CASE("cache: same key same object, a change of width, style or text gives another", "[text][cache]") {
    REQUIRE(engine().ok());
    const char* t = "Carta d'identità elettronica";
    auto a = engine().layout(t, style("it"), 300);
    auto b = engine().layout(t, style("it"), 300);
    CHECK(a.get() == b.get());
    CHECK(engine().layout(t, style("it"), 200).get() != a.get());
    text::Style bold = style("it");
    bold.bold = true;
    CHECK(engine().layout(t, bold, 300).get() != a.get());
    CHECK(engine().layout(t, style("it", 30), 300).get() != a.get());
    CHECK(engine().layout(t, style("fr"), 300).get() != a.get());
    CHECK(engine().layout("Carta d'identità", style("it"), 300).get() != a.get());
    text::Engine::Stats before = engine().stats();
    CHECK(engine().layout(t, style("it"), 300).get() == a.get());
    CHECK(engine().stats().layout_hits == before.layout_hits + 1);

    text::EngineConfig small{SPORTELLO_FONT_DIR};
    small.layout_cache_entries = 2;
    auto e = text::Engine::create(small);
    auto x = e->layout("uno", style("it"));
    e->layout("due", style("it"));
    e->layout("tre", style("it"));   // evicts "uno", the least recently used
    CHECK(e->stats().layouts_cached == 2);
    CHECK(e->layout("uno", style("it")).get() != x.get());
    CHECK(x->text == "uno");   // the caller's layout stays valid

    text::EngineConfig budget{SPORTELLO_FONT_DIR};
    budget.layout_cache_bytes = 1024 * 1024;   // a few of these 8 KB pages (about 200 KB each)
    auto m = text::Engine::create(budget);
    std::string page;
    while (page.size() < 8000) page += "Il permesso di soggiorno si rinnova presso l'ufficio postale. ";
    for (int w = 0; w < 20; w++) m->layout(page, style("it"), 300.0f + (float)w);
    CHECK(m->stats().layout_cache_bytes <= budget.layout_cache_bytes);
    CHECK(m->stats().layouts_cached < 20);
    CHECK(m->stats().layouts_cached >= 1);
}

TEST_CASE("atlas: grows by doubling, then evicts least recently used at begin_frame only", "[text][atlas]") {
    text::EngineConfig cfg{SPORTELLO_FONT_DIR};
    cfg.atlas_initial = 64;
    cfg.atlas_max = 128;
    auto e = text::Engine::create(cfg);
    REQUIRE(e->ok());
    auto a = e->layout("居留许可证申请", style("zh", 24));   // 7 glyphs of about 24x24
    auto b = e->layout("医疗卡请到当地卫生局办理护照照片", style("zh", 24));
    auto draw = [&](const text::Layout& L, std::vector<text::AtlasGlyph>* out) {
        int missing = 0;
        out->assign(L.glyphs.size(), {});
        for (size_t i = 0; i < L.glyphs.size(); i++)
            if (!e->glyph(L.glyphs[i].font, L.glyphs[i].glyph_id, L.style.size_px, &(*out)[i])) missing++;
        return missing;
    };
    std::vector<text::AtlasGlyph> ga, gb;

    e->begin_frame();
    uint64_t gen0 = e->atlas().generation;
    CHECK(e->atlas().width == 64);
    CHECK(draw(*a, &ga) > 0);   // 64x64 holds only a few
    CHECK(e->needs_redraw());
    CHECK(e->atlas().generation == gen0);   // no resize inside a frame

    e->begin_frame();
    CHECK(e->atlas().width == 128);
    CHECK(e->atlas().generation != gen0);
    CHECK_FALSE(e->needs_redraw());
    REQUIRE(draw(*a, &ga) == 0);
    for (auto& g : ga) CHECK(any_ink(glyph_alpha(*e, g)));

    e->begin_frame();   // frame N: only b; a is now the least recently used
    int missing = draw(*b, &gb);
    CHECK(missing > 0);
    std::vector<std::vector<uint8_t>> ink_b;
    for (auto& g : gb) ink_b.push_back(glyph_alpha(*e, g));
    std::vector<text::AtlasGlyph> again;
    draw(*b, &again);   // inside the same frame, nothing moves
    for (size_t i = 0; i < gb.size(); i++) {
        if (gb[i].w == 0) continue;
        CHECK(again[i].x == gb[i].x);
        CHECK(again[i].y == gb[i].y);
        CHECK(glyph_alpha(*e, again[i]) == ink_b[i]);
    }
    size_t evictions = e->stats().atlas_evictions;

    e->begin_frame();   // at the maximum size: eviction of a's glyphs, b's kept and moved
    CHECK(e->atlas().width == 128);
    CHECK(e->stats().atlas_evictions > evictions);
    size_t count = e->stats().glyphs_in_atlas;
    std::vector<text::AtlasGlyph> kept;
    CHECK(draw(*b, &kept) == 0);   // room was made for the ones that did not fit in frame N
    for (size_t i = 0; i < gb.size(); i++)
        if (gb[i].w != 0) CHECK(glyph_alpha(*e, kept[i]) == ink_b[i]);   // same bitmap, new place
    size_t after_b = e->stats().glyphs_in_atlas;
    text::AtlasGlyph g0;
    e->glyph(a->glyphs[0].font, a->glyphs[0].glyph_id, 24, &g0);
    CHECK(e->stats().glyphs_in_atlas == after_b + 1);   // a's glyph had been evicted
    CHECK(after_b >= count);
}

TEST_CASE("align: Start and End follow the paragraph direction", "[text][align]") {
    text::Layout L;
    text::Line line;
    line.width = 100;
    line.rtl = L.rtl = false;
    CHECK(text::line_offset(L, line, 300, text::Align::Start) == 0);
    CHECK(text::line_offset(L, line, 300, text::Align::End) == 200);
    CHECK(text::line_offset(L, line, 300, text::Align::Center) == 100);
    line.rtl = L.rtl = true;
    CHECK(text::line_offset(L, line, 300, text::Align::Start) == 200);
    CHECK(text::line_offset(L, line, 300, text::Align::End) == 0);
    CHECK(text::line_offset(L, line, 300, text::Align::Center) == 100);

    REQUIRE(engine().ok());
    auto ar = engine().layout("مرحبا", style("ar"));
    auto it = engine().layout("Ciao", style("it"));
    CHECK(ar->rtl);
    CHECK_FALSE(it->rtl);
    CHECK(text::line_offset(*ar, ar->lines[0], 500, text::Align::Start) == Approx(500 - ar->lines[0].width));
    CHECK(text::line_offset(*it, it->lines[0], 500, text::Align::Start) == 0);
    text::Style forced = style("it");
    forced.direction = text::Direction::RightToLeft;
    CHECK(engine().layout("Ciao", forced)->rtl);

    // Two paragraphs, each with its own first strong character (Direction::Auto).
    auto two = engine().layout("Ufficio postale\nمكتب البريد", style("ar"));
    REQUIRE(two->lines.size() == 2);
    CHECK_FALSE(two->rtl);
    CHECK_FALSE(two->lines[0].rtl);
    CHECK(two->lines[1].rtl);
    CHECK(text::line_offset(*two, two->lines[0], 500, text::Align::Start) == 0);
    CHECK(text::line_offset(*two, two->lines[1], 500, text::Align::Start) == Approx(500 - two->lines[1].width));
}

TEST_CASE("layout: empty text and hard line breaks", "[text][lines]") {
    REQUIRE(engine().ok());
    auto empty = engine().layout("", style("it"));
    REQUIRE(empty->lines.size() == 1);
    CHECK(empty->height > 0);
    auto two = engine().layout("Prima riga\nseconda riga", style("it"));
    REQUIRE(two->lines.size() == 2);
    CHECK(two->lines[1].text_start == std::string("Prima riga\n").size());
    CHECK(two->lines[1].baseline > two->lines[0].baseline);
}
