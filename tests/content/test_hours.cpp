// Opening hours: OSM values evaluated at build time (kiosk/hours, KOpeningHours) into intervals,
// and the kiosk's lookup of "open now / opens at" in them, over weekday ranges, PH, midnight
// crossings and the two DST change days of Europe/Rome; Italian holidays of the mediator desk
// days. Expected moments are computed with timegm (UTC), independently of the code under test.
// tests/hours/ compares the evaluation itself with the reference implementation.
#include "content/content.h"
#include "hours/hours.h"

#include <catch2/catch.hpp>

#include <ctime>

namespace {

// ICU UDate of a UTC wall time.
double utc(int y, int mo, int d, int h, int mi) {
    std::tm t{};
    t.tm_year = y - 1900;
    t.tm_mon = mo - 1;
    t.tm_mday = d;
    t.tm_hour = h;
    t.tm_min = mi;
    return double(timegm(&t)) * 1000.0;
}

const std::vector<std::string> kNoExtra;

// The value evaluated over 2026-01-01 .. 2027-12-31 (local), as the compiler would store it.
content::HoursTable table(const char* text, const std::vector<std::string>& extra = kNoExtra, const char* until = "2028-01-01") {
    int64_t from = 0, to = 0;
    REQUIRE(hours::local_midnight("2026-01-01", 0, &from));
    REQUIRE(hours::local_midnight(until, 0, &to));
    content::HoursTable t;
    std::string err;
    INFO(text << " -> " << err);
    bool ok = hours::evaluate(text, from, to, extra, &t, &err);
    INFO(err);
    REQUIRE(ok);
    return t;
}

std::string refusal(const char* text, const std::vector<std::string>& extra = kNoExtra) {
    content::HoursTable t;
    std::string err;
    int64_t from = 0, to = 0;
    REQUIRE(hours::local_midnight("2026-01-01", 0, &from));
    REQUIRE(hours::local_midnight("2027-01-01", 0, &to));
    CHECK_FALSE(hours::evaluate(text, from, to, extra, &t, &err));
    return err;
}

bool same_answer(const content::OpenState& a, const content::OpenState& b) {
    return a.known == b.known && a.unknown == b.unknown && a.open == b.open && a.always == b.always &&
           a.comment == b.comment && a.change_known == b.change_known && (!a.change_known || a.change_at == b.change_at);
}

}  // namespace

TEST_CASE("hours: values KOpeningHours refuses are refused with a reason", "[content][hours]") {
    CHECK(refusal("Mo-Fx 09:00-12:00") == "not valid OpenStreetMap opening_hours syntax");
    CHECK(refusal("Mo-Fr 9:00-") == "not valid OpenStreetMap opening_hours syntax");
    CHECK(refusal("") == "empty opening hours");
    CHECK(refusal("sunrise-sunset") == "needs a location (sunrise, sunset, dawn, dusk are not supported)");
    CHECK(refusal("SH off") == "uses a feature KOpeningHours does not support (e.g. school holidays)");
}

TEST_CASE("hours: intervals are clipped to the window, merged, and keep comments", "[content][hours]") {
    content::HoursTable t = table("24/7");
    REQUIRE(t.intervals.size() == 1);
    CHECK(t.intervals[0].from == t.valid_from);
    CHECK(t.intervals[0].to == t.valid_to);
    t = table("Mo-Fr 09:00-12:00 \"su appuntamento\"; PH off");
    REQUIRE_FALSE(t.intervals.empty());
    CHECK(t.intervals[0].unknown);                     // a time range with a comment: ask
    CHECK(t.intervals[0].comment == "su appuntamento");
    // Thursday 1 January 2026 is a holiday: the first interval is Friday 2 January, 09:00 CET.
    CHECK(double(t.intervals[0].from) * 1000 == utc(2026, 1, 2, 8, 0));
    for (size_t i = 1; i < t.intervals.size(); i++) CHECK(t.intervals[i - 1].to <= t.intervals[i].from);
    t = table("Mo-Fr \"su appuntamento\"");
    REQUIRE_FALSE(t.intervals.empty());
    CHECK(t.intervals[0].unknown);
    CHECK(t.intervals[0].comment == "su appuntamento");
}

