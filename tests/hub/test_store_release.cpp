// hub store, content releases: versions only go up (also when two publishers race), rollouts
// only widen, each group is offered its newest release, and an older database gains the columns.
#include "hub.h"
#include "store_util.h"

#include <catch2/catch.hpp>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

static std::string fresh_db(const char* name) {
  std::string dir = std::string(SPORTELLO_BINARY_DIR) + "/test-output/hubrel-" + name + "-" + std::to_string(getpid());
  return storetest::fresh_target(dir, std::string("hubrel-") + name);
}

static hub::Release rel(int64_t version) {
  hub::Release r;
  r.version = version;
  r.envelope = "{\"v\":" + std::to_string(version) + "}";
  r.sha256 = hub::sha256_hex(r.envelope);
  r.created_at = 1000 + version;
  r.published_by = "ada";
  return r;
}

TEST_CASE("release versions only go up, even when publishers race", "[unit][hub]") {
  auto store = hub::Store::open(fresh_db("versions"));
  REQUIRE(store->ok());
  CHECK(store->newest_version() == 0);
  CHECK(store->add_release(rel(3)) == hub::PublishResult::Created);
  CHECK(store->add_release(rel(3)) == hub::PublishResult::Rollback);
  CHECK(store->add_release(rel(2)) == hub::PublishResult::Rollback);
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; i++)
    threads.emplace_back([&] { created += store->add_release(rel(4)) == hub::PublishResult::Created; });
  for (auto& t : threads) t.join();
  CHECK(created == 1);
  CHECK(store->newest_version() == 4);
  REQUIRE(store->release(3));
  CHECK(store->release(3)->envelope == "{\"v\":3}");
  CHECK(!store->release(9));
}

TEST_CASE("rollouts only widen and each group gets its newest release", "[unit][hub]") {
  auto store = hub::Store::open(fresh_db("rollout"));
  REQUIRE(store->ok());
  REQUIRE(store->add_kiosk("GR-01", "", "t1"));
  REQUIRE(store->add_kiosk("GR-02", "", "t2", "canary"));
  CHECK(store->kiosk_group("GR-02") == "canary");
  CHECK(!store->offer_for_group("default"));
  REQUIRE(store->add_release(rel(1)) == hub::PublishResult::Created);
  REQUIRE(store->add_release(rel(2)) == hub::PublishResult::Created);
  CHECK(!store->roll_out(7, {}, true, 100));
  CHECK(store->roll_out(1, {}, true, 100));
  CHECK(store->roll_out(2, {"canary"}, false, 200));
  CHECK(store->offer_for_group("default")->version == 1);
  CHECK(store->offer_for_group("canary")->version == 2);
  CHECK(store->offer_for_group("canary")->since == 200);
  CHECK(store->roll_out(2, {}, true, 300));
  CHECK(store->roll_out(2, {"canary"}, false, 400));  // again: keeps its first time, stays "all"
  auto r = store->release(2);
  CHECK(r->all);
  CHECK(r->all_at == 300);
  CHECK(r->groups == std::vector<std::string>{"canary"});
  CHECK(store->offer_for_group("default")->version == 2);
  CHECK(store->offer_for_group("default")->since == 300);
  CHECK(store->offer_for_group("canary")->since == 200);
}

TEST_CASE("a hub database from before releases gains the new columns and keeps its kiosks", "[unit][hub]") {
  if (storetest::on_postgres()) return;  // an old SQLite file's migration: PostgreSQL starts whole
  std::string path = fresh_db("migrate");
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db,
                       "CREATE TABLE kiosks(id TEXT PRIMARY KEY, name TEXT, token_sha256 TEXT UNIQUE,"
                       " last_heartbeat INTEGER DEFAULT 0, queue_depth INTEGER DEFAULT 0, oldest_unsent_age_s INTEGER"
                       " DEFAULT 0, permanent_errors INTEGER DEFAULT 0, content_version TEXT DEFAULT '', app_version"
                       " TEXT DEFAULT '');"
                       "CREATE TABLE sessions(token_sha256 TEXT PRIMARY KEY, user TEXT, csrf TEXT, expires INTEGER);"
                       "INSERT INTO kiosks(id, name, token_sha256) VALUES('GR-01', 'old', 'tok');"
                       "INSERT INTO sessions VALUES('s', 'anna', 'c', 9999999999);",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto store = hub::Store::open(path);
  REQUIRE(store->ok());
  CHECK(store->kiosk_group("GR-01") == "default");
  CHECK(store->kiosk_for_token("tok") == "GR-01");
  REQUIRE(store->add_account("console", "anna", "mediator", "h"));
  CHECK(store->touch_session("console", "s", 1, 1800)->role == "mediator");   // an old session is a mediator's
  CHECK(!store->touch_session("admin", "s", 1, 1800));
  CHECK(store->kiosk_update("GR-01", 4, "{\"state\":\"idle\"}"));
  CHECK(store->fleet()[0].running_version == 4);
}
