// Search folding, FTS5 query building and collation.
// Folding runs on both the indexed text and the visitor's query, so whatever it loses
// (accents, case, Arabic short vowels) is lost on both sides and matches again.
#include "content_internal.h"

#include <unicode/coll.h>
#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>

#include <algorithm>
#include <memory>

namespace content {

// [SECTION] Folding --------------------------------------------------------------------------

// Marks that only decorate a letter: Latin/Greek/Cyrillic combining diacritics and Arabic
// harakat, Quranic marks and the hamza/madda left by NFKD of alef forms. Indic vowel signs and
// viramas are NOT here: they are part of the word.
static bool is_strippable_mark(UChar32 c) {
    return (c >= 0x0300 && c <= 0x036F) || (c >= 0x0483 && c <= 0x0489) ||
           (c >= 0x0610 && c <= 0x061A) || (c >= 0x064B && c <= 0x065F) || c == 0x0670 ||
           (c >= 0x06D6 && c <= 0x06DC) || (c >= 0x06DF && c <= 0x06E8) || (c >= 0x06EA && c <= 0x06ED);
}

// Letter variants written interchangeably in Arabic-script languages.
static UChar32 unify_arabic(UChar32 c) {
    switch (c) {
    case 0x0671: case 0x0622: case 0x0623: case 0x0625: return 0x0627;  // alef forms -> alef
    case 0x0649: case 0x06CC: case 0x06D2: return 0x064A;               // alef maqsura, Farsi yeh
    case 0x06A9: return 0x0643;                                         // keheh -> kaf
    case 0x0629: return 0x0647;                                         // teh marbuta -> heh
    default: return c;
    }
}

static bool is_cjk(UChar32 c) {
    if (u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC)) return true;
    UErrorCode st = U_ZERO_ERROR;
    UScriptCode sc = uscript_getScript(c, &st);
    return sc == USCRIPT_HIRAGANA || sc == USCRIPT_KATAKANA;
}

static bool is_token_char(UChar32 c) {
    if (u_isalnum(c)) return true;
    int8_t t = u_charType(c);
    return t == U_NON_SPACING_MARK || t == U_COMBINING_SPACING_MARK || t == U_ENCLOSING_MARK;
}

std::string fold(std::string_view utf8) {
    UErrorCode st = U_ZERO_ERROR;
    const icu::Normalizer2* nfkd = icu::Normalizer2::getNFKDInstance(st);
    if (U_FAILURE(st)) return {};
    icu::UnicodeString s = icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), int32_t(utf8.size())));
    s.foldCase();
    icu::UnicodeString d = nfkd->normalize(s, st);
    if (U_FAILURE(st)) return {};
    icu::UnicodeString out;
    bool space = true;                              // last appended char was a separator
    for (int32_t i = 0; i < d.length();) {
        UChar32 c = d.char32At(i);
        i += U16_LENGTH(c);
        if (c == 0x0640 || is_strippable_mark(c)) continue;   // tatweel, diacritics
        c = unify_arabic(c);
        if (is_cjk(c)) {
            if (!space) out.append(UChar(' '));
            out.append(c).append(UChar(' '));
            space = true;
        } else if (is_token_char(c)) {
            out.append(c);
            space = false;
        } else if (!space) {
            out.append(UChar(' '));
            space = true;
        }
    }
    std::string r;
    out.toUTF8String(r);
    while (!r.empty() && r.back() == ' ') r.pop_back();
    return r;
}

std::string latin_fold(std::string_view utf8) {
    std::string folded = fold(utf8);
    if (std::all_of(folded.begin(), folded.end(), [](char c) { return (unsigned char)c < 0x80; })) return {};
    thread_local std::unique_ptr<icu::Transliterator> tr;
    if (!tr) {
        UErrorCode st = U_ZERO_ERROR;
        tr.reset(icu::Transliterator::createInstance("Any-Latin; Latin-ASCII", UTRANS_FORWARD, st));
        if (U_FAILURE(st)) { tr.reset(); return {}; }
    }
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), int32_t(utf8.size())));
    tr->transliterate(u);
    std::string latin;
    u.toUTF8String(latin);
    return fold(latin);
}

// [SECTION] FTS5 query -------------------------------------------------------------------------

// Each folded token becomes "token"* (a quoted prefix, so no FTS5 operator can reach the
// parser); consecutive single CJK characters become one phrase "a b"* so their order counts.
std::string fts_query(std::string_view user_input) {
    std::string folded = fold(user_input);
    std::vector<std::string> tokens = split_list(folded, ' ');
    std::string q;
    std::string phrase;
    bool phrase_cjk = false;
    auto flush = [&]() {
        if (phrase.empty()) return;
        if (!q.empty()) q += ' ';
        q += '"';
        for (char ch : phrase) { q += ch; if (ch == '"') q += '"'; }
        q += "\"*";
        phrase.clear();
        phrase_cjk = false;
    };
    for (const std::string& t : tokens) {
        UChar32 c = 0;
        int32_t off = 0;
        U8_NEXT(t.data(), off, int32_t(t.size()), c);
        bool cjk_char = off == int32_t(t.size()) && c > 0 && is_cjk(c);
        if (cjk_char) {
            if (!phrase_cjk) flush();
            if (!phrase.empty()) phrase += ' ';
            phrase += t;
            phrase_cjk = true;
        } else {
            flush();
            phrase = t;
            flush();
        }
    }
    flush();
    return q;
}

// [SECTION] Collation --------------------------------------------------------------------------

struct CollatorDeleter { void operator()(icu::Collator* c) const { delete c; } };
using CollatorPtr = std::unique_ptr<icu::Collator, CollatorDeleter>;

static CollatorPtr make_collator(std::string_view lang) {
    UErrorCode st = U_ZERO_ERROR;
    CollatorPtr c(icu::Collator::createInstance(icu::Locale(std::string(lang).c_str()), st));
    if (U_FAILURE(st)) return nullptr;
    c->setStrength(icu::Collator::TERTIARY);
    return c;
}

// Sorts by ICU sort keys (one key per item, then byte comparison: fast and stable).
template <class T, class Get>
static void sort_by_key(std::vector<T>& items, std::string_view lang, Get get) {
    CollatorPtr coll = make_collator(lang);
    if (!coll) return;
    std::vector<std::pair<std::string, size_t>> keys;
    keys.reserve(items.size());
    for (size_t i = 0; i < items.size(); i++) {
        const std::string& s = get(items[i]);
        icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), int32_t(s.size())));
        std::string key(size_t(coll->getSortKey(u, nullptr, 0)), '\0');
        coll->getSortKey(u, reinterpret_cast<uint8_t*>(key.data()), int32_t(key.size()));
        keys.emplace_back(std::move(key), i);
    }
    std::stable_sort(keys.begin(), keys.end());
    std::vector<T> sorted;
    sorted.reserve(items.size());
    for (auto& k : keys) sorted.push_back(std::move(items[k.second]));
    items = std::move(sorted);
}

void collate_sort(std::vector<std::string>& items, std::string_view lang) {
    sort_by_key(items, lang, [](const std::string& s) -> const std::string& { return s; });
}

void sort_services(std::vector<Service>& services, std::string_view lang) {
    sort_by_key(services, lang, [](const Service& s) -> const std::string& { return s.name; });
}

}  // namespace content
