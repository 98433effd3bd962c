// [SECTION] Strings: lookup with fallback (visitor's language -> English -> Italian) and ICU
// MessageFormat for plurals and numbers in the visitor's locale.
#include "locale.h"

#include <unicode/msgfmt.h>

#include <filesystem>
#include <memory>
#include <vector>

namespace locale {

bool Strings::load_dir(const std::string& dir) {
  if (!std::filesystem::is_directory(dir)) {
    warnings_.push_back(dir + ": not a folder of PO files");
    return false;
  }
  bool any = false;
  for (const Language& l : languages()) {
    std::string path = dir + "/" + l.code + ".po";
    if (!std::filesystem::exists(path)) continue;
    LoadResult r = load_po(path, l.code);
    if (!r.ok) {
      warnings_.push_back(r.error);
      continue;
    }
    any = true;
    add(std::move(r.catalog));
  }
  return any;
}

void Strings::add(Catalog catalog) {
  warnings_.insert(warnings_.end(), catalog.warnings.begin(), catalog.warnings.end());
  std::string lang = catalog.lang;
  catalogs_[lang] = std::move(catalog);
}

bool Strings::has_language(std::string_view lang) const { return catalogs_.find(lang) != catalogs_.end(); }

Text Strings::get(std::string_view key, std::string_view lang) const {
  const std::string_view chain[] = {lang, "en", "it"};
  for (std::string_view l : chain) {
    auto c = catalogs_.find(l);
    if (c == catalogs_.end()) continue;
    auto m = c->second.messages.find(key);
    if (m != c->second.messages.end()) return Text{m->second, std::string(l), l != lang};
  }
  return Text{std::string(key), "en", true};  // visible and harmless: never a crash, never blank
}

Text Strings::format(std::string_view key, std::string_view lang,
                     std::span<const std::pair<std::string_view, double>> args) const {
  Text t = get(key, lang);
  t.text = format_message(t.text, t.lang, args);
  return t;
}

std::string format_message(std::string_view pattern, std::string_view lang,
                           std::span<const std::pair<std::string_view, double>> args, std::string* error) {
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString upattern = icu::UnicodeString::fromUTF8(icu::StringPiece(pattern.data(), (int32_t)pattern.size()));
  icu::MessageFormat fmt(upattern, icu::Locale(std::string(lang).c_str()), status);
  std::vector<icu::UnicodeString> names;
  std::vector<icu::Formattable> values;
  for (const auto& [name, value] : args) {
    names.push_back(icu::UnicodeString::fromUTF8(icu::StringPiece(name.data(), (int32_t)name.size())));
    values.emplace_back(value);
  }
  icu::UnicodeString out;
  if (U_SUCCESS(status)) fmt.format(names.data(), values.data(), (int32_t)values.size(), out, status);
  if (U_FAILURE(status)) {
    if (error) *error = std::string("bad message pattern: ") + u_errorName(status);
    return std::string(pattern);
  }
  std::string utf8;
  out.toUTF8String(utf8);
  return utf8;
}

}  // namespace locale
