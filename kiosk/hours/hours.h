// Hours module: evaluates OpenStreetMap opening_hours at build time with KDE's KOpeningHours
// (Italian public holidays from KHolidays, region "IT"), turning each office's value into the
// explicit open intervals the content pack stores. Linked by sportello-admin and the tests only,
// never by the kiosk: the kiosk looks the intervals up (content::open_state) and needs neither
// Qt nor a parser for the full specification.
#pragma once

#include "content/content.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hours {

constexpr int kDaysBefore = 7;                    // default window: from a week before the build
constexpr int kWindowDays = 407;                  // ... to 400 days after it

// Evaluates value over [from, to) (UTC seconds) in tz: open and unknown intervals, clipped to
// the window, adjacent ones of the same state and comment merged. The pack's extra holidays
// ("MM-DD") close an office on those dates when the value is closed on every public holiday
// of the window ("PH off"); a value that opens on some public holiday and meets an extra one is
// refused, since KOpeningHours knows only the national calendar. False with *error (a sentence)
// for a value KOpeningHours refuses or cannot evaluate.
bool evaluate(const std::string& value, int64_t from, int64_t to, const std::vector<std::string>& extra_holidays,
              content::HoursTable* out, std::string* error, std::string_view tz = "Europe/Rome");

// evaluate() in Europe/Rome as the compiler's content::HoursEvaluator.
content::HoursEvaluator evaluator();

// UTC seconds of local midnight (tz) of the date "YYYY-MM-DD" plus days; false for a bad date.
bool local_midnight(std::string_view date, int days, int64_t* out, std::string_view tz = "Europe/Rome");
// UTC seconds of local midnight (tz) of the local date of unix_seconds plus days.
int64_t local_midnight_of(int64_t unix_seconds, int days, std::string_view tz = "Europe/Rome");

}  // namespace hours
