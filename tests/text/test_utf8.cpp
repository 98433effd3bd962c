// Invalid UTF-8 becomes U+FFFD (one per maximal invalid subpart), never a crash. ICU's converter
// (u_strFromUTF8WithSub, which follows the same Unicode recommendation) is the oracle.
#include "text_test_util.h"

#include <catch2/catch.hpp>
#include <unicode/ustring.h>

#include <random>

using text_test::engine;
using text_test::style;

static std::u16string icu_decode(const std::string& bytes) {
    std::u16string out(bytes.size() * 2 + 4, u'\0');
    int32_t len = 0, subs = 0;
    UErrorCode err = U_ZERO_ERROR;
    u_strFromUTF8WithSub((UChar*)out.data(), (int32_t)out.size(), &len, bytes.data(), (int32_t)bytes.size(),
                         0xFFFD, &subs, &err);
    REQUIRE(U_SUCCESS(err));
    out.resize((size_t)len);
    return out;
}

TEST_CASE("utf8: invalid sequences are replaced by U+FFFD", "[text][utf8]") {
    REQUIRE(engine().ok());
    struct { const char* name; std::string in, expected; } cases[] = {
        {"truncated 2-byte at end", "ab\xC3", "ab\xEF\xBF\xBD"},
        {"truncated 3-byte then ASCII", "\xE2\x82x", "\xEF\xBF\xBDx"},
        {"overlong slash", "\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"overlong 3-byte", "\xE0\x80\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"encoded surrogate", "\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"0xFF and 0xFE", "a\xFF\xFE" "b", "a\xEF\xBF\xBD\xEF\xBF\xBD" "b"},
        {"above U+10FFFF", "\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"stray continuation in Arabic", "\xD9\x85\x80\xD8\xB1", "\xD9\x85\xEF\xBF\xBD\xD8\xB1"},
    };
    for (auto& c : cases) {
        INFO(c.name);
        auto L = engine().layout(c.in, style("ar"), 300);
        CHECK(L->had_invalid_utf8);
        CHECK(L->text == c.expected);
        CHECK(text_test::to_u16(L->text) == icu_decode(c.in));
        CHECK(!L->lines.empty());
    }
    auto shown = engine().layout("Nome: \xFF", style("it"));   // U+FFFD is drawn with a real glyph
    REQUIRE(!shown->glyphs.empty());
    CHECK(shown->glyphs.back().glyph_id != 0);
    auto ok = engine().layout("valid مرحبا 中文", style("ar"));
    CHECK_FALSE(ok->had_invalid_utf8);
    CHECK(ok->text == "valid مرحبا 中文");
}

TEST_CASE("utf8: random bytes never crash and decode like ICU", "[text][utf8][fuzz]") {
    REQUIRE(engine().ok());
    std::mt19937 rng(20261122);   // seeded: a failure is reproducible
    const char* langs[] = {"ar", "ur", "bn", "zh", "it"};
    for (int iter = 0; iter < 1500; iter++) {
        std::string bytes(rng() % 48, '\0');
        for (char& b : bytes) {
            uint32_t r = rng();
            // Bias towards lead bytes and continuations so multi-byte paths are exercised.
            b = (char)((r & 3) == 0 ? 0x80 + (r >> 8) % 0x40 : (r & 3) == 1 ? 0xC0 + (r >> 8) % 0x40 : (r >> 8));
        }
        INFO("iteration " << iter);
        auto L = engine().layout(bytes, style(langs[iter % 5]), iter % 2 ? 60.0f : 0.0f);
        REQUIRE(L != nullptr);
        CHECK(text_test::to_u16(L->text) == icu_decode(bytes));
        uint32_t pos = 0;   // lines tile the text whatever the input
        for (const text::Line& line : L->lines) {
            CHECK(line.text_start == pos);
            pos = line.text_end;
        }
        CHECK(pos == L->text.size());
        for (const text::Glyph& g : L->glyphs) CHECK(g.cluster <= L->text.size());
    }
}
