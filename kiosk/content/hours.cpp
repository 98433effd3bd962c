// Offices' "open now / opens Tuesday 9:00" looked up in the intervals the compiler stored (the
// OpenStreetMap opening_hours themselves are evaluated at build time by kiosk/hours, with
// KOpeningHours), the Italian public holidays of the mediator desk days, and the local weekday
// and time of a moment in Europe/Rome with ICU, so DST days are right.
//
// [SECTION] Holidays
// [SECTION] Evaluation (open_state, next_day_of)
// [SECTION] Formatting
#include "content_internal.h"

#include <unicode/calendar.h>
#include <unicode/datefmt.h>
#include <unicode/dtptngen.h>
#include <unicode/smpdtfmt.h>
#include <unicode/timezone.h>

#include <algorithm>
#include <map>
#include <memory>

namespace content {

// [SECTION] Holidays -------------------------------------------------------------------------

// Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
static void easter(int y, int* month, int* day) {
    int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
    int h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
    int m = (a + 11 * h + 22 * l) / 451;
    *month = (h + l - 7 * m + 114) / 31;
    *day = ((h + l - 7 * m + 114) % 31) + 1;
}

bool is_public_holiday(int year, int month, int day, const std::vector<std::string>& extra) {
    static const int fixed[][2] = {{1, 1}, {1, 6}, {4, 25}, {5, 1}, {6, 2}, {8, 15},
                                   {11, 1}, {12, 8}, {12, 25}, {12, 26}};
    for (auto& f : fixed) if (f[0] == month && f[1] == day) return true;
    if (year >= 2026 && month == 10 && day == 4) return true;    // San Francesco, national again from 2026
    int em, ed;
    easter(year, &em, &ed);
    ed += 1;                                                  // Easter Monday
    if (ed > (em == 3 ? 31 : 30)) { ed = 1; em++; }
    if (em == month && ed == day) return true;
    char mmdd[8];
    snprintf(mmdd, sizeof mmdd, "%02d-%02d", month, day);
    for (const std::string& x : extra) if (x == mmdd) return true;
    return false;
}

// [SECTION] Evaluation -----------------------------------------------------------------------

struct CalendarDeleter { void operator()(icu::Calendar* c) const { delete c; } };
using CalendarPtr = std::unique_ptr<icu::Calendar, CalendarDeleter>;

// Calendars are cloned from one prototype per zone and thread: creating a zone and calendar
// from scratch costs more than the evaluation itself, and the UI asks for every office card.
static CalendarPtr make_calendar(std::string_view tz) {
    thread_local std::string proto_tz;
    thread_local CalendarPtr proto;
    if (!proto || proto_tz != tz) {
        UErrorCode st = U_ZERO_ERROR;
        icu::TimeZone* zone = icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(std::string(tz)));
        proto.reset(icu::Calendar::createInstance(zone, icu::Locale::getRoot(), st));  // adopts zone
        if (U_FAILURE(st)) { proto.reset(); return nullptr; }
        proto_tz = tz;
    }
    return CalendarPtr(proto->clone());
}

struct LocalDate { int y, m, d; Weekday wd; };

static LocalDate local_date(icu::Calendar& cal) {
    UErrorCode st = U_ZERO_ERROR;
    int dow = cal.get(UCAL_DAY_OF_WEEK, st);                 // 1 = Sunday
    return {cal.get(UCAL_YEAR, st), cal.get(UCAL_MONTH, st) + 1, cal.get(UCAL_DATE, st), Weekday((dow + 5) % 7)};
}