TEST_CASE("hours: summer hours by month, and month boundaries", "[content][hours]") {
    content::HoursTable t = table("Mo-Fr 08:00-13:00,14:00-17:00; Jul,Aug: Mo-Fr 08:00-13:00; PH off");
    // Tuesday 30 June 2026 15:00 CEST: afternoon open; Wednesday 1 July 15:00: closed.
    CHECK(content::open_state(t, utc(2026, 6, 30, 13, 0)).open);
    content::OpenState s = content::open_state(t, utc(2026, 7, 1, 13, 0));
    CHECK_FALSE(s.open);
    CHECK(s.change_at == utc(2026, 7, 2, 6, 0));
    // Monday 31 August 16:00 closed, Tuesday 1 September 16:00 open.
    CHECK_FALSE(content::open_state(t, utc(2026, 8, 31, 14, 0)).open);
    CHECK(content::open_state(t, utc(2026, 9, 1, 14, 0)).open);
}

TEST_CASE("hours: ranges past midnight into a day with its own rule, and wrapping weekday ranges", "[content][hours]") {
    // Whether a later rule for Tuesday ends the Monday night range is read differently by the
    // OSM reference (it does) and KOpeningHours (it does not): such values are refused.
    CHECK(refusal("22:00-02:00; Tu 12:00-14:00").starts_with("a time range past midnight with other rules"));
    CHECK(refusal("Fr 22:00-04:00; Sa 21:00-04:00").starts_with("a time range past midnight with other rules"));
    CHECK(refusal("Sa-Su 24:00-12:00").starts_with("a time range starts at 24:00"));
    // Alone, a night range runs into the next day. Monday 23 November 2026 23:30 CET = 22:30 UTC.
    content::HoursTable t = table("Mo 22:00-02:00");
    content::OpenState s = content::open_state(t, utc(2026, 11, 23, 22, 30));
    CHECK(s.open);
    CHECK(s.change_at == utc(2026, 11, 24, 1, 0));
    // We-Tu wraps over the week end: every day.
    t = table("We-Tu 10:00-11:00");
    for (int d = 23; d <= 29; d++) CHECK(content::open_state(t, utc(2026, 11, d, 9, 30)).open);
}

TEST_CASE("hours: Italian public holidays including Easter Monday and pack extras", "[content][hours]") {
    CHECK(content::is_public_holiday(2026, 1, 1, kNoExtra));
    CHECK(content::is_public_holiday(2026, 6, 2, kNoExtra));
    CHECK(content::is_public_holiday(2026, 12, 26, kNoExtra));
    CHECK(content::is_public_holiday(2025, 4, 21, kNoExtra));   // Easter 2025: 20 April
    CHECK(content::is_public_holiday(2026, 4, 6, kNoExtra));    // Easter 2026: 5 April
    CHECK(content::is_public_holiday(2027, 3, 29, kNoExtra));   // Easter 2027: 28 March
    CHECK_FALSE(content::is_public_holiday(2026, 4, 7, kNoExtra));
    CHECK_FALSE(content::is_public_holiday(2026, 8, 10, kNoExtra));
    CHECK(content::is_public_holiday(2026, 8, 10, {"08-10"}));
}

TEST_CASE("hours: open now until the end of the range, weekday ranges", "[content][hours]") {
    content::HoursTable h = table("Mo-Fr 08:30-12:30,14:30-17:00");
    // Wednesday 2026-11-18 10:00 in Rome (CET, UTC+1) = 09:00 UTC.
    content::OpenState s = content::open_state(h, utc(2026, 11, 18, 9, 0));
    CHECK(s.open);
    CHECK(s.change_known);
    CHECK(s.change_today);
    CHECK(s.change_minutes == 12 * 60 + 30);
    CHECK(s.change_at == utc(2026, 11, 18, 11, 30));
    // 13:00: closed, opens today 14:30.
    s = content::open_state(h, utc(2026, 11, 18, 12, 0));
    CHECK_FALSE(s.open);
    CHECK(s.change_today);
    CHECK(s.change_day == content::Weekday::We);
    CHECK(s.change_at == utc(2026, 11, 18, 13, 30));
    // Saturday: closed, opens Monday 08:30.
    s = content::open_state(h, utc(2026, 11, 21, 9, 0));
    CHECK_FALSE(s.open);
    CHECK_FALSE(s.change_today);
    CHECK(s.change_day == content::Weekday::Mo);
    CHECK(s.change_minutes == 8 * 60 + 30);
    CHECK(s.change_at == utc(2026, 11, 23, 7, 30));
}

