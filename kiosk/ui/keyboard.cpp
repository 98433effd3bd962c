// [SECTION] On-screen keyboards: one layout per script visitors type, drawn as ui buttons.
#include "ui.h"

#include <algorithm>

namespace ui {

// Rows of keys, each key a UTF-8 string inserted as is. Layouts follow the usual national
// keyboards where people know one (Arabic, Persian extras, ЙЦУКЕН, InScript order for Indic).
static const std::vector<std::vector<const char*>> kLatin = {
    {"1", "2", "3", "4", "5", "6", "7", "8", "9", "0"},
    {"q", "w", "e", "r", "t", "y", "u", "i", "o", "p"},
    {"a", "s", "d", "f", "g", "h", "j", "k", "l", "'"},
    {"z", "x", "c", "v", "b", "n", "m", "-", "."},
    {"à", "è", "é", "ì", "ò", "ù", "ç", "ñ", "ë"}};
static const std::vector<std::vector<const char*>> kArabic = {
    {"ض", "ص", "ث", "ق", "ف", "غ", "ع", "ه", "خ", "ح", "ج"},
    {"ش", "س", "ي", "ب", "ل", "ا", "ت", "ن", "م", "ك", "د"},
    {"ئ", "ء", "ؤ", "ر", "ى", "ة", "و", "ز", "ظ", "ط", "ذ"},
    {"پ", "چ", "ژ", "گ", "ک", "ی", "ٹ", "ڈ", "ڑ", "ں", "ے"}};
static const std::vector<std::vector<const char*>> kCyrillic = {
    {"й", "ц", "у", "к", "е", "н", "г", "ш", "щ", "з", "х", "ї"},
    {"ф", "і", "в", "а", "п", "р", "о", "л", "д", "ж", "є", "ґ"},
    {"я", "ч", "с", "м", "и", "т", "ь", "б", "ю", "'"},
    {"ы", "э", "ъ", "ё"}};
static const std::vector<std::vector<const char*>> kBengali = {
    {"অ", "আ", "ই", "ঈ", "উ", "ঊ", "এ", "ঐ", "ও", "ঔ", "ঋ"},
    {"ক", "খ", "গ", "ঘ", "ঙ", "চ", "ছ", "জ", "ঝ", "ঞ", "ট"},
    {"ঠ", "ড", "ঢ", "ণ", "ত", "থ", "দ", "ধ", "ন", "প", "ফ"},
    {"ব", "ভ", "ম", "য", "র", "ল", "শ", "ষ", "স", "হ", "য়"},
    {"া", "ি", "ী", "ু", "ূ", "ে", "ৈ", "ো", "ৌ", "্", "ং"}};
static const std::vector<std::vector<const char*>> kDevanagari = {
    {"अ", "आ", "इ", "ई", "उ", "ऊ", "ए", "ऐ", "ओ", "औ", "ऋ"},
    {"क", "ख", "ग", "घ", "ङ", "च", "छ", "ज", "झ", "ञ", "ट"},
    {"ठ", "ड", "ढ", "ण", "त", "थ", "द", "ध", "न", "प", "फ"},
    {"ब", "भ", "म", "य", "र", "ल", "व", "श", "ष", "स", "ह"},
    {"ा", "ि", "ी", "ु", "ू", "े", "ै", "ो", "ौ", "्", "ं"}};
static const std::vector<std::vector<const char*>> kGurmukhi = {
    {"ੳ", "ਅ", "ੲ", "ਸ", "ਹ", "ਕ", "ਖ", "ਗ", "ਘ", "ਙ", "ਚ"},
    {"ਛ", "ਜ", "ਝ", "ਞ", "ਟ", "ਠ", "ਡ", "ਢ", "ਣ", "ਤ", "ਥ"},
    {"ਦ", "ਧ", "ਨ", "ਪ", "ਫ", "ਬ", "ਭ", "ਮ", "ਯ", "ਰ", "ਲ"},
    {"ਵ", "ੜ", "ਸ਼", "ਜ਼", "ਫ਼", "ਾ", "ਿ", "ੀ", "ੁ", "ੂ", "ੇ"},
    {"ੈ", "ੋ", "ੌ", "ੰ", "ਂ", "੍"}};
// Ethiopic: the first-order form of each consonant; its seven orders follow at +0..+6.
static const std::vector<std::vector<const char*>> kEthiopic = {
    {"ሀ", "ለ", "ሐ", "መ", "ሠ", "ረ", "ሰ", "ሸ", "ቀ", "ቐ", "በ"},
    {"ቨ", "ተ", "ቸ", "ኀ", "ነ", "ኘ", "አ", "ከ", "ኸ", "ወ", "ዐ"},
    {"ዘ", "ዠ", "የ", "ደ", "ጀ", "ገ", "ጠ", "ጨ", "ጰ", "ጸ", "ፀ"},
    {"ፈ", "ፐ"}};
static const std::vector<std::vector<const char*>> kPhone = {
    {"1", "2", "3"}, {"4", "5", "6"}, {"7", "8", "9"}, {"+", "0", " "}};

static const std::vector<std::vector<const char*>>& rows_of(KeyboardLayout layout) {
  switch (layout) {
    case KeyboardLayout::Latin: return kLatin;
    case KeyboardLayout::Arabic: return kArabic;
    case KeyboardLayout::Cyrillic: return kCyrillic;
    case KeyboardLayout::Bengali: return kBengali;
    case KeyboardLayout::Devanagari: return kDevanagari;
    case KeyboardLayout::Gurmukhi: return kGurmukhi;
    case KeyboardLayout::Ethiopic: return kEthiopic;
    case KeyboardLayout::Phone: return kPhone;
  }
  return kLatin;
}

KeyboardLayout keyboard_for_language(const std::string& lang) {
  if (lang == "ar" || lang == "fa" || lang == "ps" || lang == "ur") return KeyboardLayout::Arabic;
  if (lang == "uk" || lang == "ru") return KeyboardLayout::Cyrillic;
  if (lang == "bn") return KeyboardLayout::Bengali;
  if (lang == "hi") return KeyboardLayout::Devanagari;
  if (lang == "pa") return KeyboardLayout::Gurmukhi;
  if (lang == "ti") return KeyboardLayout::Ethiopic;
  return KeyboardLayout::Latin;
}

const char* keyboard_layout_name(KeyboardLayout layout) {
  static const char* names[] = {"latin", "arabic", "cyrillic", "bengali", "devanagari", "gurmukhi", "ethiopic", "phone"};
  return names[(int)layout];
}

static const char* script_lang(KeyboardLayout layout, const std::string& ui_lang) {
  switch (layout) {
    case KeyboardLayout::Arabic: return ui_lang == "ur" || ui_lang == "fa" || ui_lang == "ps" ? ui_lang.c_str() : "ar";
    case KeyboardLayout::Cyrillic: return ui_lang == "ru" ? "ru" : "uk";
    case KeyboardLayout::Bengali: return "bn";
    case KeyboardLayout::Devanagari: return "hi";
    case KeyboardLayout::Gurmukhi: return "pa";
    case KeyboardLayout::Ethiopic: return "ti";
    default: return "it";
  }
}

// Encodes one code point as UTF-8.
static std::string utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) s += (char)cp;
  else if (cp < 0x800) s += {(char)(0xC0 | (cp >> 6)), (char)(0x80 | (cp & 0x3F))};
  else s += {(char)(0xE0 | (cp >> 12)), (char)(0x80 | ((cp >> 6) & 0x3F)), (char)(0x80 | (cp & 0x3F))};
  return s;
}

