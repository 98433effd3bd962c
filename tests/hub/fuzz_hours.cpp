// libFuzzer target for the text the notifications read from their configuration file and from
// admins' forms: desks' opening hours ("Mo-Fr 08:00-14:00; Sa 09:00-12:00") and the lists of
// languages and desks of a profile. Invariants beyond "no crash": every parsed range lies within
// a day and is not empty; the working seconds between two times are never negative and never
// more than the time between them; split_list never yields an empty or duplicate item.
#include "notify.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {
void check(bool invariant) {
  if (!invariant) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text((const char*)data, size);
  hub::WeekHours week;
  std::string error;
  if (hub::parse_week_hours(text, &week, &error)) {
    for (const auto& day : week.day)
      for (auto [a, b] : day) check(a >= 0 && a < b && b <= 24 * 60);
    const int64_t from = 1796389200;  // 2026-12-04T13:00:00Z
    for (int64_t span : {0LL, 3600LL, 86400LL * 9}) {
      int64_t w = hub::working_seconds(week, from, from + span);
      check(w >= 0 && w <= span);
    }
  } else {
    check(!error.empty());
  }
  std::vector<std::string> items = hub::split_list(text);
  for (size_t i = 0; i < items.size(); i++) {
    check(!items[i].empty());
    check(std::count(items.begin(), items.end(), items[i]) == 1);
  }
  return 0;
}
