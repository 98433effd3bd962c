// Opening hours: the OSM subset parser, Italian holidays, "open now / opens at" over weekday
// ranges, PH, midnight crossings and the two DST change days of Europe/Rome. Expected moments
// are computed with timegm (UTC), independently of the ICU code under test.
#include "content/content.h"

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

content::OpeningHours hours(const char* text) {
    content::HoursResult r = content::parse_hours(text);
    INFO(text << " -> " << r.error);
    REQUIRE(r.ok);
    return r.hours;
}

const std::vector<std::string> kNoExtra;

}  // namespace

TEST_CASE("hours: parse errors name the rule and the problem", "[content][hours]") {
    CHECK(content::parse_hours("Mo-Fx 09:00-12:00").error == "bad opening hours at \"Mo-Fx 09:00-12:00\": unknown weekday \"Fx\"");
    CHECK(content::parse_hours("Mo-Fr 9-12").error == "bad opening hours at \"Mo-Fr 9-12\": bad time range \"9-12\" (expected HH:MM-HH:MM)");
    CHECK(content::parse_hours("Mo-Fr 09:00-09:00").error == "bad opening hours at \"Mo-Fr 09:00-09:00\": empty time range \"09:00-09:00\"");
    CHECK(content::parse_hours("Mo-Fr").error == "bad opening hours at \"Mo-Fr\": missing time ranges or \"off\"");
    CHECK(content::parse_hours("").error == "empty opening hours");
    CHECK(content::parse_hours("Mo-Fr 08:00-24:00").ok);
    CHECK_FALSE(content::parse_hours("Mo-Fr 08:00-24:30").ok);
}

TEST_CASE("hours: parsed structure of lists, ranges, PH and midnight", "[content][hours]") {
    content::OpeningHours h = hours("Mo-We,Fr 08:30-12:30,14:30-17:00; Sa 22:00-02:00; PH off");
    REQUIRE(h.rules.size() == 3);
    CHECK(h.rules[0].days == 0b0010111);
    REQUIRE(h.rules[0].ranges.size() == 2);
    CHECK(h.rules[0].ranges[1].from == 14 * 60 + 30);
    CHECK(h.rules[1].ranges[0].to == 26 * 60);          // crosses midnight
    CHECK(h.rules[2].holidays);
    CHECK(h.rules[2].off);
    CHECK(hours("Fr-Mo 10:00-11:00").rules[0].days == 0b1110001);  // wraps over the week end
    CHECK(hours("24/7").always);
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
    content::OpeningHours h = hours("Mo-Fr 08:30-12:30,14:30-17:00");
    // Wednesday 2026-11-18 10:00 in Rome (CET, UTC+1) = 09:00 UTC.
    content::OpenState s = content::open_state(h, utc(2026, 11, 18, 9, 0), kNoExtra);
    CHECK(s.open);
    CHECK(s.change_known);
    CHECK(s.change_today);
    CHECK(s.change_minutes == 12 * 60 + 30);
    CHECK(s.change_at == utc(2026, 11, 18, 11, 30));
    // 13:00: closed, opens today 14:30.
    s = content::open_state(h, utc(2026, 11, 18, 12, 0), kNoExtra);
    CHECK_FALSE(s.open);
    CHECK(s.change_today);
    CHECK(s.change_day == content::Weekday::We);
    CHECK(s.change_at == utc(2026, 11, 18, 13, 30));
    // Saturday: closed, opens Monday 08:30.
    s = content::open_state(h, utc(2026, 11, 21, 9, 0), kNoExtra);
    CHECK_FALSE(s.open);
    CHECK_FALSE(s.change_today);
    CHECK(s.change_day == content::Weekday::Mo);
    CHECK(s.change_minutes == 8 * 60 + 30);
    CHECK(s.change_at == utc(2026, 11, 23, 7, 30));
}

TEST_CASE("hours: PH off closes a weekday holiday, PH with hours opens it", "[content][hours]") {
    // Tuesday 2 June 2026 (Festa della Repubblica), 10:00 CEST = 08:00 UTC.
    content::OpenState s = content::open_state(hours("Mo-Fr 09:00-12:00; PH off"), utc(2026, 6, 2, 8, 0), kNoExtra);
    CHECK_FALSE(s.open);
    CHECK(s.change_day == content::Weekday::We);
    CHECK(s.change_at == utc(2026, 6, 3, 7, 0));
    s = content::open_state(hours("Mo-Fr 09:00-12:00; PH 10:00-11:00"), utc(2026, 6, 2, 7, 30), kNoExtra);
    CHECK_FALSE(s.open);                                  // 09:30: the holiday hours start at 10
    CHECK(s.change_at == utc(2026, 6, 2, 8, 0));
    // The Grosseto patron day only when the pack lists it: Monday 10 August 2026.
    content::OpeningHours h = hours("Mo-Fr 09:00-12:00; PH off");
    CHECK(content::open_state(h, utc(2026, 8, 10, 8, 0), kNoExtra).open);
    CHECK_FALSE(content::open_state(h, utc(2026, 8, 10, 8, 0), {"08-10"}).open);
}

