// [SECTION] gettext PO files: msgctxt is the key, msgid the English source, msgstr the text.
// A bad entry is skipped with a file:line warning; the rest of the file still loads, so one
// translator's slip never takes a kiosk down.
#include "locale.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace locale {

// Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF.
static bool valid_utf8(std::string_view s) {
  const unsigned char* p = (const unsigned char*)s.data();
  size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned c = p[i];
    int len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || i + len > n) return false;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < len; k++) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    static const uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

// Parses `"..."` at the start of s; returns false on a missing quote or an unknown escape.
static bool unquote(std::string_view s, std::string* out) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos || s[b] != '"') return false;
  for (size_t i = b + 1; i < s.size(); i++) {
    char c = s[i];
    if (c == '"') return s.find_first_not_of(" \t\r", i + 1) == std::string_view::npos;
    if (c != '\\') {
      *out += c;
      continue;
    }
    if (++i >= s.size()) return false;
    switch (s[i]) {
      case 'n': *out += '\n'; break;
      case 't': *out += '\t'; break;
      case '"': *out += '"'; break;
      case '\\': *out += '\\'; break;
      case 'r': *out += '\r'; break;
      default: return false;
    }
  }
  return false;
}

namespace {
struct Field {
  std::string text;
  int line = 0;          // where the keyword was
  bool present = false;
};
struct Entry {
  Field ctxt, id, str;
  bool fuzzy = false, broken = false;
  int first_line = 0;
  std::string problem;   // first syntax error, with its line
};
}  // namespace

static void parse_header(const std::string& header, Catalog* c) {
  std::istringstream in(header);
  std::string line;
  while (std::getline(in, line)) {
    const char* key = "X-Sportello-Translation:";
    if (line.rfind(key, 0) == 0) {
      c->translation = line.substr(strlen(key));
      size_t b = c->translation.find_first_not_of(' ');
      c->translation = b == std::string::npos ? "" : c->translation.substr(b);
    }
  }
}

static void finish(Entry& e, const std::string& path, Catalog* c) {
  if (!e.id.present && !e.ctxt.present && !e.str.present && !e.broken) return;
  std::string at = path + ":";
  if (e.broken) {
    c->warnings.push_back(at + e.problem + "; entry ignored");
    return;
  }
  const Field* fields[] = {&e.ctxt, &e.id, &e.str};
  const char* names[] = {"msgctxt", "msgid", "msgstr"};
  for (int i = 0; i < 3; i++)
    if (fields[i]->present && !valid_utf8(fields[i]->text)) {
      c->warnings.push_back(at + std::to_string(fields[i]->line) + ": invalid UTF-8 in " + names[i] +
                            "; the English text is shown instead");
      return;
    }
  if (!e.id.present || !e.str.present) {
    c->warnings.push_back(at + std::to_string(e.first_line) + ": entry without msgid or msgstr; entry ignored");
    return;
  }
  if (!e.ctxt.present && e.id.text.empty()) {
    parse_header(e.str.text, c);
    return;
  }
  std::string key = e.ctxt.present ? e.ctxt.text : e.id.text;
  c->sources[key] = e.id.text;
  if (!e.fuzzy && !e.str.text.empty()) c->messages[key] = e.str.text;  // fuzzy = not translated
}

LoadResult parse_po(std::string_view data, const std::string& path, std::string_view lang) {
  LoadResult r;
  r.catalog.lang = std::string(lang);
  r.catalog.path = path;
  Entry e;
  Field* last = nullptr;  // the field a continuation line extends
  int number = 0;
  size_t pos = 0;
  auto fail = [&](const std::string& what) {
    if (!e.broken) e.problem = std::to_string(number) + ": " + what;
    e.broken = true;
  };
  while (pos <= data.size()) {
    size_t nl = data.find('\n', pos);
    std::string_view line = data.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? data.size() + 1 : nl + 1;
    number++;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t b = line.find_first_not_of(" \t");
    if (b == std::string_view::npos) {  // blank line ends an entry
      finish(e, path, &r.catalog);
      e = Entry{};
      last = nullptr;
      continue;
    }
    line = line.substr(b);
    if (line[0] == '#') {
      if (line.rfind("#,", 0) == 0 && line.find("fuzzy") != std::string_view::npos) e.fuzzy = true;
      continue;
    }
    if (e.first_line == 0) e.first_line = number;
    if (line[0] == '"') {
      if (!last) fail("a string continues nothing");
      else if (!unquote(line, &last->text)) fail("malformed string");
      continue;
    }
    size_t sp = line.find_first_of(" \t");
    std::string_view keyword = line.substr(0, sp);
    Field* f = keyword == "msgctxt" ? &e.ctxt : keyword == "msgid" ? &e.id : keyword == "msgstr" ? &e.str : nullptr;
    if (keyword == "msgid_plural" || keyword.rfind("msgstr[", 0) == 0) {
      fail("gettext plurals are not used here (write ICU MessageFormat in msgstr)");
      last = nullptr;
      continue;
    }
    if (!f) {
      fail("unknown keyword \"" + std::string(keyword) + "\"");
      last = nullptr;
      continue;
    }
    // A new entry may begin without a blank line: msgctxt after anything, or msgid after a msgid.
    bool starts_entry = (f == &e.ctxt && (e.ctxt.present || e.id.present)) || (f == &e.id && e.id.present);
    if (starts_entry) {
      finish(e, path, &r.catalog);
      e = Entry{};
      e.first_line = number;
    } else if (f == &e.str && e.str.present) {
      fail("msgstr given twice");
    }
    f->present = true;
    f->line = number;
    f->text.clear();
    last = f;
    if (sp == std::string_view::npos || !unquote(line.substr(sp), &f->text)) fail("malformed string after " + std::string(keyword));
  }
  finish(e, path, &r.catalog);
  r.ok = true;
  return r;
}

LoadResult load_po(const std::string& path, std::string_view lang) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult r;
    r.error = path + ": cannot read: " + strerror(errno);
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_po(ss.str(), path, lang);
}

}  // namespace locale