// The interval holding now, then the first later change of state; a change more than two weeks
// away is not announced ("closed" rather than "opens on the 3rd of next month at 09:00").
OpenState open_state(const HoursTable& hours, double now, std::string_view tz) {
    OpenState os;
    const int64_t t = int64_t(now / 1000.0 >= 0 ? now / 1000.0 : now / 1000.0 - 1);   // floor to seconds
    if (hours.valid_to <= hours.valid_from || t >= hours.valid_to) return os;
    if (t < hours.valid_from) {
        os.same_until_ms = hours.valid_from * 1000;
        return os;
    }
    os.known = true;
    const auto& iv = hours.intervals;
    auto it = std::upper_bound(iv.begin(), iv.end(), t, [](int64_t v, const OpenInterval& x) { return v < x.from; });
    const OpenInterval* cur = it != iv.begin() && t < std::prev(it)->to ? &*std::prev(it) : nullptr;
    int64_t change = -1;
    constexpr int64_t kHorizon = 14 * 86400;
    // The answer holds until the change, or until the change comes within the horizon; with no
    // change in the window, until the window ends (from then on it is not known).
    auto holds_until = [&](int64_t c) { return (c < 0 ? hours.valid_to : c - t > kHorizon ? c - kHorizon : c) * 1000; };
    if (cur) {
        os.open = !cur->unknown;
        os.unknown = cur->unknown;
        os.comment = cur->comment;
        change = cur->to;
        // Adjacent intervals of the same state (a comment that changes) are one stretch.
        for (auto next = std::next(std::prev(it)); next != iv.end() && next->from == change && next->unknown == cur->unknown; ++next)
            change = next->to;
        if (change >= hours.valid_to) change = -1;               // the window ends before it closes
        os.same_until_ms = std::min(holds_until(change), cur->to * 1000);   // the comment is this interval's
        if (os.open && (change < 0 || change - t > kHorizon)) { os.always = true; return os; }
    } else {
        if (it != iv.end()) change = it->from;
        os.same_until_ms = holds_until(change);
    }
    if (change < 0 || change - t > kHorizon) return os;
    CalendarPtr cal = make_calendar(tz);
    if (!cal) return os;
    UErrorCode st = U_ZERO_ERROR;
    cal->setTime(now, st);
    const int y = cal->get(UCAL_YEAR, st), mo = cal->get(UCAL_MONTH, st), da = cal->get(UCAL_DATE, st);
    cal->setTime(double(change) * 1000.0, st);
    if (U_FAILURE(st)) return os;
    os.change_known = true;
    os.change_at = double(change) * 1000.0;
    os.change_day = local_date(*cal).wd;
    os.change_minutes = cal->get(UCAL_HOUR_OF_DAY, st) * 60 + cal->get(UCAL_MINUTE, st);
    os.change_today = cal->get(UCAL_YEAR, st) == y && cal->get(UCAL_MONTH, st) == mo && cal->get(UCAL_DATE, st) == da;
    return os;
}

bool next_day_of(const std::vector<Weekday>& days, double now, bool include_today,
                 const std::vector<std::string>& extra, double* out, std::string_view tz) {
    CalendarPtr cal = make_calendar(tz);
    if (!cal || days.empty()) return false;
    UErrorCode st = U_ZERO_ERROR;
    cal->setTime(now, st);
    const int y = cal->get(UCAL_YEAR, st), mo = cal->get(UCAL_MONTH, st), da = cal->get(UCAL_DATE, st);
    for (int k = include_today ? 0 : 1; k < 36; k++) {
        cal->clear();
        cal->set(y, mo, da + k, 12, 0, 0);
        LocalDate d = local_date(*cal);
        if (std::find(days.begin(), days.end(), d.wd) == days.end() || is_public_holiday(d.y, d.m, d.d, extra)) continue;
        *out = cal->getTime(st);
        return U_SUCCESS(st);
    }
    return false;
}

// [SECTION] Formatting -----------------------------------------------------------------------

// Formatters are cached per thread by (lang, tz, skeleton): a pattern generator takes
// about a millisecond to build and an office card asks for two strings.
static icu::SimpleDateFormat* formatter(std::string_view lang, std::string_view tz, const char* skeleton) {
    thread_local std::map<std::string, std::unique_ptr<icu::SimpleDateFormat>> cache;
    std::string key = std::string(lang) + '|' + std::string(tz) + '|' + skeleton;
    auto it = cache.find(key);
    if (it != cache.end()) return it->second.get();
    UErrorCode st = U_ZERO_ERROR;
    icu::Locale loc(std::string(lang).c_str());
    std::unique_ptr<icu::DateTimePatternGenerator> gen(icu::DateTimePatternGenerator::createInstance(loc, st));
    if (U_FAILURE(st)) return nullptr;
    icu::UnicodeString pattern = gen->getBestPattern(icu::UnicodeString(skeleton), st);
    auto fmt = std::make_unique<icu::SimpleDateFormat>(pattern, loc, st);
    if (U_FAILURE(st)) return nullptr;
    fmt->adoptTimeZone(icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(std::string(tz))));
    return (cache[key] = std::move(fmt)).get();
}

static std::string format_skeleton(double udate, std::string_view lang, std::string_view tz, const char* skeleton) {
    icu::SimpleDateFormat* fmt = formatter(lang, tz, skeleton);
    if (!fmt) return {};
    icu::UnicodeString out;
    fmt->format(udate, out);
    std::string r;
    out.toUTF8String(r);
    return r;
}

std::string format_weekday(double udate, std::string_view lang, std::string_view tz) {
    return format_skeleton(udate, lang, tz, "EEEE");
}

std::string format_time(double udate, std::string_view lang, std::string_view tz) {
    return format_skeleton(udate, lang, tz, "jm");
}

}  // namespace content