TEST_CASE("hours: ranges crossing midnight belong to the day they start", "[content][hours]") {
    content::OpeningHours h = hours("Fr,Sa 22:00-02:00");
    // Saturday 2026-11-21 01:00 CET (00:00 UTC): open from Friday night until 02:00.
    content::OpenState s = content::open_state(h, utc(2026, 11, 21, 0, 0), kNoExtra);
    CHECK(s.open);
    CHECK(s.change_today);
    CHECK(s.change_at == utc(2026, 11, 21, 1, 0));
    // Sunday 03:00: closed until Friday 22:00.
    s = content::open_state(h, utc(2026, 11, 22, 2, 0), kNoExtra);
    CHECK_FALSE(s.open);
    CHECK(s.change_day == content::Weekday::Fr);
    CHECK(s.change_at == utc(2026, 11, 27, 21, 0));
    // Thursday 23:00: closed (Thursday has no night range).
    CHECK_FALSE(content::open_state(h, utc(2026, 11, 19, 22, 0), kNoExtra).open);
}

TEST_CASE("hours: DST starts (last Sunday of March) and ends (last Sunday of October)", "[content][hours]") {
    content::OpeningHours h = hours("Su 08:00-12:00");
    // Saturday 28 March 2026 20:00 CET (19:00 UTC); Sunday 08:00 is already CEST (06:00 UTC).
    content::OpenState s = content::open_state(h, utc(2026, 3, 28, 19, 0), kNoExtra);
    CHECK_FALSE(s.open);
    CHECK(s.change_day == content::Weekday::Su);
    CHECK(s.change_minutes == 8 * 60);
    CHECK(s.change_at == utc(2026, 3, 29, 6, 0));
    // Saturday 24 October 2026 20:00 CEST (18:00 UTC); Sunday 08:00 is CET again (07:00 UTC).
    s = content::open_state(h, utc(2026, 10, 24, 18, 0), kNoExtra);
    CHECK(s.change_at == utc(2026, 10, 25, 7, 0));
    // A night range over the spring change: Saturday 22:00 to Sunday 04:00 wall time.
    content::OpeningHours n = hours("Sa 22:00-04:00");
    s = content::open_state(n, utc(2026, 3, 29, 1, 30), kNoExtra);   // 03:30 CEST
    CHECK(s.open);
    CHECK(s.change_at == utc(2026, 3, 29, 2, 0));                    // 04:00 CEST
    // On the autumn night 02:30 happens twice; both are inside the range.
    CHECK(content::open_state(n, utc(2026, 10, 25, 0, 30), kNoExtra).open);  // 02:30 CEST
    CHECK(content::open_state(n, utc(2026, 10, 25, 1, 30), kNoExtra).open);  // 02:30 CET
}

TEST_CASE("hours: 24/7 is always open and closed-everywhere never opens", "[content][hours]") {
    content::OpenState s = content::open_state(hours("24/7"), utc(2026, 12, 25, 3, 0), kNoExtra);
    CHECK(s.open);
    CHECK(s.always);
    s = content::open_state(hours("Mo-Su off"), utc(2026, 12, 25, 3, 0), kNoExtra);
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

TEST_CASE("hours: arbitrary input never crashes the parser", "[content][hours]") {
    const char alphabet[] = "MoTuWeThFrSaSuPH0123456789:-,; /offclosed24";
    uint32_t seed = 12345;
    int ok = 0;
    for (int i = 0; i < 3000; i++) {
        std::string text;
        int len = int((seed >> 8) % 24);
        for (int k = 0; k < len; k++) {
            seed = seed * 1664525u + 1013904223u;
            text += alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        seed = seed * 1664525u + 1013904223u;
        content::HoursResult r = content::parse_hours(text);
        CHECK((r.ok || !r.error.empty()));
        if (r.ok) { ok++; content::open_state(r.hours, utc(2026, 11, 18, 9, 0), kNoExtra); }
    }
    CHECK(ok < 3000);
}
