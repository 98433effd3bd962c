// Folding, collation and search in it, ar, bn, zh, uk; Italian terms from the Arabic UI;
// prefix per keystroke; hostile input.
#include "support.h"

#include <catch2/catch.hpp>

using namespace testsupport;

namespace {

content::Pack open_good(const TempDir& dir) {
    REQUIRE(build_good(dir).ok);
    content::Pack pack;
    REQUIRE(pack.open(dir / "pack.sqlite").ok);
    return pack;
}

std::string first_id(const std::vector<content::SearchHit>& hits) { return hits.empty() ? "" : hits[0].id; }

}  // namespace

TEST_CASE("fold: case, accents, Arabic harakat/tatweel/alef forms, CJK per character", "[content][search]") {
    CHECK(content::fold("Perché PERMÈSSO, d'identità!") == "perche permesso d identita");
    CHECK(content::fold("Straße") == "strasse");
    CHECK(content::fold("تَصْرِيح") == content::fold("تصريح"));
    CHECK(content::fold("الإقامة") == content::fold("الاقامة"));
    CHECK(content::fold("تـصـريـح") == content::fold("تصريح"));
    CHECK(content::fold("ی") == content::fold("ي"));           // Persian and Arabic yeh
    CHECK(content::fold("居留许可") == "居 留 许 可");
    CHECK(content::fold("ПОСВІДКА") == "посвідка");
    std::string bn = content::fold("অনুমতিপত্র");              // vowel signs stay in the word
    CHECK(bn.find(' ') == std::string::npos);
    CHECK(bn.size() == std::string("অনুমতিপত্র").size());
    CHECK(content::fold("  ***  ").empty());
}

TEST_CASE("collation: ICU order of the visitor's language", "[content][collation]") {
    std::vector<std::string> it{"Ufficio", "école", "Anagrafe", "Ente", "ascensore"};
    content::collate_sort(it, "it");
    CHECK(it == std::vector<std::string>{"Anagrafe", "ascensore", "école", "Ente", "Ufficio"});

    std::vector<std::string> uk{"дім", "ґанок", "гора", "яблуко", "єнот", "їжак", "іній", "иней"};
    content::collate_sort(uk, "uk");    // г ґ д е є ж з и і ї й ... я
    CHECK(uk == std::vector<std::string>{"гора", "ґанок", "дім", "єнот", "иней", "іній", "їжак", "яблуко"});

    std::vector<std::string> zh{"中国", "北京", "安全"};     // pinyin: an < bei < zhong
    content::collate_sort(zh, "zh");
    CHECK(zh == std::vector<std::string>{"安全", "北京", "中国"});

    std::vector<std::string> ar{"يد", "باب", "أمل", "تفاح"};
    content::collate_sort(ar, "ar");
    CHECK(ar == std::vector<std::string>{"أمل", "باب", "تفاح", "يد"});

    std::vector<std::string> bn{"খাতা", "আম", "কলম", "অজগর"};
    content::collate_sort(bn, "bn");
    CHECK(bn == std::vector<std::string>{"অজগর", "আম", "কলম", "খাতা"});
}

TEST_CASE("search: Italian terms found from the Arabic UI, title shown in Arabic", "[content][search]") {
    TempDir dir;
    content::Pack pack = open_good(dir);
    auto hits = pack.search("permesso di soggiorno", "ar");
    REQUIRE_FALSE(hits.empty());
    CHECK(hits[0].id == "permit-renewal");
    CHECK(hits[0].kind == content::HitKind::Procedure);
    CHECK(hits[0].lang == "ar");
    CHECK(hits[0].title == "تجديد تصريح الإقامة");
    CHECK((hits[0].matched_lang == "ar" || hits[0].matched_lang == "it"));
    // The Arabic permit text mentions "(codice fiscale)" in its documents; the tax-code
    // procedure, Italian only, is still the first hit.
    hits = pack.search("codice fiscale", "ar");
    REQUIRE(hits.size() == 2);
    CHECK(hits[0].id == "tax-code");
    CHECK(hits[1].id == "permit-renewal");
    CHECK(hits[1].matched_lang == "ar");
    CHECK(hits[0].matched_lang == "it");
    CHECK(hits[0].lang == "it");                        // no Arabic text: Italian title
}

