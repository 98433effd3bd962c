// Compiler tests: the good fixture, every malformed case of malformed.txt with its exact
// error text, determinism, no pack left behind by a failed build, and the real demo content.
#include "support.h"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <cstring>
#include <vector>

using namespace testsupport;

namespace {

struct Case {
    std::string name, file, op, from, to;
    std::vector<std::string> expect;
};

std::string unescape(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); i++) {
        if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == 'n') { out += '\n'; i++; }
        else if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x') { out += char(std::stoi(s.substr(i + 2, 2), nullptr, 16)); i += 3; }
        else out += s[i];
    }
    return out;
}

std::vector<Case> load_cases() {
    std::vector<Case> cases;
    std::istringstream in(read_file(std::string(SPORTELLO_SOURCE_DIR) + "/tests/content/malformed.txt"));
    std::string line;
    auto value = [&](const char* key) {
        std::string v = line.substr(strlen(key));
        return v.starts_with(' ') ? v.substr(1) : v;
    };
    while (std::getline(in, line)) {
        if (line.starts_with("=== ")) cases.push_back({line.substr(4), "", "", "", "", {}});
        else if (cases.empty() || line.empty() || line[0] == '#') continue;
        else if (line.starts_with("file:")) cases.back().file = value("file:");
        else if (line.starts_with("replace:")) { cases.back().op = "replace"; cases.back().from = unescape(value("replace:")); }
        else if (line.starts_with("with:")) cases.back().to = unescape(value("with:"));
        else if (line == "delete") cases.back().op = "delete";
        else if (line.starts_with("write:")) { cases.back().op = "write"; cases.back().to = unescape(value("write:")); }
        else if (line.starts_with("expect:")) cases.back().expect.push_back(value("expect:"));
    }
    return cases;
}

}  // namespace

TEST_CASE("compile: the good fixture builds and counts what it holds", "[content][compile]") {
    TempDir dir;
    content::BuildResult r = build_good(dir);
    for (auto& e : r.errors) INFO(e.text());
    REQUIRE(r.ok);
    CHECK(r.errors.empty());
    CHECK(r.stats.procedures == 2);
    CHECK(r.stats.translations == 8);
    CHECK(r.stats.services == 2);
    CHECK(r.stats.ui_strings == 4);
    CHECK(fs::file_size(dir / "pack.sqlite") > 0);
    std::string good = fixture("good");
    CHECK(r.warnings == std::vector<std::string>{
        good + "/procedures/permit-renewal/ar.md:5: translated from revision 1, the Italian text is at revision 2 (shown as outdated)",
        good + "/procedures/tax-code/en.md: no English text: visitors without a translation will read Italian"});
}

TEST_CASE("compile: every malformed source fails with its exact errors and writes no pack", "[content][compile]") {
    std::vector<Case> cases = load_cases();
    REQUIRE(cases.size() >= 20);
    for (const Case& c : cases) {
        SECTION(c.name) {
            TempDir dir;
            std::string src = dir / "content";
            fs::copy(fixture("good"), src, fs::copy_options::recursive);
            std::string target = src + "/" + c.file;
            if (c.op == "replace") {
                std::string text = read_file(target);
                size_t at = text.find(c.from);
                REQUIRE(at != std::string::npos);
                write_file(target, text.replace(at, c.from.size(), c.to));
            } else if (c.op == "delete") {
                REQUIRE(fs::remove(target));
            } else {
                write_file(target, c.to);
            }
            std::string out = dir / "out.sqlite";
            content::BuildResult r = content::build_pack(build_options(src, fixture("locales"), out));
            std::vector<std::string> got;
            for (const content::Diagnostic& d : r.errors) got.push_back(d.text());
            std::vector<std::string> want;
            for (const std::string& e : c.expect) want.push_back(src + "/" + e);
            CHECK_FALSE(r.ok);
            CHECK(got == want);
            CHECK_FALSE(fs::exists(out));
            int leftovers = 0;
            for (auto& e : fs::directory_iterator(dir.path)) leftovers += e.path().filename().string().starts_with("out.sqlite");
            CHECK(leftovers == 0);
        }
    }
}

TEST_CASE("compile: same sources give a byte-identical pack", "[content][compile]") {
    TempDir dir;
    REQUIRE(build_good(dir, "a.sqlite").ok);
    REQUIRE(build_good(dir, "b.sqlite").ok);
    std::string a = read_file(dir / "a.sqlite"), b = read_file(dir / "b.sqlite");
    CHECK(a.size() > 4096);
    CHECK(a == b);
}

TEST_CASE("compile: a failed build keeps the previous pack untouched", "[content][compile]") {
    TempDir dir;
    REQUIRE(build_good(dir, "pack.sqlite").ok);
    std::string before = read_file(dir / "pack.sqlite");
    content::BuildResult r = content::build_pack(build_options(dir / "no-such-content", fixture("locales"), dir / "pack.sqlite"));
    CHECK_FALSE(r.ok);
    REQUIRE(r.errors.size() >= 1);
    CHECK(r.errors[0].text() == dir / "no-such-content" + ": not a directory");
    CHECK(read_file(dir / "pack.sqlite") == before);
}

TEST_CASE("compile: the demo content/ and locales/ of the repository build without errors", "[content][compile][demo]") {
    TempDir dir;
    std::string root = SPORTELLO_SOURCE_DIR;
    content::BuildResult r = content::build_pack(build_options(root + "/content", root + "/locales", dir / "demo.sqlite"));
    for (auto& e : r.errors) UNSCOPED_INFO(e.text());
    REQUIRE(r.ok);
    CHECK(r.stats.procedures >= 12);
    CHECK(r.stats.services >= 15);
    CHECK(r.stats.translations >= 24);
    content::Pack pack;
    REQUIRE(pack.open(dir / "demo.sqlite").ok);
    CHECK(pack.topics().size() == 7);
    for (const content::Topic& t : pack.topics()) CHECK(t.procedure_count >= 1);
    for (const content::Service& s : pack.services("it")) {
        INFO(s.id << ": " << s.hours);
        content::HoursTable t = pack.office_hours(s.id);
        CHECK(t.valid_to > t.valid_from);
        CHECK_FALSE(t.intervals.empty());
    }
}