TEST_CASE("hours: PH off closes a weekday holiday, PH with hours opens it", "[content][hours]") {
    // Tuesday 2 June 2026 (Festa della Repubblica), 10:00 CEST = 08:00 UTC.
    content::OpenState s = content::open_state(table("Mo-Fr 09:00-12:00; PH off"), utc(2026, 6, 2, 8, 0));
    CHECK_FALSE(s.open);
    CHECK(s.change_day == content::Weekday::We);
    CHECK(s.change_at == utc(2026, 6, 3, 7, 0));
    // (A window before 4 October 2026, a holiday KHolidays does not know: see the refusal below.)
    s = content::open_state(table("Mo-Fr 09:00-12:00; PH 10:00-11:00", kNoExtra, "2026-09-01"), utc(2026, 6, 2, 7, 30));
    CHECK_FALSE(s.open);                                  // 09:30: the holiday hours start at 10
    CHECK(s.change_at == utc(2026, 6, 2, 8, 0));
    // The Grosseto patron day only when the pack lists it: Monday 10 August 2026.
    content::HoursTable h = table("Mo-Fr 09:00-12:00; PH off");
    CHECK(content::open_state(h, utc(2026, 8, 10, 8, 0)).open);
    CHECK_FALSE(content::open_state(table("Mo-Fr 09:00-12:00; PH off", {"08-10"}), utc(2026, 8, 10, 8, 0)).open);
}

TEST_CASE("hours: ranges crossing midnight belong to the day they start", "[content][hours]") {
    content::HoursTable h = table("Fr,Sa 22:00-02:00");
    // Saturday 2026-11-21 01:00 CET (00:00 UTC): open from Friday night until 02:00.
    content::OpenState s = content::open_state(h, utc(2026, 11, 21, 0, 0));
    CHECK(s.open);
    CHECK(s.change_today);
    CHECK(s.change_at == utc(2026, 11, 21, 1, 0));
    // Sunday 03:00: closed until Friday 22:00.
    s = content::open_state(h, utc(2026, 11, 22, 2, 0));
    CHECK_FALSE(s.open);
    CHECK(s.change_day == content::Weekday::Fr);
    CHECK(s.change_at == utc(2026, 11, 27, 21, 0));
    // Thursday 23:00: closed (Thursday has no night range).
    CHECK_FALSE(content::open_state(h, utc(2026, 11, 19, 22, 0)).open);
}

TEST_CASE("hours: DST starts (last Sunday of March) and ends (last Sunday of October)", "[content][hours]") {
    content::HoursTable h = table("Su 08:00-12:00");
    // Saturday 28 March 2026 20:00 CET (19:00 UTC); Sunday 08:00 is already CEST (06:00 UTC).
    content::OpenState s = content::open_state(h, utc(2026, 3, 28, 19, 0));
    CHECK_FALSE(s.open);
    CHECK(s.change_day == content::Weekday::Su);
    CHECK(s.change_minutes == 8 * 60);
    CHECK(s.change_at == utc(2026, 3, 29, 6, 0));
    // Saturday 24 October 2026 20:00 CEST (18:00 UTC); Sunday 08:00 is CET again (07:00 UTC).
    s = content::open_state(h, utc(2026, 10, 24, 18, 0));
    CHECK(s.change_at == utc(2026, 10, 25, 7, 0));
    // A night range over the spring change: Saturday 22:00 to Sunday 04:00 wall time.
    content::HoursTable n = table("Sa 22:00-04:00");
    s = content::open_state(n, utc(2026, 3, 29, 1, 30));   // 03:30 CEST
    CHECK(s.open);
    CHECK(s.change_at == utc(2026, 3, 29, 2, 0));                    // 04:00 CEST
    // On the autumn night 02:30 happens twice; both are inside the range.
    CHECK(content::open_state(n, utc(2026, 10, 25, 0, 30)).open);  // 02:30 CEST
    CHECK(content::open_state(n, utc(2026, 10, 25, 1, 30)).open);  // 02:30 CET
}

