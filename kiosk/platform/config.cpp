// [SECTION] Configuration files: `key = value` lines with line numbers for error messages.
#include "platform.h"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace platform {

static std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

ConfigFile read_config_file(const std::string& path) {
  ConfigFile out;
  std::ifstream in(path);
  if (!in) {
    out.error = path + ": cannot read: " + strerror(errno);
    return out;
  }
  std::string raw;
  int line = 0;
  while (std::getline(in, raw)) {
    line++;
    std::string text = trim(raw);
    if (text.empty() || text[0] == '#') continue;
    size_t eq = text.find('=');
    if (eq == std::string::npos) {
      out.error = path + ":" + std::to_string(line) + ": expected `key = value`, found \"" + text + "\"";
      return out;
    }
    ConfigEntry entry{trim(text.substr(0, eq)), trim(text.substr(eq + 1)), line};
    if (entry.key.empty()) {
      out.error = path + ":" + std::to_string(line) + ": missing key before `=`";
      return out;
    }
    // Allow "quoted values" so a value can keep leading or trailing spaces.
    if (entry.value.size() >= 2 && entry.value.front() == '"' && entry.value.back() == '"')
      entry.value = entry.value.substr(1, entry.value.size() - 2);
    out.entries.push_back(std::move(entry));
  }
  out.ok = true;
  return out;
}

bool hub_url_allowed(const std::string& url, std::string* error) {
  if (url.rfind("https://", 0) == 0) return true;
  for (const char* p : {"http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/"})
    if (url.rfind(p, 0) == 0) return true;
  if (url == "http://127.0.0.1" || url == "http://localhost") return true;
  if (error) *error = "hub URL must be https:// (http:// only on loopback)";
  return false;
}

}  // namespace platform
