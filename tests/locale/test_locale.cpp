// locale: PO parsing (good and malformed), fallback chain, ICU MessageFormat, native names, and
// the real locales/ folder.
#include "locale/locale.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <set>

using namespace std::string_literals;

static locale::LoadResult parse(const std::string& po, const char* lang = "ar") {
  return locale::parse_po(po, "locales/"s + lang + ".po", lang);
}

static const char* kHeader =
    "msgid \"\"\n"
    "msgstr \"\"\n"
    "\"Language: ar\\n\"\n"
    "\"X-Sportello-Translation: machine\\n\"\n"
    "\n";

TEST_CASE("PO entries: key from msgctxt, escapes, multi-line strings, fuzzy, header", "[unit][locale]") {
  locale::LoadResult r = parse(std::string(kHeader) +
                               "# a comment\n"
                               "msgctxt \"nav.back\"\n"
                               "msgid \"Back\"\n"
                               "msgstr \"رجوع\"\n"
                               "\n"
                               "msgctxt \"welcome.body\"\n"
                               "msgid \"\"\n"
                               "\"Line one \\\"quoted\\\"\\n\"\n"
                               "\"line two\\\\ \\ttab\"\n"
                               "msgstr \"\"\n"
                               "\"سطر\\n\"\n"
                               "\"ثان\"\n"
                               "\n"
                               "#, fuzzy\n"
                               "msgctxt \"nav.home\"\n"
                               "msgid \"Home\"\n"
                               "msgstr \"الرئيسية\"\n"
                               "msgctxt \"nav.search\"\n"
                               "msgid \"Search\"\n"
                               "msgstr \"\"\n");
  REQUIRE(r.ok);
  const locale::Catalog& c = r.catalog;
  CHECK(c.warnings.empty());
  CHECK(c.translation == "machine");
  CHECK(c.messages.at("nav.back") == "رجوع");
  CHECK(c.sources.at("welcome.body") == "Line one \"quoted\"\nline two\\ \ttab");
  CHECK(c.messages.at("welcome.body") == "سطر\nثان");
  CHECK(c.messages.count("nav.home") == 0);    // fuzzy = untranslated
  CHECK(c.sources.count("nav.home") == 1);
  CHECK(c.messages.count("nav.search") == 0);  // empty = untranslated (entry started without a blank line)
}

TEST_CASE("invalid UTF-8 drops that entry with a file:line warning, the rest loads", "[unit][locale]") {
  locale::LoadResult r = parse(std::string(kHeader) +        // lines 1-5
                               "msgctxt \"welcome.title\"\n"  // 6
                               "msgid \"Welcome\"\n"          // 7
                               "msgstr \"\xff\xfe\"\n"        // 8
                               "\n"
                               "msgctxt \"nav.back\"\n"
                               "msgid \"Back\"\n"
                               "msgstr \"\xed\xa0\x80\"\n"    // 12: an encoded surrogate
                               "\n"
                               "msgctxt \"nav.home\"\n"
                               "msgid \"Home\"\n"
                               "msgstr \"\xc0\xaf\"\n"        // 16: overlong '/'
                               "\n"
                               "msgctxt \"nav.language\"\n"
                               "msgid \"Language\"\n"
                               "msgstr \"اللغة\"\n");
  REQUIRE(r.ok);
  REQUIRE(r.catalog.warnings.size() == 3);
  CHECK(r.catalog.warnings[0] == "locales/ar.po:8: invalid UTF-8 in msgstr; the English text is shown instead");
  CHECK(r.catalog.warnings[1] == "locales/ar.po:12: invalid UTF-8 in msgstr; the English text is shown instead");
  CHECK(r.catalog.warnings[2] == "locales/ar.po:16: invalid UTF-8 in msgstr; the English text is shown instead");
  CHECK(r.catalog.messages.count("welcome.title") == 0);
  CHECK(r.catalog.messages.at("nav.language") == "اللغة");
}

TEST_CASE("syntax errors skip the entry with file:line and keep going", "[unit][locale]") {
  locale::LoadResult r = parse(std::string(kHeader) +         // 1-5
                               "msgctxt \"a\"\n"               // 6
                               "msgid \"A\"\n"                 // 7
                               "msgstr \"unterminated\n"       // 8
                               "\n"
                               "msgctxt \"b\"\n"               // 10
                               "msgid \"B\"\n"
                               "msgstr[0] \"x\"\n"             // 12
                               "\n"
                               "msgctxt \"c\"\n"               // 14
                               "msgid \"C\"\n"
                               "msgstr \"bad \\q escape\"\n"   // 16
                               "\n"
                               "translation \"oops\"\n"        // 18
                               "\n"
                               "msgctxt \"d\"\n"
                               "msgid \"D\"\n"
                               "msgstr \"ok\"\n");
  REQUIRE(r.ok);
  REQUIRE(r.catalog.warnings.size() == 4);
  CHECK(r.catalog.warnings[0] == "locales/ar.po:8: malformed string after msgstr; entry ignored");
  CHECK(r.catalog.warnings[1] ==
        "locales/ar.po:12: gettext plurals are not used here (write ICU MessageFormat in msgstr); entry ignored");
  CHECK(r.catalog.warnings[2] == "locales/ar.po:16: malformed string after msgstr; entry ignored");
  CHECK(r.catalog.warnings[3] == "locales/ar.po:18: unknown keyword \"translation\"; entry ignored");
  CHECK(r.catalog.messages.size() == 1);
  CHECK(r.catalog.messages.at("d") == "ok");
}

