// [SECTION] Desks' working hours: escalation counts only the hours a desk is open, so a request
// made on Friday afternoon does not escalate over the weekend.
#include "notify.h"

#include <ctime>

namespace hub {

namespace {

int day_index(const std::string& d) {
  static const char* kDays[] = {"Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"};
  for (int i = 0; i < 7; i++)
    if (d == kDays[i]) return i;
  return -1;
}

// "HH:MM" (00:00..24:00) as minutes, or -1.
int minutes(const std::string& t) {
  if (t.size() != 5 || t[2] != ':' || !isdigit((unsigned char)t[0]) || !isdigit((unsigned char)t[1]) ||
      !isdigit((unsigned char)t[3]) || !isdigit((unsigned char)t[4]))
    return -1;
  int h = (t[0] - '0') * 10 + (t[1] - '0'), m = (t[3] - '0') * 10 + (t[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return -1;
  return h * 60 + m;
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

}  // namespace

bool parse_week_hours(const std::string& text, WeekHours* out, std::string* error) {
  WeekHours w;
  if (text.size() > 512) return *error = "too long", false;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(';', start);
    std::string rule = trim(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    start = end == std::string::npos ? text.size() + 1 : end + 1;
    if (rule.empty()) continue;
    size_t space = rule.find(' ');
    if (space == std::string::npos) return *error = "\"" + rule + "\": days then times (Mo-Fr 08:00-14:00)", false;
    std::string days = rule.substr(0, space), times = trim(rule.substr(space + 1));
    bool on[7] = {};
    for (const std::string& part : split_list(days)) {
      size_t dash = part.find('-');
      int a = day_index(part.substr(0, dash)), b = dash == std::string::npos ? a : day_index(part.substr(dash + 1));
      if (a < 0 || b < 0) return *error = "\"" + part + "\": days are Mo Tu We Th Fr Sa Su", false;
      for (int d = a;; d = (d + 1) % 7) {  // Sa-Mo wraps over the week's end
        on[d] = true;
        if (d == b) break;
      }
    }
    for (const std::string& range : split_list(times)) {
      size_t dash = range.find('-');
      int from = dash == std::string::npos ? -1 : minutes(range.substr(0, dash));
      int to = dash == std::string::npos ? -1 : minutes(range.substr(dash + 1));
      if (from < 0 || to <= from) return *error = "\"" + range + "\": a time range HH:MM-HH:MM", false;
      for (int d = 0; d < 7; d++)
        if (on[d]) w.day[d].push_back({from, to});
    }
  }
  *out = w;
  return true;
}

int64_t working_seconds(const WeekHours& hours, int64_t from, int64_t to) {
  if (to <= from) return 0;
  time_t t = (time_t)from;
  struct tm day;
  localtime_r(&t, &day);
  day.tm_hour = day.tm_min = day.tm_sec = 0;
  day.tm_isdst = -1;
  int64_t total = 0;
  // Day by day in local time (mktime follows daylight-saving changes), a year at most.
  for (int n = 0; n < 400; n++) {
    struct tm d = day;
    d.tm_mday += n;
    d.tm_isdst = -1;
    time_t midnight = mktime(&d);
    if (midnight >= (time_t)to) break;
    int weekday = (d.tm_wday + 6) % 7;  // tm_wday: Sunday 0; ours: Monday 0
    for (auto [a, b] : hours.day[weekday]) {
      struct tm open = d, close = d;
      open.tm_hour = a / 60, open.tm_min = a % 60, open.tm_isdst = -1;
      close.tm_hour = b / 60, close.tm_min = b % 60, close.tm_isdst = -1;
      int64_t lo = std::max<int64_t>(from, mktime(&open)), hi = std::min<int64_t>(to, mktime(&close));
      if (hi > lo) total += hi - lo;
    }
  }
  return total;
}

}  // namespace hub
