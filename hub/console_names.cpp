// [SECTION] Names the console shows instead of codes: languages (Italian and native), topics as
// the published content names them (the Italian UI strings topic.<id> of the newest release's
// content pack on this hub; the id when no release names it), kiosks by their provisioned name.
#include "console_internal.h"

#include <sqlite3.h>

#include <mutex>

namespace hub {

namespace {
struct Language {
  const char *code, *italian, *native;
};
// The kiosk's 18 languages (PROTOCOL.md, "lang"), in the kiosk's order. Native names as ICU gives them.
const Language kLanguages[] = {
    {"it", "italiano", "italiano"}, {"en", "inglese", "English"},   {"fr", "francese", "français"},
    {"es", "spagnolo", "español"},  {"ar", "arabo", "العربية"},      {"fa", "persiano", "فارسی"},
    {"ps", "pashto", "پښتو"},       {"ur", "urdu", "اردو"},          {"bn", "bengalese", "বাংলা"},
    {"pa", "punjabi", "ਪੰਜਾਬੀ"},      {"hi", "hindi", "हिन्दी"},          {"ti", "tigrino", "ትግርኛ"},
    {"zh", "cinese", "中文"},        {"uk", "ucraino", "українська"}, {"ru", "russo", "русский"},
    {"sq", "albanese", "shqip"},    {"wo", "wolof", "Wolof"},        {"tl", "tagalog", "Tagalog"},
};
}  // namespace

std::vector<std::string> language_codes() {
  std::vector<std::string> out;
  for (const Language& l : kLanguages) out.push_back(l.code);
  return out;
}

std::string language_html(const std::string& code) {
  for (const Language& l : kLanguages) {
    if (code != l.code) continue;
    if (std::string(l.italian) == l.native) return l.italian;
    // The native name in its own language and direction, so an Arabic name stays whole beside Italian.
    return std::string(l.italian) + " · <span lang=" + l.code + " dir=auto>" + l.native + "</span>";
  }
  return esc(code);
}

std::string language_text(const std::string& code) {
  for (const Language& l : kLanguages)
    if (code == l.code) return std::string(l.italian) == l.native ? l.italian : std::string(l.italian) + " · " + l.native;
  return code;
}

// The topic names of the newest published release, read once per release from its content pack
// (a read-only SQLite file under DATA/targets, checked against its hash when it was uploaded).
static std::map<std::string, std::string> read_topic_names(Server& s, int64_t version) {
  std::map<std::string, std::string> names;
  auto r = s.store->release(version);
  if (!r) return names;
  nlohmann::json envelope = nlohmann::json::parse(r->envelope, nullptr, false);
  if (!envelope.is_object() || !envelope["signed"].is_string()) return names;
  nlohmann::json manifest = nlohmann::json::parse(envelope["signed"].get<std::string>(), nullptr, false);
  if (!manifest.is_object() || !manifest["targets"].is_array()) return names;
  std::string sha;
  for (const auto& t : manifest["targets"])
    if (t.is_object() && t.value("name", "") == release::kContentTarget && t["sha256"].is_string()) sha = t["sha256"];
  if (!release::valid_sha256_hex(sha)) return names;
  sqlite3* db = nullptr;
  std::string path = targets_dir(s) + "/" + sha;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* q = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT substr(key, 7), text FROM ui_strings WHERE lang = 'it' AND key LIKE 'topic.%'", -1,
                           &q, nullptr) == SQLITE_OK) {
      while (sqlite3_step(q) == SQLITE_ROW) {
        const char* id = (const char*)sqlite3_column_text(q, 0);
        const char* text = (const char*)sqlite3_column_text(q, 1);
        if (id && text && valid_utf8(text) && strlen(text) <= 200) names[id] = text;
      }
    }
    sqlite3_finalize(q);
  }
  sqlite3_close(db);
  return names;
}

std::map<std::string, std::string> topic_names(Server& s) {
  static std::mutex mu;
  static int64_t cached_version = -1;
  static std::map<std::string, std::string> cached;
  int64_t version = s.store->newest_version();
  std::lock_guard<std::mutex> lock(mu);
  if (version != cached_version) cached = read_topic_names(s, version), cached_version = version;
  return cached;
}

std::string topic_text(const std::map<std::string, std::string>& names, const std::string& id) {
  auto it = names.find(id);
  return it == names.end() ? id : it->second;
}

std::map<std::string, std::string> kiosk_names(Server& s) {
  std::map<std::string, std::string> out;
  for (const KioskStatus& k : s.store->fleet()) out[k.id] = k.name.empty() ? k.id : k.name;
  return out;
}

}  // namespace hub
