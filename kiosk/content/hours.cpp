// OpenStreetMap opening_hours (the subset of content/README.md), Italian public holidays and
// "open now / opens Tuesday 9:00" evaluated in Europe/Rome with ICU, so DST days are right:
// the hours are wall-clock times and every comparison happens in local wall-clock minutes.
//
// [SECTION] Parser
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

// [SECTION] Parser ---------------------------------------------------------------------------

static std::string_view trim(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

static bool parse_clock(std::string_view s, int* minutes) {
    if (s.size() != 5 || s[2] != ':') return false;
    for (int i : {0, 1, 3, 4}) if (s[i] < '0' || s[i] > '9') return false;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || m > 59 || (h == 24 && m != 0)) return false;
    *minutes = h * 60 + m;
    return true;
}

static std::string bad(std::string_view rule, const std::string& why) {
    return "bad opening hours at \"" + std::string(rule) + "\": " + why;
}

// "Mo-Fr", "Mo,We,Fr", "Sa,PH", "Fr-Mo" (wraps) -> day bits and the PH flag.
static bool parse_selector(std::string_view sel, HoursRule* r, std::string* error) {
    for (const std::string& part : split_list(sel, ',')) {
        if (part == "PH") { r->holidays = true; continue; }
        size_t dash = part.find('-');
        Weekday a, b;
        std::string first = dash == std::string::npos ? part : part.substr(0, dash);
        if (!parse_weekday(first, &a)) { *error = "unknown weekday \"" + first + "\""; return false; }
        b = a;
        if (dash != std::string::npos) {
            std::string last = part.substr(dash + 1);
            if (!parse_weekday(last, &b)) { *error = "unknown weekday \"" + last + "\""; return false; }
        }
        for (int d = int(a);; d = (d + 1) % 7) {
            r->days |= uint8_t(1u << d);
            if (d == int(b)) break;
        }
    }
    return true;
}

static bool parse_ranges(std::string_view text, HoursRule* r, std::string* error) {
    for (const std::string& part : split_list(text, ',')) {
        size_t dash = part.find('-');
        TimeRange t;
        if (dash == std::string::npos || !parse_clock(part.substr(0, dash), &t.from) ||
            !parse_clock(std::string_view(part).substr(dash + 1), &t.to)) {
            *error = "bad time range \"" + part + "\" (expected HH:MM-HH:MM)";
            return false;
        }
        if (t.from == t.to) { *error = "empty time range \"" + part + "\""; return false; }
        if (t.to < t.from) t.to += 24 * 60;                 // crosses midnight
        r->ranges.push_back(t);
    }
    return true;
}

static bool is_selector_start(std::string_view w) {
    Weekday d;
    return w.starts_with("PH") || (w.size() >= 2 && parse_weekday(w.substr(0, 2), &d));
}

HoursResult parse_hours(std::string_view text) {
    HoursResult res;
    std::string_view all = trim(text);
    if (all.empty()) { res.error = "empty opening hours"; return res; }
    if (all == "24/7") { res.hours.always = true; res.ok = true; return res; }
    for (const std::string& rule_s : split_list(all, ';')) {
        std::string_view rule = trim(rule_s);
        HoursRule r;
        std::string err;
        size_t sp = rule.find(' ');
        std::string_view head = rule.substr(0, sp), rest = sp == std::string_view::npos ? "" : trim(rule.substr(sp));
        if (is_selector_start(head) && head.find(':') == std::string_view::npos) {
            if (!parse_selector(head, &r, &err)) { res.error = bad(rule, err); return res; }
        } else {
            rest = rule;                                      // no selector: every day
        }
        if (rest == "off" || rest == "closed") r.off = true;
        else if (rest.empty()) { res.error = bad(rule, "missing time ranges or \"off\""); return res; }
        else if (!parse_ranges(rest, &r, &err)) { res.error = bad(rule, err); return res; }
        res.hours.rules.push_back(std::move(r));
    }
    res.ok = true;
    return res;
}

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

// Ranges of one local date: the last rule naming the day (or PH on a holiday) wins.
static std::vector<TimeRange> day_ranges(const OpeningHours& h, const LocalDate& d, const std::vector<std::string>& extra) {
    if (h.always) return {{0, 24 * 60}};
    bool ph = is_public_holiday(d.y, d.m, d.d, extra);
    const HoursRule* winner = nullptr;
    for (const HoursRule& r : h.rules) {
        bool every = r.days == 0 && !r.holidays;
        if (every || (r.days & (1u << int(d.wd))) || (r.holidays && ph)) winner = &r;
    }
    if (!winner || winner->off) return {};
    return winner->ranges;
}

OpenState open_state(const OpeningHours& hours, double now, const std::vector<std::string>& extra, std::string_view tz) {
    OpenState os;
    CalendarPtr cal = make_calendar(tz);
    if (!cal) return os;
    UErrorCode st = U_ZERO_ERROR;
    cal->setTime(now, st);
    const int now_min = cal->get(UCAL_HOUR_OF_DAY, st) * 60 + cal->get(UCAL_MINUTE, st);
    const int y = cal->get(UCAL_YEAR, st), mo = cal->get(UCAL_MONTH, st), da = cal->get(UCAL_DATE, st);
    constexpr int kDays = 15;
    // Timeline in wall-clock minutes from today's local midnight, yesterday included for
    // ranges that cross midnight into today.
    std::vector<TimeRange> line;
    for (int k = -1; k < kDays; k++) {
        cal->clear();
        cal->set(y, mo, da + k, 12, 0, 0);
        LocalDate d = local_date(*cal);
        for (TimeRange r : day_ranges(hours, d, extra)) line.push_back({r.from + k * 1440, r.to + k * 1440});
    }
    std::sort(line.begin(), line.end(), [](TimeRange a, TimeRange b) { return a.from < b.from; });
    std::vector<TimeRange> merged;
    for (TimeRange r : line) {
        if (!merged.empty() && r.from <= merged.back().to) merged.back().to = std::max(merged.back().to, r.to);
        else merged.push_back(r);
    }
    int change = -1;
    for (TimeRange r : merged) {
        if (r.from <= now_min && now_min < r.to) { os.open = true; change = r.to; break; }
        if (r.from > now_min) { change = r.from; break; }
    }
    if (os.open && change >= (kDays - 1) * 1440) { os.always = true; return os; }
    if (change < 0) return os;
    int k = change / 1440, minute = change % 1440;
    cal->clear();
    cal->set(y, mo, da + k, minute / 60, minute % 60, 0);
    os.change_known = true;
    os.change_at = cal->getTime(st);
    os.change_day = local_date(*cal).wd;
    os.change_minutes = cal->get(UCAL_HOUR_OF_DAY, st) * 60 + cal->get(UCAL_MINUTE, st);
    os.change_today = k == 0;
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