TEST_CASE("search: case, accent and diacritic insensitive in it, ar, uk, bn, zh", "[content][search]") {
    TempDir dir;
    content::Pack pack = open_good(dir);
    CHECK(first_id(pack.search("PERMÉSSO SOGGIÓRNO", "it")) == "permit-renewal");
    CHECK(first_id(pack.search("تَصْرِيحُ الإِقَامَة", "ar")) == "permit-renewal");
    CHECK(first_id(pack.search("ПОСВІДКИ", "uk")) == "permit-renewal");
    CHECK(first_id(pack.search("посвідку", "uk")) == "permit-renewal");
    CHECK(first_id(pack.search("অনুমতিপত্র", "bn")) == "permit-renewal");
    CHECK(first_id(pack.search("居留", "zh")) == "permit-renewal");
    CHECK(first_id(pack.search("税号", "zh")) == "tax-code");
    CHECK(pack.search("留居", "zh").empty());           // CJK runs are phrases: order counts
}

TEST_CASE("search: every keystroke is a prefix search", "[content][search]") {
    TempDir dir;
    content::Pack pack = open_good(dir);
    std::string typed;
    for (char c : std::string("codice fisc")) {
        typed += c;
        auto hits = pack.search(typed, "it");
        if (typed.size() >= 3) {
            INFO(typed);
            CHECK(first_id(hits) == "tax-code");
        }
    }
    auto hits = pack.search("quest", "en");
    bool office = false;
    for (auto& h : hits) office |= h.kind == content::HitKind::Service && h.id == "questura-test";
    CHECK(office);
}

TEST_CASE("search: the visitor's language ranks first, then Italian", "[content][search]") {
    TempDir dir;
    content::Pack pack = open_good(dir);
    auto q = pack.search("questura", "en");            // en and it texts both mention it
    REQUIRE_FALSE(q.empty());
    bool seen_proc = false;
    for (auto& h : q)
        if (h.id == "permit-renewal") { seen_proc = true; CHECK(h.matched_lang == "en"); }
    CHECK(seen_proc);
    auto hits = pack.search("passaporto", "it");
    REQUIRE(hits.size() == 2);
    for (auto& h : hits) CHECK(h.matched_lang == "it");
    hits = pack.search("passport", "en");
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].id == "permit-renewal");
    CHECK(hits[0].matched_lang == "en");
    hits = pack.search("护照", "zh");
    REQUIRE(hits.size() == 2);
    for (auto& h : hits) CHECK(h.matched_lang == "zh");
    CHECK(pack.search("permesso", "it", 1).size() == 1);
}

TEST_CASE("search: FTS5 syntax and odd input never error or crash", "[content][search]") {
    TempDir dir;
    content::Pack pack = open_good(dir);
    const char* inputs[] = {"\"", "*", "AND", "OR NOT", "(", "permesso)", "NEAR(a b", "\"permesso",
                            "col:permesso", "^", "''", "", "   ", "😀", "a\"b*c", "-permesso", "{title}: x",
                            "\xff\xfe", "AND OR NOT", "permesso AND"};
    for (const char* in : inputs) {
        INFO(in);
        auto hits = pack.search(in, "ar");
        CHECK(pack.last_error().empty());
        (void)hits;
    }
    CHECK(first_id(pack.search("application AND", "en")) == "permit-renewal");   // AND is a word here
}

TEST_CASE("search: topic and office-kind labels of the UI strings are searchable", "[content][search]") {
    TempDir dir;
    content::Pack pack = open_good(dir);
    auto hits = pack.search("الشرطة", "ar");            // "police", only in the kind label
    bool questura = false;
    for (auto& h : hits) questura |= h.kind == content::HitKind::Service && h.id == "questura-test";
    CHECK(questura);
    hits = pack.search("تصاريح", "ar");                 // "permits", only in the topic label
    REQUIRE_FALSE(hits.empty());
    CHECK(hits[0].id == "permit-renewal");
    CHECK(hits[0].matched_lang == "ar");
}

TEST_CASE("search: Latin typing finds non-Latin titles through transliteration", "[content][search]") {
    TempDir dir;
    content::Pack pack = open_good(dir);
    auto hits = pack.search("ju liu", "zh");            // pinyin of 居留
    REQUIRE_FALSE(hits.empty());
    CHECK(hits[0].id == "permit-renewal");
    CHECK(hits[0].matched_lang == "zh");
    CHECK(hits[0].title == "居留许可续签");
    hits = pack.search("posvidk", "uk");                // посвідка typed on a Latin keyboard
    REQUIRE_FALSE(hits.empty());
    CHECK(hits[0].id == "permit-renewal");
    CHECK(hits[0].matched_lang == "uk");
    CHECK(pack.search("shui hao", "zh").size() >= 1);   // 税号
    CHECK(first_id(pack.search("shui hao", "zh")) == "tax-code");
}