TEST_CASE("hours: 24/7 is always open and closed-everywhere never opens", "[content][hours]") {
    content::OpenState s = content::open_state(table("24/7"), utc(2026, 12, 25, 3, 0));
    CHECK(s.open);
    CHECK(s.always);
    s = content::open_state(table("Mo-Su off"), utc(2026, 12, 25, 3, 0));
    CHECK_FALSE(s.open);
    CHECK_FALSE(s.change_known);
}

TEST_CASE("hours: weekday and time formatted in the visitor's language", "[content][hours]") {
    double monday_0830 = utc(2026, 11, 23, 7, 30);       // Monday 08:30 in Rome
    CHECK(content::format_weekday(monday_0830, "it") == "lunedì");
    CHECK(content::format_weekday(monday_0830, "en") == "Monday");
    CHECK(content::format_weekday(monday_0830, "ar") == "الاثنين");
    CHECK(content::format_weekday(monday_0830, "uk") == "понеділок");
    CHECK(content::format_weekday(monday_0830, "zh") == "星期一");
    CHECK(content::format_time(monday_0830, "it") == "08:30");
    CHECK(content::format_time(monday_0830, "en").starts_with("8:30"));
    CHECK(content::format_time(monday_0830, "en").find("AM") != std::string::npos);
}

TEST_CASE("hours: next mediator day skips today, other weekdays and holidays", "[content][hours]") {
    using content::Weekday;
    std::vector<Weekday> tu_th{Weekday::Tu, Weekday::Th};
    double out = 0;
    // Tuesday 2026-11-17 10:00 CET: next after today is Thursday 19th (noon local = 11:00 UTC).
    REQUIRE(content::next_day_of(tu_th, utc(2026, 11, 17, 9, 0), false, kNoExtra, &out));
    CHECK(out == utc(2026, 11, 19, 11, 0));
    REQUIRE(content::next_day_of(tu_th, utc(2026, 11, 17, 9, 0), true, kNoExtra, &out));
    CHECK(out == utc(2026, 11, 17, 11, 0));
    // Thursday 24 December 2026, Fridays only: 25 December and 1 January are holidays.
    REQUIRE(content::next_day_of({Weekday::Fr}, utc(2026, 12, 24, 9, 0), false, kNoExtra, &out));
    CHECK(out == utc(2027, 1, 1 + 7, 11, 0));          // 25 Dec and 1 Jan are holidays: 8 January
    CHECK(content::format_weekday(out, "it") == "venerdì");
    CHECK_FALSE(content::next_day_of({}, utc(2026, 11, 17, 9, 0), false, kNoExtra, &out));
}

TEST_CASE("hours: extra holidays close an office closed on public holidays, and are refused otherwise", "[content][hours]") {
    CHECK(content::open_state(table("Mo-Fr 09:00-12:00; PH off"), utc(2026, 8, 10, 8, 0)).open);
    CHECK_FALSE(content::open_state(table("Mo-Fr 09:00-12:00; PH off", {"08-10"}), utc(2026, 8, 10, 8, 0)).open);
    // Without PH in the value, holidays are ordinary days, extra ones too.
    CHECK(content::open_state(table("Mo-Fr 09:00-12:00", {"08-10"}), utc(2026, 8, 10, 8, 0)).open);
    CHECK(refusal("Mo-Fr 09:00-12:00; PH 10:00-11:00", {"08-10"}).starts_with("hours that open on a public holiday"));
    // 4 October is a national holiday again from 2026; KHolidays does not know it yet.
    CHECK_FALSE(content::open_state(table("Mo-Fr 09:00-12:00; PH off"), utc(2027, 10, 4, 8, 0)).open);
    CHECK(content::is_public_holiday(2026, 10, 4, kNoExtra));
    CHECK_FALSE(content::is_public_holiday(2025, 10, 4, kNoExtra));
}

