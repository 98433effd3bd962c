// Mediator profiles in the hub's store: who is notified of a request (language, desk, duty,
// address, enabled account), coordinators, what is refused.
#include "hub.h"

#include <catch2/catch.hpp>

#include <filesystem>

static std::string fresh_db(const char* name) {
  std::string dir = std::string(SPORTELLO_BINARY_DIR) + "/test-output/hub-notify-" + name + "-" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir + "/hub.db";
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
