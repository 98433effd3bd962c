// BiDi and line breaking: visual order against ICU's own reordering (ubidi_getVisualMap), wrapped
// Arabic paragraphs keep their words in order, lines break only where ICU allows.
#include "text_test_util.h"

#include <catch2/catch.hpp>
#include <hb.h>
#include <unicode/ubidi.h>
#include <unicode/ubrk.h>

using text_test::engine;
using text_test::style;
using text_test::to_u16;

namespace {

// The visual sequence of UTF-16 units of one line according to the layout: runs left to right,
// characters of RTL runs reversed.
std::u16string layout_visual(const text::Layout& L, const text::Line& line) {
    std::u16string out;
    for (uint32_t r = line.first_run; r < line.first_run + line.run_count; r++) {
        const text::Run& run = L.runs[r];
        std::u16string s = to_u16(L.text.substr(run.text_start, run.text_end - run.text_start));
        if (run.rtl) {   // reverse by code point, keeping surrogate pairs intact
            std::u16string rev;
            for (size_t i = s.size(); i > 0;) {
                size_t start = i - 1;
                if (start > 0 && (s[start] & 0xFC00) == 0xDC00) start--;
                rev.append(s, start, i - start);
                i = start;
            }
            s = rev;
        }
        out += s;
    }
    return out;
}

// ICU's visual order of the whole paragraph (one line, no trailing white space).
std::u16string icu_visual(const std::string& utf8, UBiDiLevel para) {
    std::u16string u = to_u16(utf8);
    UErrorCode err = U_ZERO_ERROR;
    UBiDi* bidi = ubidi_open();
    ubidi_setPara(bidi, (const UChar*)u.data(), (int32_t)u.size(), para, nullptr, &err);
    std::vector<int32_t> map(u.size());
    ubidi_getVisualMap(bidi, map.data(), &err);
    ubidi_close(bidi);
    REQUIRE(U_SUCCESS(err));
    std::u16string out;
    for (size_t v = 0; v < map.size();) {   // map gives logical indices; keep pairs in order
        size_t l = (size_t)map[v];
        if ((u[l] & 0xFC00) == 0xD800) { out += u.substr(l, 2); v += 2; continue; }
        if ((u[l] & 0xFC00) == 0xDC00) { out += u.substr(l - 1, 2); v += 2; continue; }
        out.push_back(u[l]);
        v++;
    }
    return out;
}

const char* kLongArabic =
    "يحق لكل شخص أجنبي مقيم بصورة قانونية في إيطاليا الحصول على الرعاية الصحية من خلال التسجيل في "
    "الخدمة الصحية الوطنية. يجب تقديم طلب التسجيل إلى مكتب الصحة المحلي التابع لمكان الإقامة، مع إحضار "
    "تصريح الإقامة ساري المفعول والرمز الضريبي وجواز السفر. بعد التسجيل يمكنك اختيار طبيب الأسرة، "
    "وتحصل على البطاقة الصحية التي تسمح لك بالوصول إلى الخدمات في جميع أنحاء البلاد.";

}  // namespace

TEST_CASE("bidi: mixed Arabic, Latin, digits and parentheses follow ICU's visual order", "[text][bidi]") {
    REQUIRE(engine().ok());
    struct { const char* text; text::Direction dir; UBiDiLevel para; } cases[] = {
        {"تصريح الإقامة رقم 12345 (PSE) صالح حتى 2025", text::Direction::Auto, UBIDI_DEFAULT_LTR},
        {"قدّم الطلب في Questura di Roma (الطابق 2) قبل 30 يومًا", text::Direction::Auto, UBIDI_DEFAULT_LTR},
        {"Permesso di soggiorno: تصريح الإقامة (2 سنوات) e carta d'identità", text::Direction::Auto,
         UBIDI_DEFAULT_LTR},
        {"Ufficio 3 (piano terra)", text::Direction::RightToLeft, 1},
        {"مكتب 12-B: الهاتف +39 06 1234", text::Direction::LeftToRight, 0},
        {"صحت کارڈ نمبر 4521 (ASL Roma 1) کے لیے", text::Direction::Auto, UBIDI_DEFAULT_LTR},
    };
    for (auto& c : cases) {
        INFO(c.text);
        text::Style s = style("ar");
        s.direction = c.dir;
        auto L = engine().layout(c.text, s);
        REQUIRE(L->lines.size() == 1);
        CHECK(layout_visual(*L, L->lines[0]) == icu_visual(c.text, c.para));
        float x = 0;   // runs are laid left to right without gaps
        for (const text::Run& r : L->runs) {
            CHECK(r.x == Approx(x).margin(0.01));
            x += r.width;
        }
    }
    auto L = engine().layout("رقم 2025 و 31", style("ar"));
    CHECK(L->rtl);
    bool saw_ltr_digits = false;   // digits keep left-to-right order inside the RTL paragraph
    for (const text::Run& r : L->runs)
        if (L->text.substr(r.text_start, r.text_end - r.text_start) == "2025") saw_ltr_digits = !r.rtl;
    CHECK(saw_ltr_digits);
}