TEST_CASE("a file that cannot be read is an error, not a crash", "[unit][locale]") {
  locale::LoadResult r = locale::load_po("/nonexistent/ar.po", "ar");
  CHECK_FALSE(r.ok);
  CHECK(r.error.find("/nonexistent/ar.po: cannot read") == 0);
}

static locale::Catalog catalog(const char* lang, std::initializer_list<std::pair<const char*, const char*>> m) {
  locale::Catalog c;
  c.lang = lang;
  for (auto& [k, v] : m) c.messages[k] = v;
  return c;
}

TEST_CASE("lookup falls back visitor's language -> English -> Italian -> the key", "[unit][locale]") {
  locale::Strings s;
  s.add(catalog("it", {{"a", "A-it"}, {"b", "B-it"}, {"c", "C-it"}}));
  s.add(catalog("en", {{"a", "A-en"}, {"b", "B-en"}}));
  s.add(catalog("ar", {{"a", "A-ar"}}));
  locale::Text a = s.get("a", "ar"), b = s.get("b", "ar"), c = s.get("c", "ar"), d = s.get("d", "ar");
  CHECK((a.text == "A-ar" && a.lang == "ar" && !a.fallback));
  CHECK((b.text == "B-en" && b.lang == "en" && b.fallback));
  CHECK((c.text == "C-it" && c.lang == "it" && c.fallback));
  CHECK((d.text == "d" && d.fallback));
  CHECK(s.get("b", "bn").lang == "en");
}

TEST_CASE("ICU MessageFormat plurals follow each language's rules", "[unit][locale]") {
  const char* pattern = "{n, plural, zero {zero} one {one} two {two} few {few} many {many} other {other}}";
  auto cat = [&](const char* lang, double n) {
    std::pair<std::string_view, double> args[] = {{"n", n}};
    return locale::format_message(pattern, lang, args);
  };
  CHECK(cat("en", 1) == "one");
  CHECK(cat("en", 2) == "other");
  CHECK(cat("it", 1) == "one");
  CHECK(cat("ar", 0) == "zero");
  CHECK(cat("ar", 2) == "two");
  CHECK(cat("ar", 3) == "few");
  CHECK(cat("ar", 11) == "many");
  CHECK(cat("ru", 21) == "one");
  CHECK(cat("ru", 3) == "few");
  CHECK(cat("uk", 5) == "many");
  std::pair<std::string_view, double> ten[] = {{"seconds", 10}};
  CHECK(locale::format_message("{seconds, plural, other {# s}}", "ar", ten) == "١٠ s");  // Arabic digits
  std::string error;
  CHECK(locale::format_message("{broken", "en", ten, &error) == "{broken");
  CHECK_FALSE(error.empty());
}

TEST_CASE("native names of all 18 languages come from ICU, in their own script", "[unit][locale]") {
  REQUIRE(locale::languages().size() == 18);
  CHECK(locale::native_name("ar") == "العربية");
  CHECK(locale::native_name("it") == "Italiano");
  CHECK(locale::native_name("uk") == "Українська");
  CHECK(locale::native_name("bn") == "বাংলা");
  CHECK(locale::native_name("zh") == "中文");
  std::set<std::string> names;
  for (const locale::Language& l : locale::languages()) {
    std::string n = locale::native_name(l.code);
    CHECK_FALSE(n.empty());
    names.insert(n);
    CHECK(locale::find_language(l.code) == &l);
  }
  CHECK(names.size() == 18);
  CHECK(locale::find_language("xx") == nullptr);
}

TEST_CASE("the real locales/: 18 files, no warnings, every key, same placeholders", "[unit][locale]") {
  std::string dir = std::string(SPORTELLO_SOURCE_DIR) + "/locales";
  locale::LoadResult pot = locale::load_po(dir + "/sportello.pot", "en");
  REQUIRE(pot.ok);
  REQUIRE(pot.catalog.sources.size() > 50);
  locale::Strings strings;
  REQUIRE(strings.load_dir(dir));
  CHECK(strings.warnings().empty());
  // Argument names of a message: "{name}" or "{name, plural, ...}".
  auto argument_names = [](const std::string& m) {
    std::set<std::string> names;
    for (size_t at = m.find('{'); at != std::string::npos; at = m.find('{', at + 1)) {
      size_t end = at + 1;
      while (end < m.size() && (islower((unsigned char)m[end]) || m[end] == '_')) end++;
      if (end > at + 1 && end < m.size() && (m[end] == '}' || m[end] == ',')) names.insert(m.substr(at + 1, end - at - 1));
    }
    return names;
  };
  for (const locale::Language& l : locale::languages()) {
    INFO(l.code);
    REQUIRE(strings.has_language(l.code));
    for (const auto& [key, source] : pot.catalog.sources) {
      INFO(key);
      locale::Text t = strings.get(key, l.code);
      CHECK_FALSE(t.fallback);
      CHECK(argument_names(source) == argument_names(t.text));
      std::string error;
      std::pair<std::string_view, double> args[] = {{"seconds", 3}, {"count", 3}, {"minutes", 3}};
      if (source.find("plural") != std::string::npos) {
        locale::format_message(t.text, l.code, args, &error);
        CHECK(error.empty());
      }
    }
  }
}
