// Languages and UI strings: the 18 languages of the kiosk, their native names and direction,
// gettext PO catalogs (msgctxt = stable key, msgid = English source, msgstr = translation) and
// ICU MessageFormat for plurals, numbers and dates. No ImGui, no SDL.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace locale {

struct Language {
    const char* code;          // BCP 47 ("ar", "zh-Hans" is written "zh")
    const char* english_name;
    bool rtl;
    const char* script;        // ISO 15924 of the usual script ("Arab", "Beng", "Hans", ...)
};

std::span<const Language> languages();              // the 18 of DESIGN.md, in picker order
const Language* find_language(std::string_view code); // null if not one of them
std::string native_name(std::string_view code);      // ICU uloc_getDisplayName(code, code), first letter
                                                     // upper-cased where the script has case

// One PO file. Entries whose msgstr is empty or fuzzy are treated as untranslated.
struct Catalog {
    std::string lang;
    std::string path;
    std::map<std::string, std::string, std::less<>> messages;   // key (msgctxt) -> msgstr
    std::map<std::string, std::string, std::less<>> sources;    // key -> msgid (English source)
    std::string translation;             // header X-Sportello-Translation: source, reviewed or machine
    std::vector<std::string> warnings;   // "locales/ar.po:12: invalid UTF-8 in msgstr; the English text is shown instead"
};

struct LoadResult {
    bool ok = false;                     // false: the file could not be read or parsed at all
    std::string error;                   // "path:line: what is wrong"
    Catalog catalog;
};
LoadResult load_po(const std::string& path, std::string_view lang);
LoadResult parse_po(std::string_view data, const std::string& path, std::string_view lang);

// A looked-up string: which language it really is in tells the UI whether to show the
// "not available in your language" notice and how to shape it.
struct Text {
    std::string text;
    std::string lang;                    // language of text (may differ from the one asked for)
    bool fallback = false;               // true when lang is not the language asked for
};

// All catalogs of a locales/ folder. Lookup falls back visitor's language -> English -> Italian;
// a key missing everywhere returns the key itself marked as fallback (visible, never a crash).
class Strings {
public:
    // Loads every <lang>.po of dir for the 18 languages; problems are collected in warnings().
    // False when the folder cannot be read or holds none of them.
    bool load_dir(const std::string& dir);
    void add(Catalog catalog);
    Text get(std::string_view key, std::string_view lang) const;
    // ICU MessageFormat with named arguments, e.g. format("idle.body", "ar", {{"seconds", 10}}).
    Text format(std::string_view key, std::string_view lang,
                std::span<const std::pair<std::string_view, double>> args) const;
    const std::vector<std::string>& warnings() const { return warnings_; }
    bool has_language(std::string_view lang) const;

private:
    std::map<std::string, Catalog, std::less<>> catalogs_;
    std::vector<std::string> warnings_;
};

// Formats an ICU MessageFormat pattern in a locale. Named numeric arguments only; on a bad
// pattern returns the pattern itself and sets *error.
std::string format_message(std::string_view pattern, std::string_view lang,
                           std::span<const std::pair<std::string_view, double>> args,
                           std::string* error = nullptr);

}  // namespace locale
