// [SECTION] The notifications' configuration file (`sportello-hub serve --notify-config FILE`):
// `key = value` lines, `#` comments. Checked whole at start-up: a mistake stops the hub with
// FILE:LINE, never a notification silently lost later. The SMTP password is read from its own
// file (smtp-password-file), never given on a command line.
#include "notify.h"

#include <fstream>

namespace hub {

namespace {

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

bool whole_number(const std::string& v, int64_t lo, int64_t hi, int64_t* out) {
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) return false;
  int64_t n = std::atoll(v.c_str());
  if (n < lo || n > hi) return false;
  *out = n;
  return true;
}

// The host of an smtp:// or smtps:// URL ("" when the URL is not one).
std::string smtp_host(const std::string& url, bool* tls) {
  std::string rest;
  if (url.rfind("smtps://", 0) == 0) *tls = true, rest = url.substr(8);
  else if (url.rfind("smtp://", 0) == 0) *tls = false, rest = url.substr(7);
  else return {};
  std::string host = rest.substr(0, rest.find_first_of("/"));
  if (!host.empty() && host[0] == '[') return host.substr(0, host.find(']') + 1);
  return host.substr(0, host.find(':'));
}

}  // namespace

NotifyConfig default_notify_config() {
  NotifyConfig c;
  std::string error;
  parse_week_hours("Mo-Fr 08:00-14:00", &c.desk_hours, &error);
  return c;
}

std::string load_notify_config(const std::string& path, NotifyConfig* out) {
  NotifyConfig c = default_notify_config();
  std::ifstream in(path);
  if (!in) return path + ": cannot read";
  std::string line, password_file;
  int n = 0;
  while (std::getline(in, line)) {
    n++;
    std::string where = path + ":" + std::to_string(n) + ": ";
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos) return where + "expected key = value";
    std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    int64_t num = 0;
    if (key == "smtp-url") c.smtp_url = value;
    else if (key == "smtp-tls") {
      if (value != "none" && value != "required") return where + "smtp-tls: required or none";
      c.smtp_plain = value == "none";
    } else if (key == "smtp-from") c.smtp_from = value;
    else if (key == "smtp-user") c.smtp_user = value;
    else if (key == "smtp-password-file") password_file = value;
    else if (key == "smtp-ca-file") c.smtp_ca_file = value;
    else if (key == "smtp-timeout") {
      if (!whole_number(value, 1, 600, &num)) return where + "smtp-timeout: seconds, 1 to 600";
      c.smtp_timeout_s = (int)num;
    } else if (key == "retry-base") {
      if (!whole_number(value, 1, 3600, &num)) return where + "retry-base: seconds, 1 to 3600";
      c.retry_base_s = (int)num;
    } else if (key == "retry-max") {
      if (!whole_number(value, 1, 86400, &num)) return where + "retry-max: seconds, 1 to 86400";
      c.retry_max_s = (int)num;
    } else if (key == "console-url") {
      if (value.rfind("https://", 0) != 0 && value.rfind("http://", 0) != 0) return where + "console-url: http(s)://...";
      while (!value.empty() && value.back() == '/') value.pop_back();
      if (!printable_ascii(value, 256) || value.find_first_of(" <>\"'") != std::string::npos)
        return where + "console-url: a plain URL";
      c.console_url = value;
    } else if (key == "digest-minutes") {
      if (!whole_number(value, 0, 1440, &num)) return where + "digest-minutes: 0 to 1440";
      c.digest_s = num * 60;
    } else if (key == "digest-seconds") {  // finer, for tests and benches
      if (!whole_number(value, 0, 86400, &num)) return where + "digest-seconds: 0 to 86400";
      c.digest_s = num;
    } else if (key == "escalation-hours") {
      char* end = nullptr;
      double h = std::strtod(value.c_str(), &end);
      if (value.empty() || *end || !(h > 0 && h <= 24 * 30)) return where + "escalation-hours: more than 0, at most 720";
      c.escalation_hours = h;
    } else if (key == "desk-hours" || key.rfind("desk-hours.", 0) == 0) {
      WeekHours w;
      std::string error;
      if (!parse_week_hours(value, &w, &error)) return where + key + ": " + error;
      if (key == "desk-hours") c.desk_hours = w;
      else {
        std::string kiosk = key.substr(11);
        if (!valid_kiosk_id(kiosk)) return where + key + ": not a kiosk id";
        c.desk_hours_for[kiosk] = w;
      }
    } else if (key == "summary-time") {
      int h = -1, m = -1;
      if (value.size() != 5 || sscanf(value.c_str(), "%2d:%2d", &h, &m) != 2 || h < 0 || h > 23 || m < 0 || m > 59)
        return where + "summary-time: HH:MM";
      c.summary_minute = h * 60 + m;
    } else {
      return where + "unknown key \"" + key + "\"";
    }
  }
  if (c.smtp_url.empty()) return path + ": smtp-url is required (smtps://relay:465 or smtp://relay:587)";
  bool tls = false;
  std::string host = smtp_host(c.smtp_url, &tls);
  if (host.empty()) return path + ": smtp-url: smtps://HOST[:PORT] or smtp://HOST[:PORT]";
  bool loopback = host == "127.0.0.1" || host == "localhost" || host == "[::1]";
  if (c.smtp_plain && (tls || !loopback)) return path + ": smtp-tls = none only for an smtp:// relay on loopback";
  if (c.smtp_from.empty() || c.smtp_from.find('@') == std::string::npos || !printable_ascii(c.smtp_from, 254) ||
      c.smtp_from.find_first_of(" <>,;\"") != std::string::npos)
    return path + ": smtp-from: the sender's address (sportello@example.org)";
  if (c.console_url.empty()) return path + ": console-url is required (the mails' links)";
  if (!password_file.empty()) {
    std::ifstream p(password_file);
    if (!p || !std::getline(p, c.smtp_password) || c.smtp_password.empty())
      return path + ": smtp-password-file: cannot read a password from " + password_file;
    while (!c.smtp_password.empty() && (c.smtp_password.back() == '\r')) c.smtp_password.pop_back();
  }
  if (!c.smtp_user.empty() && c.smtp_password.empty()) return path + ": smtp-user needs smtp-password-file";
  if (!c.smtp_ca_file.empty() && !std::ifstream(c.smtp_ca_file)) return path + ": smtp-ca-file: cannot read";
  if (c.retry_max_s < c.retry_base_s) c.retry_max_s = c.retry_base_s;
  c.enabled = true;
  *out = c;
  return {};
}

}  // namespace hub