static uint32_t first_code_point(const std::string& s) {
  const unsigned char* p = (const unsigned char*)s.data();
  if (s.size() >= 3 && (p[0] & 0xF0) == 0xE0) return ((p[0] & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
  return p[0];
}

static void erase_last(std::string* field) {
  if (field->empty()) return;
  size_t n = field->size() - 1;
  while (n > 0 && ((unsigned char)(*field)[n] & 0xC0) == 0x80) n--;
  field->erase(n);
}

bool keyboard(Context& ctx, KeyboardState& st, Rect area, std::string* field, const KeyboardLabels& labels,
              size_t max_bytes) {
  const Metrics& m = ctx.m();
  // Keyboards are never mirrored: an Arabic keyboard has ض at the top left, as on a physical one.
  bool was_mirroring = ctx.set_mirroring(false);
  std::vector<std::vector<std::string>> rows;
  if (st.layout == KeyboardLayout::Ethiopic && !st.ethiopic_base.empty()) {
    // Second step: the seven orders of the chosen consonant.
    uint32_t base = first_code_point(st.ethiopic_base);
    std::vector<std::string> orders;
    for (uint32_t i = 0; i < 7; i++) orders.push_back(utf8(base + i));
    rows.push_back(orders);
  } else {
    for (const auto& row : rows_of(st.layout)) rows.emplace_back(row.begin(), row.end());
  }
  size_t cols = 0;
  for (const auto& row : rows) cols = std::max(cols, row.size());
  float gap = std::max(4.0f, m.pad * 0.25f);
  int total_rows = (int)rows.size() + 1;  // + the row of space / delete / layout / done
  float key_h = std::max(m.min_target, (area.h - gap * (total_rows - 1)) / total_rows);
  float key_w = std::max(m.min_target, (area.w - gap * (cols - 1)) / cols);
  const char* lang = script_lang(st.layout, labels.lang);
  ButtonStyle key_style{Variant::Surface, m.heading * 0.8f, false};
  bool full = field->size() >= max_bytes;
  for (size_t r = 0; r < rows.size(); r++) {
    float row_w = rows[r].size() * key_w + (rows[r].size() - 1) * gap;
    float x = area.x + (area.w - row_w) * 0.5f, y = area.y + r * (key_h + gap);
    for (size_t c = 0; c < rows[r].size(); c++) {
      const std::string& k = rows[r][c];
      std::string id = "key." + (k == " " ? std::string("gap") : k);
      Rect key{x + c * (key_w + gap), y, key_w, key_h};
      if (ctx.button(id, k, lang, key, key_style, "key") && !full) {
        if (st.layout == KeyboardLayout::Ethiopic && st.ethiopic_base.empty()) {
          st.ethiopic_base = k;
        } else {
          *field += k;
          st.ethiopic_base.clear();
        }
      }
    }
  }
  float y = area.y + rows.size() * (key_h + gap);
  float unit = (area.w - 3 * gap) / 8;
  ButtonStyle fn{Variant::Surface, m.body, true};
  if (st.layout != KeyboardLayout::Phone && st.native != KeyboardLayout::Latin &&
      ctx.button("key.layout", labels.layout, labels.lang, {area.x, y, unit * 1.5f, key_h}, fn, "key")) {
    st.layout = st.layout == KeyboardLayout::Latin ? st.native : KeyboardLayout::Latin;
    st.ethiopic_base.clear();
  }
  if (st.layout != KeyboardLayout::Phone &&
      ctx.button("key.space", labels.space, labels.lang, {area.x + unit * 1.5f + gap, y, unit * 3.5f, key_h}, fn, "key") &&
      !full)
    *field += " ";
  if (ctx.button("key.delete", labels.del, labels.lang, {area.x + unit * 5 + 2 * gap, y, unit * 1.5f, key_h}, fn, "key")) {
    if (!st.ethiopic_base.empty()) st.ethiopic_base.clear();
    else erase_last(field);
  }
  bool done = ctx.button("key.done", labels.done, labels.lang, {area.x + unit * 6.5f + 3 * gap, y, unit * 1.5f, key_h},
                         {Variant::Primary, m.body, true}, "key");
  ctx.set_mirroring(was_mirroring);
  return done;
}

}  // namespace ui