TEST_CASE("bidi: parentheses in an RTL run come out mirrored", "[text][bidi]") {
    REQUIRE(engine().ok());
    auto L = engine().layout("(مرحبا)", style("ar"));
    REQUIRE(L->rtl);
    REQUIRE(!L->glyphs.empty());
    // Visually: the logical '(' (byte 0) is the rightmost glyph, the logical ')' the leftmost.
    // Whatever font serves them (Naskh may lack ASCII punctuation: fallback), each must be drawn
    // with the glyph of its mirror in that font.
    auto mirror_glyph = [&](uint16_t f, hb_codepoint_t cp) {
        hb_blob_t* blob = hb_blob_create_from_file(engine().font_file(f).c_str());
        hb_face_t* face = hb_face_create(blob, (unsigned)engine().font_face_index(f));
        hb_font_t* font = hb_font_create(face);
        hb_codepoint_t g = 0;
        hb_font_get_nominal_glyph(font, cp, &g);
        hb_font_destroy(font);
        hb_face_destroy(face);
        hb_blob_destroy(blob);
        return g;
    };
    const text::Glyph& right = L->glyphs.back();
    const text::Glyph& left = L->glyphs.front();
    CHECK(right.cluster == 0);
    CHECK(left.cluster == L->text.size() - 1);
    CHECK(right.glyph_id != 0);
    CHECK(right.glyph_id == mirror_glyph(right.font, ')'));
    CHECK(left.glyph_id == mirror_glyph(left.font, '('));
    CHECK(mirror_glyph(right.font, ')') != mirror_glyph(right.font, '('));
    for (const text::Run& r : L->runs) CHECK(r.rtl);
}

TEST_CASE("bidi: a wrapped Arabic paragraph keeps its words in logical order", "[text][bidi][wrap]") {
    REQUIRE(engine().ok());
    std::u16string u = to_u16(kLongArabic);
    UErrorCode err = U_ZERO_ERROR;
    UBreakIterator* bi = ubrk_open(UBRK_LINE, "ar", (const UChar*)u.data(), (int32_t)u.size(), &err);
    REQUIRE(U_SUCCESS(err));
    for (float width : {180.0f, 320.0f, 555.5f, 900.0f}) {
        INFO("width " << width);
        auto L = engine().layout(kLongArabic, style("ar"), width);
        CHECK(L->rtl);
        REQUIRE(L->lines.size() > 1);
        std::string joined;
        float prev_baseline = -1;
        for (const text::Line& line : L->lines) {
            joined += L->text.substr(line.text_start, line.text_end - line.text_start);
            CHECK(line.width <= width + 0.01f);
            CHECK(line.baseline > prev_baseline);
            prev_baseline = line.baseline;
            // Lines end only at ICU line-break opportunities (code unit index of the byte offset).
            if (line.text_end < L->text.size()) {
                int32_t u16_end = (int32_t)to_u16(L->text.substr(0, line.text_end)).size();
                CHECK(ubrk_isBoundary(bi, u16_end));
            }
            // Right to left: going left to right on screen, clusters never move forward in the text.
            uint32_t prev_cluster = UINT32_MAX;
            for (uint32_t r = line.first_run; r < line.first_run + line.run_count; r++) {
                const text::Run& run = L->runs[r];
                CHECK(run.rtl);
                for (uint32_t g = run.first_glyph; g < run.first_glyph + run.glyph_count; g++) {
                    CHECK(L->glyphs[g].cluster <= prev_cluster);
                    prev_cluster = L->glyphs[g].cluster;
                }
            }
        }
        CHECK(joined == L->text);
    }
    ubrk_close(bi);
}

TEST_CASE("wrap: a word wider than the line breaks between graphemes, trailing spaces do not count",
          "[text][wrap]") {
    REQUIRE(engine().ok());
    std::string word = "Permessodisoggiornoperlavorosubordinato";
    auto L = engine().layout(word, style("it"), 80);
    REQUIRE(L->lines.size() > 2);
    std::string joined;
    for (const text::Line& line : L->lines) {
        joined += L->text.substr(line.text_start, line.text_end - line.text_start);
        CHECK(line.width <= 80.01f);
        CHECK(line.text_end > line.text_start);
    }
    CHECK(joined == word);

    auto one = engine().layout("Questura", style("it"));
    auto two = engine().layout("Questura     centrale", style("it"), one->width + 5);
    REQUIRE(two->lines.size() == 2);
    CHECK(two->lines[0].width == Approx(one->width));
    CHECK(two->lines[0].text_end == std::string("Questura     ").size());
}

