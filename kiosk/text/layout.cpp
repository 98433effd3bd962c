// Paragraph layout: BiDi levels, itemization, shaping, line breaking, visual reordering.
//
// Index
//   [SECTION] Shaping one range
//   [SECTION] Itemization (BiDi level x script x font)
//   [SECTION] Line breaking
//   [SECTION] Building a line
//   [SECTION] Engine::Impl::build
//
// Every Run of a Layout is exactly one hb_shape() call on its byte range of the paragraph, with
// the whole paragraph as context (HarfBuzz keeps 5 characters each side), so a run can be
// checked against `hb-shape --text-before/--text-after` (tests/text/test_shaping.cpp).
// Sizes: HarfBuzz scale is the quarter-pixel size in 26.6 (size_q * 16), so advances are exact
// multiples of 1/64 px.
#include "text_internal.h"

#include <unicode/uchar.h>
#include <unicode/utf16.h>

namespace text {

namespace {

struct Shaped {
    uint32_t gid, cluster;
    int32_t ax, dx, dy;                  // 26.6 pixels
};

// A maximal range of one BiDi level, one script and one font, in logical order.
struct Item {
    uint32_t start, end;
    uint8_t level;
    hb_script_t script;
    uint16_t font;
    std::vector<Shaped> glyphs;          // shaped over the whole item (visual order)
};

struct Ctx {
    Engine::Impl* impl;
    const Utf* in;
    const Style* style;
    int size_q;
    hb_language_t lang;
    std::vector<Item> items;
    std::vector<float> prefix;           // prefix[b] = advance of the clusters starting before byte b
    float ascent = 0, descent = 0;       // pixels, the largest of the paragraph's fonts
    UBiDi* bidi = nullptr;               // set when ubidi_setPara succeeded (per-paragraph levels)
    bool rtl = false;                    // direction of the first paragraph
};

}  // namespace

// [SECTION] Shaping one range --------------------------------------------------------------------

static void shape(Ctx& c, uint16_t font, hb_script_t script, bool rtl, uint32_t start, uint32_t end,
                  std::vector<Shaped>* out) {
    out->clear();
    Engine::Impl& e = *c.impl;
    if (start >= end || !e.ensure_loaded(font)) return;
    hb_font_t* f = e.fonts[font].hb_font.get();
    hb_font_set_scale(f, c.size_q * 16, c.size_q * 16);
    hb_buffer_t* buf = e.buffer.get();
    hb_buffer_clear_contents(buf);
    const std::string& t = c.in->u8;
    hb_buffer_add_utf8(buf, t.data(), (int)t.size(), start, (int)(end - start));
    hb_buffer_set_direction(buf, rtl ? HB_DIRECTION_RTL : HB_DIRECTION_LTR);
    hb_buffer_set_script(buf, script);
    hb_buffer_set_language(buf, c.lang);
    hb_shape(f, buf, nullptr, 0);
    unsigned n = 0;
    hb_glyph_info_t* info = hb_buffer_get_glyph_infos(buf, &n);
    hb_glyph_position_t* pos = hb_buffer_get_glyph_positions(buf, &n);
    out->resize(n);
    for (unsigned i = 0; i < n; i++)
        (*out)[i] = {info[i].codepoint, info[i].cluster, pos[i].x_advance, pos[i].x_offset, pos[i].y_offset};
}

// [SECTION] Itemization --------------------------------------------------------------------------

static bool is_weak_script(hb_script_t s) {
    return s == HB_SCRIPT_COMMON || s == HB_SCRIPT_INHERITED || s == HB_SCRIPT_UNKNOWN;
}

// Script runs in bytes: Common/Inherited characters join the run they are in (or the first
// strong script that follows, at the start of the text). A closing bracket takes the script of
// its opening bracket (UAX #24, as Pango and HarfBuzz's own itemizer do), so "Roma (روما)" keeps
// both parentheses in the Latin run.
static std::vector<std::pair<uint32_t, hb_script_t>> script_runs(const std::string& t) {
    std::vector<std::pair<uint32_t, hb_script_t>> runs;   // (start, script)
    struct Open { UChar32 close; hb_script_t script; };
    std::vector<Open> stack;
    hb_unicode_funcs_t* uf = hb_unicode_funcs_get_default();
    hb_script_t cur = HB_SCRIPT_COMMON;
    runs.push_back({0, cur});
    for (size_t i = 0; i < t.size();) {
        int len = 1;
        UChar32 cp = (UChar32)utf8_decode(t, i, &len);
        hb_script_t s = hb_unicode_script(uf, (hb_codepoint_t)cp);
        int bpt = u_getIntPropertyValue(cp, UCHAR_BIDI_PAIRED_BRACKET_TYPE);
        if (bpt == U_BPT_OPEN && stack.size() < 64) {
            stack.push_back({u_getBidiPairedBracket(cp), cur});
        } else if (bpt == U_BPT_CLOSE) {
            size_t k = stack.size();
            while (k > 0 && stack[k - 1].close != cp) k--;
            if (k > 0) {
                s = stack[k - 1].script;
                stack.resize(k - 1);
            }
        }
        if (!is_weak_script(s) && s != cur) {
            if (is_weak_script(cur)) {
                runs.back().second = s;
                for (Open& o : stack) if (is_weak_script(o.script)) o.script = s;
            } else {
                runs.push_back({(uint32_t)i, s});
            }
            cur = s;
        }
        i += len;
    }
    return runs;
}

// Splits an item whose primary font lacks some characters: each cluster with a .notdef glyph
// goes to the first font of the stack that has all its characters.
static void split_by_fallback(Ctx& c, Item item, std::vector<Item>* out) {
    std::vector<uint32_t> starts;
    bool missing = false;
    for (const Shaped& g : item.glyphs) { starts.push_back(g.cluster); missing |= g.gid == 0; }
    if (!missing) { out->push_back(std::move(item)); return; }
    std::sort(starts.begin(), starts.end());
    starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
    if (starts.empty() || starts[0] != item.start) starts.insert(starts.begin(), item.start);
    std::vector<uint32_t> notdef;
    for (const Shaped& g : item.glyphs) if (g.gid == 0) notdef.push_back(g.cluster);
    std::sort(notdef.begin(), notdef.end());   // binary search below: text full of tofu stays linear-ish
    std::vector<uint16_t> order = c.impl->fallback_order(c.style->bold);
    const std::string& t = c.in->u8;
    std::vector<Item> pieces;
    for (size_t k = 0; k < starts.size(); k++) {
        uint32_t a = starts[k], b = k + 1 < starts.size() ? starts[k + 1] : item.end;
        uint16_t font = item.font;
        if (std::binary_search(notdef.begin(), notdef.end(), a)) {
            for (uint16_t cand : order) {
                bool all = true;
                for (uint32_t i = a; i < b && all;) {
                    int len = 1;
                    uint32_t cp = utf8_decode(t, i, &len);
                    if (!u_hasBinaryProperty((UChar32)cp, UCHAR_DEFAULT_IGNORABLE_CODE_POINT))
                        all = c.impl->has_codepoint(cand, cp);
                    i += len;
                }
                if (all) { font = cand; break; }
            }
        }
        if (!pieces.empty() && pieces.back().font == font) pieces.back().end = b;
        else pieces.push_back({a, b, item.level, item.script, font, {}});
    }
    for (Item& p : pieces) {
        shape(c, p.font, p.script, p.level & 1, p.start, p.end, &p.glyphs);
        out->push_back(std::move(p));
    }
}

static void itemize(Ctx& c, const uint8_t* levels) {
    const Utf& in = *c.in;
    auto scripts = script_runs(in.u8);
    size_t si = 0;
    Item cur{0, 0, 0, HB_SCRIPT_COMMON, 0, {}};
    bool open = false;
    std::vector<Item> raw;
    for (size_t j = 0; j < in.u16.size(); j++) {
        if (U16_IS_TRAIL(in.u16[j]) && j > 0) continue;
        uint32_t b = in.u16_to_u8[j];
        while (si + 1 < scripts.size() && scripts[si + 1].first <= b) si++;
        hb_script_t s = scripts[si].second;
        if (open && cur.level == levels[j] && cur.script == s) continue;
        if (open) { cur.end = b; raw.push_back(std::move(cur)); }
        cur = Item{b, 0, levels[j], s, 0, {}};
        open = true;
    }
    if (open) { cur.end = (uint32_t)in.u8.size(); raw.push_back(std::move(cur)); }
    for (Item& it : raw) {
        FontChoice fc = c.impl->choose(it.script, c.style->lang);
        it.font = c.style->bold ? fc.bold : fc.regular;
        shape(c, it.font, it.script, it.level & 1, it.start, it.end, &it.glyphs);
        split_by_fallback(c, std::move(it), &c.items);
    }
    c.prefix.assign(in.u8.size() + 1, 0.0f);
    for (const Item& it : c.items)
        for (const Shaped& g : it.glyphs) c.prefix[g.cluster + 1] += (float)g.ax / 64.0f;
    for (size_t b = 1; b < c.prefix.size(); b++) c.prefix[b] += c.prefix[b - 1];
}

// [SECTION] Line breaking ------------------------------------------------------------------------

static UBreakIterator* breaker(Engine::Impl& e, UBreakIteratorType type, const std::string& lang,
                               const Utf& in) {
    auto& map = type == UBRK_LINE ? e.line_breakers : e.char_breakers;
    auto it = map.find(lang);
    if (it == map.end()) {
        UErrorCode err = U_ZERO_ERROR;
        UBrk bi(ubrk_open(type, lang.c_str(), nullptr, 0, &err));
        if (U_FAILURE(err)) return nullptr;
        it = map.emplace(lang, std::move(bi)).first;
    }
    UErrorCode err = U_ZERO_ERROR;
    ubrk_setText(it->second.get(), (const UChar*)in.u16.data(), (int32_t)in.u16.size(), &err);
    return U_FAILURE(err) ? nullptr : it->second.get();
}

static float width_of(const Ctx& c, uint32_t a, uint32_t b) { return c.prefix[b] - c.prefix[a]; }

// End of [a, b) without its trailing white space (which never counts in a line's width).
static uint32_t trim_end(const Ctx& c, uint32_t a, uint32_t b) {
    const std::string& t = c.in->u8;
    while (b > a) {
        uint32_t p = b - 1;
        while (p > a && ((unsigned char)t[p] & 0xC0) == 0x80) p--;
        int len = 1;
        if (!u_isUWhiteSpace((UChar32)utf8_decode(t, p, &len))) break;
        b = p;
    }
    return b;
}

// Last resort for a word wider than the line: as many grapheme clusters as fit (at least one).
static uint32_t grapheme_fit(Ctx& c, uint32_t a, uint32_t b, float max_width) {
    const Utf& in = *c.in;
    UBreakIterator* bi = breaker(*c.impl, UBRK_CHARACTER, c.style->lang, in);
    auto u16_of = [&](uint32_t byte) {
        return (int32_t)(std::lower_bound(in.u16_to_u8.begin(), in.u16_to_u8.end(), byte) - in.u16_to_u8.begin());
    };
    uint32_t best = 0;
    for (int32_t p = bi ? ubrk_following(bi, u16_of(a)) : UBRK_DONE; p != UBRK_DONE; p = ubrk_next(bi)) {
        uint32_t g = in.u16_to_u8[p];
        if (g > b) break;
        if (best != 0 && width_of(c, a, g) > max_width) break;
        best = g;
    }
    return best > a ? best : b;
}

// Break opportunities in bytes with whether they are mandatory; always ends with the text's end.
static std::vector<std::pair<uint32_t, bool>> break_points(Ctx& c, float max_width) {
    const Utf& in = *c.in;
    std::vector<std::pair<uint32_t, bool>> out;
    bool has_hard = false;
    for (char16_t u : in.u16)
        has_hard |= u == '\n' || u == '\r' || u == 0x0B || u == 0x0C || u == 0x85 || u == 0x2028 || u == 0x2029;
    UBreakIterator* bi = (max_width > 0 || has_hard) ? breaker(*c.impl, UBRK_LINE, c.style->lang, in) : nullptr;
    if (bi) {
        for (int32_t p = ubrk_following(bi, 0); p != UBRK_DONE; p = ubrk_next(bi)) {
            int32_t status = ubrk_getRuleStatus(bi);
            bool hard = status >= UBRK_LINE_HARD && status < UBRK_LINE_HARD_LIMIT;
            if (max_width > 0 || hard || p == (int32_t)in.u16.size()) out.push_back({in.u16_to_u8[p], hard});
        }
    }
    if (out.empty() || out.back().first != in.u8.size()) out.push_back({(uint32_t)in.u8.size(), true});
    return out;
}

// [SECTION] Building a line ----------------------------------------------------------------------

static void build_line(Ctx& c, Layout* L, uint32_t ls, uint32_t le) {
    uint32_t te = trim_end(c, ls, le);
    Line line;
    line.text_start = ls;
    line.text_end = le;
    line.rtl = c.rtl;
    if (c.bidi && ls < c.in->u8.size()) {   // a string with newlines: each paragraph its direction
        int32_t u16 = (int32_t)(std::lower_bound(c.in->u16_to_u8.begin(), c.in->u16_to_u8.end(), ls) -
                                c.in->u16_to_u8.begin());
        UBiDiLevel level = 0;
        UErrorCode err = U_ZERO_ERROR;
        ubidi_getParagraph(c.bidi, u16, nullptr, nullptr, &level, &err);
        if (U_SUCCESS(err)) line.rtl = level & 1;
    }
    line.first_run = (uint32_t)L->runs.size();
    struct Piece { const Item* item; uint32_t a, b; };
    std::vector<Piece> pieces;
    for (const Item& it : c.items) {
        uint32_t a = std::max(ls, it.start), b = std::min(te, it.end);
        if (a < b) pieces.push_back({&it, a, b});
    }
    std::vector<UBiDiLevel> levels(pieces.size());
    std::vector<int32_t> visual(pieces.size());
    for (size_t i = 0; i < pieces.size(); i++) levels[i] = pieces[i].item->level;
    if (!pieces.empty()) ubidi_reorderVisual(levels.data(), (int32_t)pieces.size(), visual.data());
    std::vector<Shaped> tmp;
    float x = 0;
    for (size_t v = 0; v < pieces.size(); v++) {
        const Piece& p = pieces[visual[v]];
        const Item& it = *p.item;
        const std::vector<Shaped>* gs = &it.glyphs;
        if (p.a != it.start || p.b != it.end) {
            shape(c, it.font, it.script, it.level & 1, p.a, p.b, &tmp);
            gs = &tmp;
        }
        Run run;
        run.text_start = p.a;
        run.text_end = p.b;
        run.rtl = it.level & 1;
        run.level = it.level;
        run.font = it.font;
        run.script = (uint32_t)it.script;
        run.first_glyph = (uint32_t)L->glyphs.size();
        run.glyph_count = (uint32_t)gs->size();
        run.x = x;
        for (const Shaped& s : *gs) {
            Glyph g;
            g.glyph_id = s.gid;
            g.font = it.font;
            g.x = x + (float)s.dx / 64.0f;
            g.y = -(float)s.dy / 64.0f;
            g.advance = (float)s.ax / 64.0f;
            g.cluster = s.cluster;
            L->glyphs.push_back(g);
            x += g.advance;
        }
        run.width = x - run.x;
        L->runs.push_back(run);
    }
    line.run_count = (uint32_t)L->runs.size() - line.first_run;
    line.width = x;
    float asc = c.ascent, desc = c.descent, px_size = (float)c.size_q / 4.0f;
    float box = std::max(c.style->line_height * px_size, asc + desc);   // tall scripts never overlap
    line.baseline = L->height + (box - (asc + desc)) * 0.5f + asc;
    L->height += box;
    L->width = std::max(L->width, line.width);
    L->lines.push_back(line);
}

// [SECTION] Engine::Impl::build ------------------------------------------------------------------

// Line metrics of the paragraph: the largest ascender and descender of the fonts it uses (or of
// the language's font when empty), so every line of a paragraph has the same pitch and lines of
// tall scripts (Nastaliq) never overlap.
static void paragraph_metrics(Ctx& c) {
    float px = (float)c.size_q / 4.0f;
    auto take = [&](uint16_t fi) {
        if (!c.impl->ensure_loaded(fi)) return;
        c.ascent = std::max(c.ascent, c.impl->fonts[fi].ascender * px);
        c.descent = std::max(c.descent, c.impl->fonts[fi].descender * px);
    };
    for (const Item& it : c.items) take(it.font);
    if (c.items.empty()) {
        FontChoice fc = c.impl->choose(HB_SCRIPT_COMMON, c.style->lang);
        take(c.style->bold ? fc.bold : fc.regular);
    }
}

std::shared_ptr<Layout> Engine::Impl::build(const Utf& in, const Style& style, float max_width) {
    auto L = std::make_shared<Layout>();
    L->text = in.u8;
    L->style = style;
    L->had_invalid_utf8 = in.had_invalid;
    L->max_width = max_width > 0 ? max_width : 0;
    Ctx c{this, &in, &style, quantize_size(style.size_px), hb_language_from_string(style.lang.c_str(), -1), {}, {}, 0, 0, nullptr, false};
    if (!bidi) bidi.reset(ubidi_open());
    if (!buffer) buffer.reset(hb_buffer_create());
    UBiDiLevel para = style.direction == Direction::LeftToRight   ? 0
                      : style.direction == Direction::RightToLeft ? 1
                                                                  : UBIDI_DEFAULT_LTR;
    UErrorCode err = U_ZERO_ERROR;
    ubidi_setPara(bidi.get(), (const UChar*)in.u16.data(), (int32_t)in.u16.size(), para, nullptr, &err);
    const UBiDiLevel* levels = U_SUCCESS(err) ? ubidi_getLevels(bidi.get(), &err) : nullptr;
    if (U_FAILURE(err) || (!levels && !in.u16.empty())) {
        std::vector<UBiDiLevel> flat(in.u16.size(), para == 1 ? 1 : 0);   // never fails in practice
        itemize(c, flat.data());
        L->rtl = para == 1;
    } else {
        L->rtl = in.u16.empty() ? para == 1 : (ubidi_getParaLevel(bidi.get()) & 1);
        c.bidi = bidi.get();
        itemize(c, levels);
    }
    c.rtl = L->rtl;
    paragraph_metrics(c);
    auto breaks = break_points(c, L->max_width);
    float max = L->max_width;
    uint32_t ls = 0, fit = 0;
    for (size_t k = 0; k < breaks.size();) {
        auto [b, hard] = breaks[k];
        uint32_t te = trim_end(c, ls, b);
        bool fits = max <= 0 || width_of(c, ls, te) <= max;
        if (!fits && fit > ls) { build_line(c, L.get(), ls, fit); ls = fit; continue; }
        if (!fits) {   // one word wider than the line: break it between grapheme clusters
            uint32_t g = grapheme_fit(c, ls, te, max);
            if (g < te) { build_line(c, L.get(), ls, g); ls = fit = g; continue; }
        }
        fit = b;
        k++;
        if (hard) { build_line(c, L.get(), ls, b); ls = fit = b; }
    }
    if (ls < in.u8.size() || L->lines.empty()) build_line(c, L.get(), ls, (uint32_t)in.u8.size());
    return L;
}

}  // namespace text
