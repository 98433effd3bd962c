// Pack reader: procedures with the fallback chain and badges, blocks and spans, offices,
// manifest, UI strings; a pack of another schema and broken files give clear error values.
#include "support.h"

#include <catch2/catch.hpp>
#include <sqlite3.h>

using namespace testsupport;

namespace {

content::Pack open_good(const TempDir& dir) {
    REQUIRE(build_good(dir).ok);
    content::Pack pack;
    content::OpenResult r = pack.open(dir / "pack.sqlite");
    INFO(r.error);
    REQUIRE(r.ok);
    return pack;
}

}  // namespace

TEST_CASE("pack: manifest, topics and procedures of a topic", "[content][pack]") {
    TempDir dir;
    content::Pack pack = open_good(dir);
    CHECK(pack.schema_version() == content::kSchemaVersion);
    CHECK(pack.content_version() == 7);
    CHECK(pack.expires() == "2027-06-30");
    CHECK(pack.extra_holidays() == std::vector<std::string>{"08-10"});
    std::vector<content::Topic> topics = pack.topics();
    REQUIRE(topics.size() == 3);
    CHECK(topics[0].id == "permits");
    CHECK(topics[0].procedure_count == 1);
    CHECK(topics[2].procedure_count == 0);
    auto procs = pack.procedures("documents", "zh");
    REQUIRE(procs.size() == 1);
    CHECK(procs[0].title == "税号");
    CHECK_FALSE(procs[0].fallback);
    CHECK(procs[0].status == content::Status::Machine);
    CHECK_FALSE(procs[0].outdated);
    auto permits = pack.procedures("permits", "ar");
    REQUIRE(permits.size() == 1);
    CHECK(permits[0].lang == "ar");
    CHECK(permits[0].outdated);                         // ar.md translates revision 1 of 2
    procs = pack.procedures("documents", "ar");       // no ar, no en -> Italian
    REQUIRE(procs.size() == 1);
    CHECK(procs[0].lang == "it");
    CHECK(procs[0].fallback);
}

TEST_CASE("pack: a procedure in a language, with status, outdated and fallback", "[content][pack]") {
    TempDir dir;
    content::Pack pack = open_good(dir);
    content::ProcedureResult r = pack.procedure("permit-renewal", "ar");
    REQUIRE(r.ok);
    const content::Procedure& p = r.procedure;
    CHECK(p.lang == "ar");
    CHECK_FALSE(p.fallback);
    CHECK(p.status == content::Status::Machine);
    CHECK(p.outdated);                                  // translated from revision 1, source is 2
    CHECK(p.revision == 2);
    CHECK(p.offices == std::vector<std::string>{"questura-test"});

    r = pack.procedure("permit-renewal", "fr");        // no French: English, reviewed, current
    REQUIRE(r.ok);
    CHECK(r.procedure.lang == "en");
    CHECK(r.procedure.fallback);
    CHECK(r.procedure.status == content::Status::Reviewed);
    CHECK_FALSE(r.procedure.outdated);

    r = pack.procedure("tax-code", "uk");               // no uk, no en: Italian source
    REQUIRE(r.ok);
    CHECK(r.procedure.lang == "it");
    CHECK(r.procedure.status == content::Status::Source);

    r = pack.procedure("no-such", "it");
    CHECK_FALSE(r.ok);
    CHECK(r.error == "no procedure \"no-such\"");
}

TEST_CASE("pack: sections hold numbered steps, a checklist and styled spans", "[content][pack]") {
    TempDir dir;
    content::Pack pack = open_good(dir);
    content::ProcedureResult r = pack.procedure("permit-renewal", "it");
    REQUIRE(r.ok);
    const content::Section* steps = r.procedure.section("steps");
    REQUIRE(steps);
    CHECK(steps->heading == "Cosa fare");
    REQUIRE(steps->blocks.size() == 3);
    for (int i = 0; i < 3; i++) {
        CHECK(steps->blocks[size_t(i)].kind == content::BlockKind::ListItem);
        CHECK(steps->blocks[size_t(i)].number == i + 1);
    }
    const content::Block& first = steps->blocks[0];
    CHECK(first.text == "Prendi il kit postale all'ufficio postale.");
    REQUIRE(first.spans.size() == 1);
    CHECK(first.spans[0].kind == content::SpanKind::Strong);
    CHECK(first.text.substr(first.spans[0].begin, first.spans[0].end - first.spans[0].begin) == "kit postale");
    const content::Section* docs = r.procedure.section("documents");
    REQUIRE(docs);
    REQUIRE(docs->blocks.size() == 2);
    CHECK(docs->blocks[1].number == 0);
    CHECK(docs->blocks[1].text == "Quattro fotografie");
    const content::Section* links = r.procedure.section("links");
    REQUIRE(links);
    REQUIRE(links->blocks[0].spans.size() == 1);
    CHECK(links->blocks[0].spans[0].url == "https://www.portaleimmigrazione.it");
    CHECK(r.procedure.section("nothing") == nullptr);
}