TEST_CASE("lines: tall scripts never overlap from one line to the next", "[text][lines]") {
    REQUIRE(engine().ok());
    text::Style s = style("ur", 28);
    s.line_height = 1.0f;   // ask for tight lines: the engine must still keep them apart
    auto L = engine().layout("رہائشی اجازت نامے کی تجدید کے لیے ڈاک خانے جائیں۔ صحت کارڈ کے لیے مقامی صحت دفتر میں "
                             "درخواست دیں۔",
                             s, 250);
    REQUIRE(L->lines.size() >= 3);
    // Ink extents of every glyph from HarfBuzz at the same scale.
    std::vector<float> top(L->lines.size(), 1e9f), bottom(L->lines.size(), -1e9f);
    for (size_t li = 0; li < L->lines.size(); li++) {
        const text::Line& line = L->lines[li];
        for (uint32_t r = line.first_run; r < line.first_run + line.run_count; r++) {
            const text::Run& run = L->runs[r];
            hb_blob_t* blob = hb_blob_create_from_file(engine().font_file(run.font).c_str());
            hb_face_t* face = hb_face_create(blob, (unsigned)engine().font_face_index(run.font));
            hb_font_t* font = hb_font_create(face);
            hb_font_set_scale(font, 28 * 64, 28 * 64);
            for (uint32_t g = run.first_glyph; g < run.first_glyph + run.glyph_count; g++) {
                hb_glyph_extents_t e{};
                hb_font_get_glyph_extents(font, L->glyphs[g].glyph_id, &e);
                float y = line.baseline + L->glyphs[g].y;
                top[li] = std::min(top[li], y - e.y_bearing / 64.0f);
                bottom[li] = std::max(bottom[li], y - (e.y_bearing + e.height) / 64.0f);
            }
            hb_font_destroy(font);
            hb_face_destroy(face);
            hb_blob_destroy(blob);
        }
    }
    for (size_t li = 0; li + 1 < L->lines.size(); li++) {
        INFO("line " << li);
        CHECK(bottom[li] <= top[li + 1]);
    }
    CHECK(L->height >= bottom.back());
}

TEST_CASE("itemize: a closing bracket takes the script of its opening bracket", "[text][itemize]") {
    REQUIRE(engine().ok());
    auto L = engine().layout("Questura di Roma (روما) aperta", style("it"));
    size_t close = L->text.find(')');
    REQUIRE(close != std::string::npos);
    uint32_t open_script = 0, close_script = 0, arabic_script = 0;
    for (const text::Run& r : L->runs) {
        if (r.text_start <= 17 && 17 < r.text_end) open_script = r.script;   // "(" is byte 17
        if (r.text_start <= close && close < r.text_end) close_script = r.script;
        if (L->text.substr(r.text_start, r.text_end - r.text_start).find("روما") != std::string::npos)
            arabic_script = r.script;
    }
    CHECK(L->text[17] == '(');
    CHECK(open_script == (uint32_t)HB_SCRIPT_LATIN);
    CHECK(close_script == (uint32_t)HB_SCRIPT_LATIN);
    CHECK(arabic_script == (uint32_t)HB_SCRIPT_ARABIC);
}

TEST_CASE("wrap: emergency breaks in a Bengali word fall on grapheme boundaries", "[text][wrap]") {
    REQUIRE(engine().ok());
    // One long "word" of conjuncts: no line-break opportunity inside, so only graphemes can split it.
    std::string word;
    for (int i = 0; i < 6; i++) word += "স্বাস্থ্যকার্ডের";
    auto L = engine().layout(word, style("bn"), 90);
    REQUIRE(L->lines.size() > 2);
    std::u16string u = to_u16(word);
    UErrorCode err = U_ZERO_ERROR;
    UBreakIterator* bi = ubrk_open(UBRK_CHARACTER, "bn", (const UChar*)u.data(), (int32_t)u.size(), &err);
    REQUIRE(U_SUCCESS(err));
    std::string joined;
    for (const text::Line& line : L->lines) {
        joined += L->text.substr(line.text_start, line.text_end - line.text_start);
        CHECK(ubrk_isBoundary(bi, (int32_t)to_u16(L->text.substr(0, line.text_end)).size()));
        for (uint32_t g = 0; g < L->glyphs.size(); g++) CHECK(L->glyphs[g].glyph_id != 0);
    }
    ubrk_close(bi);
    CHECK(joined == word);
}

TEST_CASE("lines: every line of a paragraph has the same pitch, whatever fonts it uses", "[text][lines]") {
    REQUIRE(engine().ok());
    // Urdu text with a Latin-only stretch: the Latin line is as tall as the Nastaliq ones.
    auto L = engine().layout("صحت کارڈ Azienda Sanitaria Locale Roma کے لیے مقامی دفتر", style("ur", 28), 200);
    REQUIRE(L->lines.size() >= 3);
    float pitch = L->lines[1].baseline - L->lines[0].baseline;
    for (size_t i = 1; i < L->lines.size(); i++)
        CHECK(L->lines[i].baseline - L->lines[i - 1].baseline == Approx(pitch));
    CHECK(L->height == Approx(pitch * L->lines.size()));
}
