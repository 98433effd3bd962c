// OSM opening_hours -> explicit intervals with KOpeningHours. Qt types stay inside this file.
//
// [SECTION] What we refuse beyond KOpeningHours
// [SECTION] Time zones and dates
// [SECTION] Intervals from KOpeningHours
// [SECTION] Extra holidays
// [SECTION] evaluate
#include "hours/hours.h"

#include <KOpeningHours/Interval>
#include <KOpeningHours/OpeningHours>

#include <QDate>
#include <QDateTime>
#include <QTimeZone>

#include <algorithm>
#include <regex>
#include <set>

namespace hours {

// [SECTION] What we refuse beyond KOpeningHours -------------------------------------------
//
// KOpeningHours accepts some values the reference implementation (opening_hours.js) refuses, and
// reads a few constructs differently from it (tests/hours/ compares the two on every value of
// the OSM extracts and on a list of categories). A kiosk must never show a wrong "open now", so
// those constructs are refused at build with a sentence saying what to write instead.

// The value without its quoted comments, so a comment never trips a rule below.
static std::string outside_comments(const std::string& v) {
    std::string out;
    bool in = false;
    for (char c : v) {
        if (c == '"') { in = !in; continue; }
        if (!in) out += c;
    }
    return out;
}

static std::vector<std::string> rules_of(const std::string& code) {
    std::vector<std::string> out;
    size_t at = 0;
    for (;;) {
        size_t semi = code.find(';', at);
        std::string r = code.substr(at, semi == std::string::npos ? std::string::npos : semi - at);
        while (!r.empty() && r.front() == ' ') r.erase(r.begin());
        while (!r.empty() && r.back() == ' ') r.pop_back();
        if (!r.empty()) out.push_back(r);
        if (semi == std::string::npos) return out;
        at = semi + 1;
    }
}

static bool refused_construct(const std::string& value, std::string* error) {
    const std::string code = outside_comments(value);
    static const std::regex range(R"((\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2}))");
    static const std::regex months(R"(\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s*-\s*(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b)");
    static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::vector<std::string> rules = rules_of(code);
    bool past_midnight = false;
    for (auto it = std::sregex_iterator(code.begin(), code.end(), range); it != std::sregex_iterator(); ++it) {
        int from = std::stoi((*it)[1]) * 60 + std::stoi((*it)[2]), to = std::stoi((*it)[3]) * 60 + std::stoi((*it)[4]);
        if (from >= 24 * 60) {
            *error = "a time range starts at " + (*it)[1].str() + ":" + (*it)[2].str() + ", outside its day (write 00:00 of the next day)";
            return true;
        }
        if (to <= from || to > 24 * 60) past_midnight = true;
    }
    if (past_midnight && rules.size() > 1) {
        *error = "a time range past midnight with other rules: whether a later rule for the next day ends it is read "
                 "differently by the OSM reference and by KOpeningHours; write the hours after midnight on the next day "
                 "(e.g. \"Fr 22:00-24:00; Sa 00:00-04:00,21:00-24:00\")";
        return true;
    }
    if (std::regex_search(code, std::regex(R"(\bPH\s+(Mo|Tu|We|Th|Fr|Sa|Su)\b)"))) {
        *error = "a public holiday narrowed to weekdays (\"PH Mo\") is read differently by the OSM reference and by "
                 "KOpeningHours; write the holiday's hours as \"PH ...\" alone";
        return true;
    }
    if (code.find("||") != std::string::npos) {
        *error = "fallback rules (\"||\") are not supported; write the hours as rules separated by \";\"";
        return true;
    }
    if (std::regex_search(code, std::regex(R"(\d\+)"))) {
        *error = "open ends (\"17:00+\") are not supported: write the closing time, or a comment (\"su appuntamento\")";
        return true;
    }
    for (auto it = std::sregex_iterator(code.begin(), code.end(), months); it != std::sregex_iterator(); ++it) {
        int a = int(std::find(std::begin(kMonths), std::end(kMonths), (*it)[1].str()) - std::begin(kMonths));
        int b = int(std::find(std::begin(kMonths), std::end(kMonths), (*it)[2].str()) - std::begin(kMonths));
        if (a > b) {
            *error = "a month range over the new year (\"" + (*it)[0].str() + "\") is not supported: write it as two ranges (e.g. \"" +
                     (*it)[1].str() + "-Dec,Jan-" + (*it)[2].str() + "\")";
            return true;
        }
    }
    if (rules.size() > 1 && std::any_of(rules.begin(), rules.end(), [](const std::string& r) { return r.starts_with("24/7"); })) {
        *error = "\"24/7\" with other rules is not supported: write \"Mo-Su 00:00-24:00; ...\"";
        return true;
    }
    std::set<std::string> selectors;
    for (const std::string& r : rules) {
        std::smatch m;
        std::string sel = std::regex_search(r, m, std::regex(R"(\d{1,2}:\d{2})")) ? r.substr(0, size_t(m.position(0))) : r;
        if (!sel.empty() && !selectors.insert(sel).second) {
            *error = "two rules for the same days (\"" + sel + "\"): the later one replaces the earlier in OSM, which "
                     "KOpeningHours reads differently; write both ranges in one rule";
            return true;
        }
    }
    return false;
}

// [SECTION] Time zones and dates -------------------------------------------------------------

static QTimeZone zone(std::string_view tz) { return QTimeZone(QByteArray(tz.data(), int(tz.size()))); }

static int64_t midnight(const QDate& d, const QTimeZone& z) { return QDateTime(d, QTime(0, 0), z).toSecsSinceEpoch(); }

bool local_midnight(std::string_view date, int days, int64_t* out, std::string_view tz) {
    QDate d = QDate::fromString(QString::fromUtf8(date.data(), int(date.size())), Qt::ISODate);
    QTimeZone z = zone(tz);
    if (!d.isValid() || !z.isValid() || date.size() != 10) return false;
    *out = midnight(d.addDays(days), z);
    return true;
}

int64_t local_midnight_of(int64_t unix_seconds, int days, std::string_view tz) {
    QTimeZone z = zone(tz);
    return midnight(QDateTime::fromSecsSinceEpoch(unix_seconds, z).date().addDays(days), z);
}

// [SECTION] Intervals from KOpeningHours ----------------------------------------------------

static const char* error_text(KOpeningHours::OpeningHours::Error e) {
    using E = KOpeningHours::OpeningHours;
    switch (e) {
    case E::NoError: return "";
    case E::Null: return "empty opening hours";
    case E::SyntaxError: return "not valid OpenStreetMap opening_hours syntax";
    case E::MissingRegion: return "needs public or school holidays that are not known for Italy";
    case E::MissingLocation: return "needs a location (sunrise, sunset, dawn, dusk are not supported)";
    case E::IncompatibleMode: return "describes points in time, not opening times";
    case E::UnsupportedFeature: return "uses a feature KOpeningHours does not support (e.g. school holidays)";
    case E::EvaluationError: return "cannot be evaluated";
    }
    return "cannot be evaluated";
}

// Appends [from, to) to out, merged with the last interval when they touch with the same state
// and comment.
static void append(std::vector<content::OpenInterval>* out, content::OpenInterval iv) {
    if (iv.to <= iv.from) return;
    if (!out->empty() && out->back().to == iv.from && out->back().unknown == iv.unknown && out->back().comment == iv.comment) {
        out->back().to = iv.to;
        return;
    }
    out->push_back(std::move(iv));
}

// KOpeningHours gives the wall-clock time of a boundary as a QDateTime in the process's local
// time rather than in the zone it was told; the wall clock is what it means, read in our zone.
// A wall-clock time that happens twice (the hour repeated when DST ends) is its first
// occurrence: "22:00-02:00" closes when the clocks first show 02:00, as the OSM reference reads it.
static int64_t seconds(const QDateTime& t, const QTimeZone& z) {
    if (t.timeSpec() == Qt::TimeZone) return t.toSecsSinceEpoch();
    int64_t best = QDateTime(t.date(), t.time(), z).toSecsSinceEpoch();
    const int64_t wall = QDateTime(t.date(), t.time(), Qt::UTC).toSecsSinceEpoch();
    const int standard = z.standardTimeOffset(QDateTime(t.date(), QTime(12, 0), z));
    for (int off : {standard, standard + 3600}) {
        QDateTime back = QDateTime::fromSecsSinceEpoch(wall - off, z);
        if (back.date() == t.date() && back.time() == t.time()) best = std::min(best, wall - off);
    }
    return best;
}

static bool intervals_of(const KOpeningHours::OpeningHours& oh, const QTimeZone& z, int64_t from, int64_t to,
                         std::vector<content::OpenInterval>* out, std::string* error) {
    KOpeningHours::Interval iv = oh.interval(QDateTime::fromSecsSinceEpoch(from, z));
    int64_t last_begin = INT64_MIN, last_end = INT64_MIN;
    // A week of 15-minute slots for 60 weeks is far more than any real value produces; the bound
    // only guards against an evaluation that would not move forward.
    for (int n = 0; n < 400000; n++) {
        // After a closed interval that runs to the end of time, KOpeningHours has no next one.
        if (!iv.isValid() && n > 0) return true;
        if (!iv.isValid()) { *error = "cannot be evaluated over the pack's window"; return false; }
        int64_t b = iv.hasOpenBegin() ? from : seconds(iv.begin(), z);
        int64_t e = iv.hasOpenEnd() ? to : seconds(iv.end(), z);
        // Each interval must move on (an empty one may share its begin with the next).
        if (b < last_begin || (b == last_begin && e <= last_end)) { *error = "cannot be evaluated over the pack's window"; return false; }
        last_begin = b;
        last_end = e;
        if (b >= to) return true;
        using S = KOpeningHours::Interval;
        if (iv.state() == S::Open || iv.state() == S::Unknown) {
            // An open end ("18:00+") is not a closing time: the stretch is unknown, not open.
            bool unknown = iv.state() == S::Unknown || iv.hasOpenEndTime();
            append(out, {std::max(b, from), std::min(e, to), unknown, iv.comment().toStdString()});
        } else if (iv.state() != S::Closed) {
            *error = "cannot be evaluated over the pack's window";
            return false;
        }
        if (iv.hasOpenEnd() || e >= to) return true;
        iv = oh.nextInterval(iv);
    }
    *error = "cannot be evaluated over the pack's window (too many intervals)";
    return false;
}

static bool parse(const std::string& value, const QTimeZone& z, KOpeningHours::OpeningHours* oh, std::string* error) {
    oh->setExpression(QByteArray(value.data(), int(value.size())));
    oh->setRegion(u"IT");
    oh->setTimeZone(z);
    if (oh->error() != KOpeningHours::OpeningHours::NoError) { *error = error_text(oh->error()); return false; }
    return true;
}

// [SECTION] Extra holidays --------------------------------------------------------------------

static bool overlaps(const std::vector<content::OpenInterval>& iv, int64_t a, int64_t b) {
    for (const content::OpenInterval& x : iv) if (x.from < b && a < x.to) return true;
    return false;
}

// Removes [a, b) from every interval.
static void cut(std::vector<content::OpenInterval>* iv, int64_t a, int64_t b) {
    std::vector<content::OpenInterval> out;
    for (content::OpenInterval& x : *iv) {
        if (x.to <= a || b <= x.from) { out.push_back(std::move(x)); continue; }
        if (x.from < a) out.push_back({x.from, a, x.unknown, x.comment});
        if (b < x.to) out.push_back({b, x.to, x.unknown, x.comment});
    }
    *iv = std::move(out);
}

// The local days [start, end) of the window that are public holidays by Sportello's list
// (content::is_public_holiday: the national ones, 4 October from 2026, the pack's extras) but
// not by KHolidays, which KOpeningHours asks. Debian 12's KHolidays predates San Francesco's
// return as a national holiday (2026).
static std::vector<std::pair<int64_t, int64_t>> missing_holidays(const QTimeZone& z, int64_t from, int64_t to,
                                                                 const std::vector<std::string>& extra,
                                                                 const std::vector<content::OpenInterval>& kholidays) {
    std::vector<std::pair<int64_t, int64_t>> days;
    QDate d = QDateTime::fromSecsSinceEpoch(from, z).date(), last = QDateTime::fromSecsSinceEpoch(to, z).date();
    for (; d <= last; d = d.addDays(1)) {
        if (!content::is_public_holiday(d.year(), d.month(), d.day(), extra)) continue;
        int64_t a = midnight(d, z), b = midnight(d.addDays(1), z);
        if (a >= to || b <= from || overlaps(kholidays, a, b)) continue;
        days.emplace_back(a, b);
    }
    return days;
}

// Holidays KHolidays lacks close an office closed on every public holiday of the window ("PH
// off"); a value that opens on some public holiday is refused when the window holds such a day,
// since what it says for a holiday cannot be asked of KOpeningHours for that date. KOpeningHours
// names the holiday as the comment of a PH interval; the kiosk shows the office's own comments
// only, so those names are dropped.
static bool apply_holidays(const std::string& value, const QTimeZone& z, int64_t from, int64_t to,
                           const std::vector<std::string>& extra, std::vector<content::OpenInterval>* iv,
                           std::string* error) {
    if (value.find("PH") == std::string::npos) return true;
    KOpeningHours::OpeningHours ph;
    std::vector<content::OpenInterval> ph_days;
    if (!parse("PH", z, &ph, error) || !intervals_of(ph, z, from, to, &ph_days, error)) return false;
    std::set<std::string> names;
    for (const content::OpenInterval& p : ph_days) names.insert(p.comment);
    for (content::OpenInterval& x : *iv)
        if (names.count(x.comment)) x.comment.clear();
    std::vector<content::OpenInterval> merged;
    for (content::OpenInterval& x : *iv) append(&merged, std::move(x));
    *iv = std::move(merged);
    std::vector<std::pair<int64_t, int64_t>> days = missing_holidays(z, from, to, extra, ph_days);
    if (days.empty()) return true;
    for (const content::OpenInterval& p : ph_days)
        if (overlaps(*iv, p.from, p.to)) {
            *error = "hours that open on a public holiday cannot be evaluated for the holidays KOpeningHours does not "
                     "know (4 October from 2026, the pack's extra_holidays); write those dates into these hours "
                     "(e.g. \"Oct 04 off\") instead of PH";
            return false;
        }
    for (auto [a, b] : days) cut(iv, a, b);
    return true;
}

// [SECTION] evaluate ---------------------------------------------------------------------------

bool evaluate(const std::string& value, int64_t from, int64_t to, const std::vector<std::string>& extra,
              content::HoursTable* out, std::string* error, std::string_view tz) {
    QTimeZone z = zone(tz);
    if (!z.isValid()) { *error = "unknown time zone " + std::string(tz); return false; }
    if (to <= from) { *error = "empty window"; return false; }
    if (refused_construct(value, error)) return false;
    KOpeningHours::OpeningHours oh;
    content::HoursTable t;
    t.valid_from = from;
    t.valid_to = to;
    if (!parse(value, z, &oh, error)) return false;
    // KOpeningHours repairs some malformed values ("09h00", a missing separator) that the OSM
    // reference refuses; a value is taken only as KOpeningHours would write it back.
    auto squash = [](std::string x) { x.erase(std::remove(x.begin(), x.end(), ' '), x.end()); return x; };
    std::string normal = oh.normalizedExpression().toStdString();
    if (squash(normal) != squash(value)) {
        *error = "not in the normal form of the OSM syntax; KOpeningHours would read it as \"" + normal + "\"";
        return false;
    }
    if (!intervals_of(oh, z, from, to, &t.intervals, error) ||
        !apply_holidays(value, z, from, to, extra, &t.intervals, error))
        return false;
    *out = std::move(t);
    return true;
}

content::HoursEvaluator evaluator() {
    return [](const std::string& value, int64_t from, int64_t to, const std::vector<std::string>& extra,
              content::HoursTable* out, std::string* error) { return evaluate(value, from, to, extra, out, error); };
}

}  // namespace hours