TEST_CASE("pack: offices by id, by kind, notes with fallback, mediator days", "[content][pack]") {
    TempDir dir;
    content::Pack pack = open_good(dir);
    content::Service s;
    REQUIRE(pack.service("questura-test", "ar", &s));
    CHECK(s.kind == "questura");
    CHECK(s.notes == "بموعد مسبق فقط.");
    CHECK(s.notes_lang == "ar");
    CHECK(s.notes_status == content::Status::Machine);
    CHECK(s.accessibility.empty());                     // ar row has no accessibility text
    CHECK(s.languages == std::vector<std::string>{"it", "en"});
    CHECK(s.lat == Approx(42.76));
    REQUIRE(pack.service("questura-test", "fr", &s));
    CHECK(s.notes == "By appointment only.");
    CHECK(s.notes_lang == "en");
    CHECK(s.notes_status == content::Status::Reviewed);
    CHECK_FALSE(pack.service("nowhere", "it", &s));
    CHECK(pack.services("it").size() == 2);
    auto tax = pack.services_of_kind("tax", "it");
    REQUIRE(tax.size() == 1);
    CHECK(tax[0].id == "entrate-test");
    CHECK(pack.mediator_days("desk-a") == std::vector<content::Weekday>{content::Weekday::Tu, content::Weekday::Th});
    CHECK(pack.mediator_days("desk-b").empty());
}

