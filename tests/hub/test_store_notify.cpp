// Mediator profiles in the hub's store: who is notified of a request (language, desk, duty,
// address, enabled account), coordinators, what is refused.
#include "hub.h"
#include "store_util.h"

#include <catch2/catch.hpp>

#include <filesystem>

static std::string fresh_db(const char* name) {
  std::string dir = std::string(SPORTELLO_BINARY_DIR) + "/test-output/hub-notify-" + name + "-" + std::to_string(getpid());
  return storetest::fresh_target(dir, std::string("hub-notify-") + name);
}

static std::vector<std::string> users(const std::vector<hub::Profile>& ps) {
  std::vector<std::string> out;
  for (const hub::Profile& p : ps) out.push_back(p.user);
  return out;
}

TEST_CASE("profiles: on-duty mediators matching language and desk are chosen, coordinators apart", "[unit][hub]") {
  auto store = hub::Store::open(fresh_db("match"));
  REQUIRE(store->ok());
  for (const char* u : {"amira", "bilal", "chen", "dora", "ezio"}) REQUIRE(store->add_account("console", u, "mediator", "h"));
  REQUIRE(store->add_account("console", "fede", "council", "h"));
  auto set = [&](const char* user, std::vector<std::string> langs, std::vector<std::string> desks, bool duty,
                 const char* email, bool coordinator = false) {
    hub::Profile p;
    p.user = user;
    p.languages = langs;
    p.desks = desks;
    p.on_duty = duty;
    p.email = email;
    p.coordinator = coordinator;
    return store->set_profile(p, 100);
  };
  REQUIRE(set("amira", {"ar", "fr"}, {"GR-01"}, true, "amira@example.org"));
  REQUIRE(set("bilal", {"ar"}, {"GR-02"}, true, "bilal@example.org"));     // another desk
  REQUIRE(set("chen", {"ar"}, {"GR-01"}, false, "chen@example.org"));      // off duty
  REQUIRE(set("dora", {"ar"}, {"GR-01"}, true, ""));                       // no address
  REQUIRE(set("ezio", {"ur"}, {"GR-01"}, true, "ezio@example.org", true));  // another language; coordinator
  CHECK(users(store->matching_mediators("ar", "GR-01")) == std::vector<std::string>{"amira"});
  CHECK(users(store->matching_mediators("ar", "GR-02")) == std::vector<std::string>{"bilal"});
  CHECK(store->matching_mediators("ti", "GR-01").empty());
  CHECK(users(store->coordinators()) == std::vector<std::string>{"ezio"});

  // A disabled account is never notified.
  REQUIRE(store->set_disabled("console", "amira", true));
  CHECK(store->matching_mediators("ar", "GR-01").empty());

  // The mediator's own part keeps languages and desks.
  REQUIRE(store->set_duty("console", "chen", true, "chen@example.org", 200));
  CHECK(users(store->matching_mediators("ar", "GR-01")) == std::vector<std::string>{"chen"});
  auto chen = store->profile("console", "chen");
  REQUIRE(chen);
  CHECK(chen->languages == std::vector<std::string>{"ar"});
  CHECK(chen->desks == std::vector<std::string>{"GR-01"});
  CHECK(chen->updated_at == 200);

  // Every account has a profile, empty until set.
  auto fede = store->profile("console", "fede");
  REQUIRE(fede);
  CHECK(fede->role == "council");
  CHECK(fede->languages.empty());
  CHECK_FALSE(fede->on_duty);
  CHECK(store->profiles("console").size() == 6);
}

TEST_CASE("profiles: unknown languages, bad desks and addresses, unknown users are refused", "[unit][hub]") {
  auto store = hub::Store::open(fresh_db("refuse"));
  REQUIRE(store->ok());
  REQUIRE(store->add_account("console", "amira", "mediator", "h"));
  hub::Profile p;
  p.user = "amira";
  p.languages = {"xx"};
  CHECK_FALSE(store->set_profile(p, 1));
  p.languages = {"ar"};
  p.desks = {"GR 01"};
  CHECK_FALSE(store->set_profile(p, 1));
  p.desks = {"GR-01"};
  for (const char* bad : {"amira", "a@b", "a b@example.org", "a@example.org\r\nBcc: x@y.z", "<a@example.org>",
                          "a@@example.org", "a,b@example.org"}) {
    p.email = bad;
    CHECK_FALSE(store->set_profile(p, 1));
    CHECK_FALSE(store->set_duty("console", "amira", true, bad, 1));
  }
  p.email = "amira@example.org";
  CHECK(store->set_profile(p, 1));
  p.user = "nobody";
  CHECK_FALSE(store->set_profile(p, 1));
  CHECK_FALSE(store->set_duty("console", "nobody", true, "", 1));
  CHECK(hub::split_list(" ar, fr ,ar;;ur ") == std::vector<std::string>{"ar", "fr", "ur"});
  CHECK(hub::language_name_it("ar") == "arabo");
  CHECK(hub::language_name_it("xx").empty());
}

#include "notify.h"

#include <cstdlib>
#include <ctime>

// Runs with TZ=UTC, then gives the process its time zone back.
struct UtcZone {
  std::string old;
  bool had = false;
  UtcZone() {
    if (const char* tz = getenv("TZ")) old = tz, had = true;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  ~UtcZone() {
    had ? setenv("TZ", old.c_str(), 1) : unsetenv("TZ");
    tzset();
  }
};

TEST_CASE("working hours: only a desk's opening hours count, weekends and nights skipped", "[unit][hub]") {
  UtcZone utc;
  hub::WeekHours week;
  std::string error;
  REQUIRE(hub::parse_week_hours("Mo-Fr 08:00-14:00", &week, &error));
  const int64_t fri_13 = 1796389200, mon_09 = 1796634000, fri_07 = 1796367600;  // 2026-12-04 (a Friday) ...
  CHECK(hub::working_seconds(week, fri_13, mon_09) == 2 * 3600);   // Fri 13-14, Mon 08-09
  CHECK(hub::working_seconds(week, fri_07, fri_13) == 5 * 3600);   // opens at 08:00
  CHECK(hub::working_seconds(week, mon_09, fri_13) == 0);          // backwards
  CHECK(hub::working_seconds(week, fri_13, fri_13 + 7 * 86400) == 30 * 3600);  // a whole week: 5 x 6 h

  REQUIRE(hub::parse_week_hours("Sa-Mo 09:00-12:00,15:00-18:00; We 10:00-24:00", &week, &error));
  CHECK(week.day[5].size() == 2);  // Saturday
  CHECK(week.day[6].size() == 2);  // Sunday (the range wraps over the week's end)
  CHECK(week.day[0].size() == 2);  // Monday
  CHECK(week.day[1].empty());
  CHECK(week.day[2] == std::vector<std::pair<int, int>>{{600, 1440}});

  for (const char* bad : {"Mo-Xx 08:00-14:00", "Mo 14:00-08:00", "Mo 25:00-26:00", "08:00-14:00", "Mo 8:00-14:00",
                          "Mo 08:00", "Mo 08:60-09:00"}) {
    INFO(bad);
    CHECK_FALSE(hub::parse_week_hours(bad, &week, &error));
    CHECK_FALSE(error.empty());
  }
}