TEST_CASE("hours: the kiosk does not know outside the window, nor from an empty table", "[content][hours]") {
    content::HoursTable t = table("24/7");
    CHECK(content::open_state(t, utc(2026, 6, 1, 10, 0)).known);
    CHECK_FALSE(content::open_state(t, utc(2025, 12, 31, 12, 0)).known);
    CHECK_FALSE(content::open_state(t, utc(2028, 1, 2, 12, 0)).known);
    CHECK_FALSE(content::open_state(t, utc(2028, 1, 2, 12, 0)).open);
    CHECK_FALSE(content::open_state(content::HoursTable{}, utc(2026, 6, 1, 10, 0)).known);
    // A comment-only stretch is known to be neither open nor closed.
    content::OpenState s = content::open_state(table("Mo-Su \"su appuntamento\""), utc(2026, 6, 1, 10, 0));
    CHECK(s.known);
    CHECK(s.unknown);
    CHECK_FALSE(s.open);
    CHECK(s.comment == "su appuntamento");
}

TEST_CASE("hours: the answer holds exactly until same_until_ms", "[content][hours]") {
    // Each value at moments around the year (and before and after its window): the same answer
    // at every minute up to same_until_ms (checked over up to three days), a different one at it.
    // The kiosk sleeps until then, so a late same_until_ms would leave a wrong "open now" on
    // screen and an early one would wake it for nothing.
    const char* values[] = {"Mo-Fr 08:30-12:30,14:30-17:00; PH off", "Jul,Aug: Mo-Fr 08:00-13:00", "24/7",
                            "Mo-Fr 09:00-12:00 \"su appuntamento\"; PH off", "22:00-02:00", "Mo-Su off",
                            "Mo-Fr 09:00-12:00; Sa 09:00-12:00 \"solo il sabato\"",
                            "Mo 00:00-24:00 \"lunedì\"; Tu 00:00-24:00 \"martedì\""};   // one stretch, two comments
    std::vector<double> moments = {utc(2025, 12, 31, 22, 59), utc(2027, 12, 31, 22, 30), utc(2028, 3, 1, 0, 0),
                                   utc(2026, 3, 28, 23, 0), utc(2026, 6, 16, 7, 59)};
    for (double t = utc(2026, 1, 1, 0, 0); t < utc(2027, 12, 31, 0, 0); t += 19.0 * 86400000 + 7 * 3600000 + 13 * 60000)
        moments.push_back(t);
    int ends_seen = 0;
    for (const char* v : values) {
        content::HoursTable h = table(v);
        for (double t : moments) {
            INFO(v << " at " << t);
            content::OpenState a = content::open_state(h, t);
            const double until = a.same_until_ms == INT64_MAX ? 1e300 : double(a.same_until_ms);
            REQUIRE(until > t);
            for (double u = t + 60000; u < until && u < t + 3 * 86400000.0; u += 60000) {
                INFO("differs at " << u);
                REQUIRE(same_answer(a, content::open_state(h, u)));
            }
            if (a.same_until_ms == INT64_MAX) continue;
            CHECK(same_answer(a, content::open_state(h, until - 1000)));
            CHECK_FALSE(same_answer(a, content::open_state(h, until)));
            ends_seen++;
        }
    }
    CHECK(ends_seen > 100);
    // Summer hours seen on 1 June: closed, nothing announced; the answer changes when the
    // opening of 1 July, 08:00 CEST, comes within the two weeks, on 17 June at 08:00.
    content::OpenState june = content::open_state(table("Jul,Aug: Mo-Fr 08:00-13:00"), utc(2026, 6, 1, 8, 0));
    CHECK_FALSE(june.change_known);
    CHECK(double(june.same_until_ms) == utc(2026, 6, 17, 6, 0));
    // 24/7 holds until the window ends; before the window, until it starts.
    CHECK(double(content::open_state(table("24/7"), utc(2026, 6, 1, 8, 0)).same_until_ms) == utc(2027, 12, 31, 23, 0));
    CHECK(double(content::open_state(table("24/7"), utc(2025, 12, 1, 8, 0)).same_until_ms) == utc(2025, 12, 31, 23, 0));
    CHECK(content::open_state(table("24/7"), utc(2028, 6, 1, 8, 0)).same_until_ms == INT64_MAX);
}