TEST_CASE("pack: office hours as stored intervals, a pack without them says it does not know", "[content][pack][hours]") {
    TempDir dir;
    content::Pack pack = open_good(dir);
    // entrate-test: Mo-Fr 08:30-12:30; PH off. Monday 23 November 2026, 08:30 CET = 07:30 UTC.
    content::HoursTable t = pack.office_hours("entrate-test");
    int64_t from = 0, to = 0;
    REQUIRE(hours::local_midnight("2026-11-01", 0, &from));
    REQUIRE(hours::local_midnight("2028-01-01", 0, &to));
    CHECK(t.valid_from == from);
    CHECK(t.valid_to == to);
    REQUIRE_FALSE(t.intervals.empty());
    const int64_t monday_0830 = 1795419000;
    bool found = false;
    for (const content::OpenInterval& iv : t.intervals) found |= iv.from == monday_0830 && iv.to == monday_0830 + 4 * 3600;
    CHECK(found);
    CHECK(pack.office_hours("nowhere").intervals.empty());
    // An older pack: no office_hours table. It still opens; every office's hours are unknown.
    pack.close();
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open((dir / "pack.sqlite").c_str(), &db) == SQLITE_OK);
        CHECK(sqlite3_exec(db, "DROP TABLE office_hours", nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
    }
    content::Pack old;
    REQUIRE(old.open(dir / "pack.sqlite").ok);
    content::HoursTable none = old.office_hours("entrate-test");
    CHECK(none.valid_to == 0);
    CHECK_FALSE(content::open_state(none, double(monday_0830) * 1000 + 60000).known);
    // Rows that are not sorted and disjoint make that office unknown, never wrong.
    {
        TempDir d2;
        content::Pack p2 = open_good(d2);
        p2.close();
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open((d2 / "pack.sqlite").c_str(), &db) == SQLITE_OK);
        CHECK(sqlite3_exec(db, "UPDATE office_hours SET end = end + 86400 * 30 WHERE id = 'entrate-test'", nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
        REQUIRE(p2.open(d2 / "pack.sqlite").ok);
        CHECK(p2.office_hours("entrate-test").valid_to == 0);
        CHECK(p2.office_hours("questura-test").valid_to > 0);
    }
}

TEST_CASE("pack: release_cache gives back the pages open() read, and queries still work", "[content][pack]") {
    TempDir dir;
    content::Pack pack = open_good(dir);
    size_t after_open = pack.cache_bytes();
    CHECK(after_open > 0);                     // quick_check read every page
    pack.release_cache();
    CHECK(pack.cache_bytes() < after_open);
    REQUIRE(pack.topics().size() == 3);        // read again from the file
    CHECK(pack.procedures("documents", "zh")[0].title == "税号");
    CHECK(pack.cache_bytes() > 0);
}

TEST_CASE("pack: compiled UI strings feed the locale module", "[content][pack]") {
    TempDir dir;
    content::Pack pack = open_good(dir);
    CHECK(pack.ui_languages() == std::vector<std::string>{"ar", "en", "it"});
    CHECK(pack.ui_string("topic.permits", "it") == "Permessi di soggiorno");
    CHECK(pack.ui_string("kind.questura", "it").empty());
    CHECK(pack.ui_string("kind.questura", "ar") == "مكتب الهجرة في الشرطة");
    locale::Catalog c = pack.ui_catalog("it");
    CHECK(c.translation == "reviewed");
    CHECK(c.messages.at("topic.permits") == "Permessi di soggiorno");
    CHECK(c.sources.at("topic.permits") == "Residence permits");
}

TEST_CASE("pack: another schema version is refused with a clear error value", "[content][pack]") {
    TempDir dir;
    REQUIRE(build_good(dir).ok);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(std::string(dir / "pack.sqlite").c_str(), &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "UPDATE manifest SET value = '2' WHERE key = 'schema_version'", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    content::Pack pack;
    content::OpenResult r = pack.open(dir / "pack.sqlite");
    CHECK_FALSE(r.ok);
    CHECK(r.code == content::PackError::SchemaMismatch);
    CHECK(r.error == "content pack schema 2, this kiosk reads schema 1");
    CHECK_FALSE(pack.is_open());
    CHECK(pack.topics().empty());
    CHECK_FALSE(pack.procedure("tax-code", "it").ok);
}

TEST_CASE("pack: missing, garbage, empty and truncated files are error values", "[content][pack]") {
    TempDir dir;
    content::Pack pack;
    content::OpenResult r = pack.open(dir / "absent.sqlite");
    CHECK(r.code == content::PackError::NotFound);
    CHECK(r.error == "content pack not found: " + dir / "absent.sqlite");

    write_file(dir / "garbage.sqlite", std::string(8192, '\x5a'));
    r = pack.open(dir / "garbage.sqlite");
    CHECK_FALSE(r.ok);
    CHECK(r.code == content::PackError::NotAPack);
    CHECK(r.error.starts_with(dir / "garbage.sqlite" + " is not a content pack"));

    write_file(dir / "empty.sqlite", "");
    r = pack.open(dir / "empty.sqlite");
    CHECK_FALSE(r.ok);
    CHECK(r.code == content::PackError::NotAPack);

    REQUIRE(build_good(dir).ok);
    std::string bytes = read_file(dir / "pack.sqlite");
    write_file(dir / "half.sqlite", bytes.substr(0, bytes.size() / 2));
    r = pack.open(dir / "half.sqlite");
    CHECK_FALSE(r.ok);
    CHECK((r.code == content::PackError::NotAPack || r.code == content::PackError::Corrupt));
    CHECK_FALSE(r.error.empty());
    CHECK(pack.search("permesso", "it").empty());       // inert, never a crash

    REQUIRE(pack.open(dir / "pack.sqlite").ok);         // the same object opens a good pack after
    CHECK(pack.content_version() == 7);
}

TEST_CASE("pack: a tampered procedure row is an error value, not a crash", "[content][pack]") {
    TempDir dir;
    REQUIRE(build_good(dir).ok);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(std::string(dir / "pack.sqlite").c_str(), &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "UPDATE procedure_texts SET sections = '[{\"id\": 3}]' WHERE id = 'tax-code' AND lang = 'it';"
                           "UPDATE procedure_texts SET sections = 'not json' WHERE id = 'tax-code' AND lang = 'zh'",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    content::Pack pack;
    REQUIRE(pack.open(dir / "pack.sqlite").ok);
    content::ProcedureResult r = pack.procedure("tax-code", "it");
    CHECK_FALSE(r.ok);
    CHECK(r.error == "damaged procedure text tax-code/it");
    r = pack.procedure("tax-code", "zh");
    CHECK_FALSE(r.ok);
    CHECK(r.error == "damaged procedure text tax-code/zh");
    CHECK(pack.procedure("permit-renewal", "it").ok);
}
