// OSM opening_hours -> explicit intervals with KOpeningHours. Qt types stay inside this file.
//
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
#include <set>

namespace hours {

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
static int64_t seconds(const QDateTime& t, const QTimeZone& z) {
    if (t.timeSpec() == Qt::TimeZone) return t.toSecsSinceEpoch();
    return QDateTime(t.date(), t.time(), z).toSecsSinceEpoch();
}

static bool intervals_of(const KOpeningHours::OpeningHours& oh, const QTimeZone& z, int64_t from, int64_t to,
                         std::vector<content::OpenInterval>* out, std::string* error) {
    KOpeningHours::Interval iv = oh.interval(QDateTime::fromSecsSinceEpoch(from, z));
    int64_t last_begin = INT64_MIN, last_end = INT64_MIN;
    // A week of 15-minute slots for 60 weeks is far more than any real value produces; the bound
    // only guards against an evaluation that would not move forward.
    for (int n = 0; n < 400000; n++) {
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

static bool apply_extra_holidays(const std::string& value, const QTimeZone& z, int64_t from, int64_t to,
                                 const std::vector<std::string>& extra, std::vector<content::OpenInterval>* iv,
                                 std::string* error) {
    if (extra.empty() || value.find("PH") == std::string::npos) return true;
    // The local days of the extra holidays in the window, as [start, end) seconds.
    std::vector<std::pair<int64_t, int64_t>> days;
    QDate first = QDateTime::fromSecsSinceEpoch(from, z).date(), last = QDateTime::fromSecsSinceEpoch(to, z).date();
    for (int y = first.year(); y <= last.year(); y++)
        for (const std::string& mmdd : extra) {
            QDate d = QDate::fromString(QString::fromStdString(std::to_string(y) + "-" + mmdd), Qt::ISODate);
            if (!d.isValid()) continue;
            int64_t a = midnight(d, z), b = midnight(d.addDays(1), z);
            if (a < to && from < b) days.emplace_back(a, b);
        }
    if (days.empty()) return true;
    // The national public holidays of the window, from the same calendar the value used.
    KOpeningHours::OpeningHours ph;
    std::vector<content::OpenInterval> ph_days;
    if (!parse("PH", z, &ph, error) || !intervals_of(ph, z, from, to, &ph_days, error)) return false;
    for (const content::OpenInterval& p : ph_days)
        if (overlaps(*iv, p.from, p.to)) {
            *error = "the pack's extra_holidays apply only to hours closed on every public holiday (\"PH off\"); "
                     "write those dates into these hours instead (e.g. \"Aug 10 off\")";
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
    KOpeningHours::OpeningHours oh;
    content::HoursTable t;
    t.valid_from = from;
    t.valid_to = to;
    if (!parse(value, z, &oh, error) || !intervals_of(oh, z, from, to, &t.intervals, error) ||
        !apply_extra_holidays(value, z, from, to, extra, &t.intervals, error))
        return false;
    *out = std::move(t);
    return true;
}

content::HoursEvaluator evaluator() {
    return [](const std::string& value, int64_t from, int64_t to, const std::vector<std::string>& extra,
              content::HoursTable* out, std::string* error) { return evaluate(value, from, to, extra, out, error); };
}

}  // namespace hours
