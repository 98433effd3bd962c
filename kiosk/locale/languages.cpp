// [SECTION] The 18 languages of the kiosk and their native names (from ICU, never hard-coded).
#include "locale.h"

#include <unicode/brkiter.h>
#include <unicode/uloc.h>
#include <unicode/unistr.h>

#include <memory>

namespace locale {

static const Language kLanguages[] = {
    {"it", "Italian", false, "Latn"},   {"en", "English", false, "Latn"},  {"fr", "French", false, "Latn"},
    {"es", "Spanish", false, "Latn"},   {"ar", "Arabic", true, "Arab"},    {"fa", "Persian", true, "Arab"},
    {"ps", "Pashto", true, "Arab"},     {"ur", "Urdu", true, "Arab"},      {"bn", "Bengali", false, "Beng"},
    {"pa", "Punjabi", false, "Guru"},   {"hi", "Hindi", false, "Deva"},    {"ti", "Tigrinya", false, "Ethi"},
    {"zh", "Chinese", false, "Hans"},   {"uk", "Ukrainian", false, "Cyrl"}, {"ru", "Russian", false, "Cyrl"},
    {"sq", "Albanian", false, "Latn"},  {"wo", "Wolof", false, "Latn"},    {"tl", "Tagalog", false, "Latn"},
};

std::span<const Language> languages() { return kLanguages; }

const Language* find_language(std::string_view code) {
  for (const Language& l : kLanguages)
    if (code == l.code) return &l;
  return nullptr;
}

std::string native_name(std::string_view code) {
  std::string c(code);
  UChar buf[128];
  UErrorCode status = U_ZERO_ERROR;
  int32_t n = uloc_getDisplayName(c.c_str(), c.c_str(), buf, 128, &status);
  if (U_FAILURE(status) || n <= 0) return c;
  // ICU gives "italiano", "español", "українська": a button label starts with a capital where
  // the script has case. Title-case the first letter of the sentence only, per the language.
  icu::UnicodeString name(buf, n);
  icu::Locale loc(c.c_str());
  std::unique_ptr<icu::BreakIterator> sentences(icu::BreakIterator::createSentenceInstance(loc, status));
  if (U_SUCCESS(status)) name.toTitle(sentences.get(), loc, U_TITLECASE_NO_LOWERCASE);
  std::string out;
  name.toUTF8String(out);
  return out;
}

}  // namespace locale
