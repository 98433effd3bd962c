// The storage layer itself (hub/db.h) and what only PostgreSQL adds: several hub instances on one
// database. Two Store objects are two instances (each its own pool of connections); threads of
// each race on the same request id, the same claim, the same login budget, and the schema when
// they start together. The exactly-once rules must hold as they do with one SQLite file.
// The [postgres] cases return at once when the tests run on SQLite (ctest runs them with
// SPORTELLO_TEST_POSTGRES under the "hub-pg/" names).
#include "hub.h"
#include "store_util.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace {

hub::Request request(int n) {
  hub::Request r;
  char id[40];
  snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", n);
  r.id = id;
  r.ref = "GR1-" + std::to_string(1000 + n);
  r.kiosk = "GR-01";
  r.lang = "ar";
  r.topic = "health";
  r.contact = "phone";
  r.sealed.assign(80, (unsigned char)n);
  return r;
}

// Runs fn(i) on n threads released together.
template <class F> void together(int n, F fn) {
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; i++)
    threads.emplace_back([&, i] {
      ready++;
      while (ready.load() < n) std::this_thread::yield();
      fn(i);
    });
  for (auto& t : threads) t.join();
}

}  // namespace

TEST_CASE("placeholders become $N outside quoted text, URLs are checked and never show a password",
          "[unit][hub]") {
  using hub::db::postgres_placeholders;
  CHECK(postgres_placeholders("SELECT ? , ?") == "SELECT $1 , $2");
  CHECK(postgres_placeholders("WHERE a = ?1 AND (?2 = '' OR b = ?2) AND c = ?3") ==
        "WHERE a = $1 AND ($2 = '' OR b = $2) AND c = $3");
  CHECK(postgres_placeholders("SELECT '?', \"what?\", ? FROM t") == "SELECT '?', \"what?\", $1 FROM t");
  CHECK(postgres_placeholders("SELECT 'it''s ?', ?") == "SELECT 'it''s ?', $1");
  CHECK(hub::db::postgres_url_problem("postgresql://hub@db.example:5432/sportello").empty());
  CHECK(hub::db::postgres_url_problem("postgres://hub@10.0.0.1,10.0.0.2/sportello?target_session_attrs=read-write")
            .empty());
  CHECK(hub::db::postgres_url_problem("mysql://hub@db/sportello") != "");
  CHECK(hub::db::postgres_url_problem("postgresql://hub@db.example") != "");
  std::string problem = hub::db::postgres_url_problem("postgresql://hub:s3cret@db.example");
  CHECK(problem.find("no database name") != std::string::npos);
  CHECK(problem.find("s3cret") == std::string::npos);
  CHECK(hub::db::redact_url("postgresql://hub:s3cret@db:5432/x") == "postgresql://hub:***@db:5432/x");
  CHECK(hub::db::redact_url("postgresql://hub@db/x?password=s3cret&sslmode=require") ==
        "postgresql://hub@db/x?password=***&sslmode=require");
  CHECK(hub::db::redact_url("postgresql://hub@db/x") == "postgresql://hub@db/x");
}

TEST_CASE("a server that does not answer is an error that names it, without its password", "[unit][hub]") {
  auto store = hub::Store::open("postgresql://hub:s3cret@127.0.0.1:1/sportello?connect_timeout=2");
  CHECK_FALSE(store->ok());
  CHECK(store->error().find("127.0.0.1") != std::string::npos);
  CHECK(store->error().find("s3cret") == std::string::npos);
}

TEST_CASE("two instances store the same request at once: one Created, every other answer Replayed",
          "[unit][hub][postgres]") {
  if (!storetest::on_postgres()) return;
  std::string target = storetest::fresh_postgres("race2");
  REQUIRE(!target.empty());
  auto a = hub::Store::open(target, 4), b = hub::Store::open(target, 4);
  REQUIRE(a->ok());
  REQUIRE(b->ok());
  const int kRequests = 20, kThreads = 8;
  for (int n = 1; n <= kRequests; n++) {
    hub::Request r = request(n);
    std::atomic<int> created{0}, replayed{0}, other{0};
    together(kThreads, [&](int i) {
      hub::Store& st = i % 2 ? *a : *b;
      hub::StoreResult res = st.store(r, "sha-" + std::to_string(n), 1800000000 + n, hub::KioskLimits{}, nullptr);
      (res == hub::StoreResult::Created ? created : res == hub::StoreResult::Replayed ? replayed : other)++;
    });
    CHECK(created == 1);
    CHECK(replayed == kThreads - 1);
    CHECK(other == 0);
  }
  CHECK(a->count_requests() == kRequests);
  CHECK(storetest::count(target, "SELECT count(DISTINCT id) FROM requests") == kRequests);
  // Another body under a stored id is still a conflict, from either instance.
  CHECK(b->store(request(1), "other", 1800000100) == hub::StoreResult::Conflict);
}

TEST_CASE("two instances claim the same request: exactly one mediator wins", "[unit][hub][postgres]") {
  if (!storetest::on_postgres()) return;
  std::string target = storetest::fresh_postgres("claim2");
  REQUIRE(!target.empty());
  auto a = hub::Store::open(target, 4), b = hub::Store::open(target, 4);
  REQUIRE(a->ok());
  REQUIRE(b->ok());
  for (int n = 1; n <= 10; n++) {
    hub::Request r = request(n);
    REQUIRE(a->store(r, "h", 1800000000) == hub::StoreResult::Created);
    std::atomic<int> wins{0};
    std::vector<std::string> winner(8);
    together(8, [&](int i) {
      hub::Store& st = i % 2 ? *a : *b;
      if (st.claim(r.id, "mediator" + std::to_string(i), 1800000001)) {
        wins++;
        winner[(size_t)i] = "mediator" + std::to_string(i);
      }
    });
    REQUIRE(wins == 1);
    std::string who;
    for (const std::string& w : winner) who += w;
    CHECK(b->get(r.id)->mediator == who);
    CHECK(a->get(r.id)->status == "in_progress");
    // Only the winner closes it, from either instance.
    CHECK_FALSE(a->close(r.id, who == "mediator0" ? "mediator1" : "mediator0", "done", 1800000002));
    CHECK(b->close(r.id, who, "done", 1800000002));
  }
}

TEST_CASE("two instances share one login budget: parallel wrong passwords never pass the limit",
          "[unit][hub][postgres]") {
  if (!storetest::on_postgres()) return;
  std::string target = storetest::fresh_postgres("login2");
  REQUIRE(!target.empty());
  auto a = hub::Store::open(target, 4), b = hub::Store::open(target, 4);
  REQUIRE(a->ok());
  REQUIRE(b->ok());
  hub::LoginLimits limits;  // 5 per (user, address)
  std::atomic<int> allowed{0};
  together(16, [&](int i) {
    hub::Store& st = i % 2 ? *a : *b;
    if (st.login_reserve("console", "anna", "192.0.2.9", 1800000000, limits).attempt > 0) allowed++;
  });
  CHECK(allowed == limits.per_pair);
  CHECK(storetest::count(target, "SELECT count(*) FROM login_attempts") == limits.per_pair);
}

TEST_CASE("instances starting together apply the schema once", "[unit][hub][postgres]") {
  if (!storetest::on_postgres()) return;
  std::string target = storetest::fresh_postgres("schema");
  REQUIRE(!target.empty());
  std::vector<std::unique_ptr<hub::Store>> stores(6);
  together(6, [&](int i) { stores[(size_t)i] = hub::Store::open(target, 1); });
  for (auto& st : stores) {
    REQUIRE(st->ok());
    CHECK(st->count_requests() == 0);
  }
  CHECK(storetest::count(target, "SELECT count(*) FROM schema_version") == 1);
  CHECK(storetest::count(target, "SELECT count(*) FROM schema_version WHERE version = 1") == 1);
  // And again, with the schema there: nothing to do, nothing fails.
  auto late = hub::Store::open(target, 1);
  CHECK(late->ok());
  CHECK(storetest::count(target, "SELECT count(*) FROM schema_version") == 1);
}

TEST_CASE("migrate moves an SQLite hub with requests in every state to PostgreSQL, once, nothing changed",
          "[unit][hub][postgres]") {
  if (!storetest::on_postgres()) return;
  std::string dir = std::string(SPORTELLO_BINARY_DIR) + "/test-output/hub-migrate-" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string file = dir + "/hub.db";
  const int64_t t = 1800000000;
  {
    auto st = hub::Store::open(file);
    REQUIRE(st->ok());
    REQUIRE(st->add_kiosk("GR-01", "Grosseto", "tok1", "default", "GR1"));
    REQUIRE(st->add_kiosk("GR-02", "Follonica", "tok2", "canary", ""));
    REQUIRE(st->add_account("console", "anna", "mediator", "hash-a"));
    REQUIRE(st->add_account("admin", "ada", "admin", "hash-b"));
    for (int n = 1; n <= 7; n++) {
      hub::Request r = request(n);
      r.created_at = n == 5 ? "2020-01-01T00:00:00Z" : "2027-01-15T08:00:00Z";
      REQUIRE(st->store(r, "sha" + std::to_string(n), t + n) == hub::StoreResult::Created);
    }
    REQUIRE(st->claim(request(2).id, "anna", t + 10));  // in_progress
    REQUIRE(st->claim(request(3).id, "anna", t + 11));
    REQUIRE(st->close(request(3).id, "anna", "done", t + 12));
    REQUIRE(st->claim(request(4).id, "anna", t + 13));
    REQUIRE(st->close(request(4).id, "anna", "unreachable", t + 14));
    REQUIRE(st->retention(t - 86400) == 1);  // request 5: its personal data expired
    REQUIRE(st->erase(request(6).ref, hub::AuditEvent{t + 15, "op", "operator", "", "", ""}) == 1);
    REQUIRE(st->audit(hub::AuditEvent{t + 16, "ada", "admin", "publish", "release:3", "192.0.2.1"}));
    REQUIRE(st->open_session("sess", "anna", "mediator", "csrf", t, 3600));
    hub::Release rel;
    rel.version = 3;
    rel.created_at = t;
    rel.envelope = "{\"signed\":\"...\"}";
    rel.sha256 = "abc";
    rel.published_by = "ada";
    REQUIRE(st->add_release(rel) == hub::PublishResult::Created);
    REQUIRE(st->roll_out(3, {"canary"}, false, t + 20));
    REQUIRE(st->login_reserve("console", "anna", "192.0.2.9", t, hub::LoginLimits{}).attempt > 0);
  }
  std::string url = storetest::fresh_postgres("migrate");
  REQUIRE(!url.empty());
  std::string report_path = dir + "/report.txt";
  FILE* report = fopen(report_path.c_str(), "w");
  REQUIRE(report);
  int status = hub::migrate_store(file, url, report);
  fclose(report);
  std::ifstream in(report_path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  INFO(text);
  REQUIRE(status == 0);
  CHECK(text.find("every table copied: counts and checksums match") != std::string::npos);
  std::map<std::string, int64_t> rows;
  std::istringstream lines(text);
  for (std::string name, line; std::getline(lines, line);) {
    int64_t n = -1;
    std::istringstream(line) >> name >> n;
    rows[name] = n;
  }
  CHECK(rows["requests"] == 7);
  CHECK(rows["kiosks"] == 2);
  CHECK(rows["rollouts"] == 1);
  CHECK(rows["audit"] >= 2);

  auto a = hub::Store::open(file), b = hub::Store::open(url);
  REQUIRE(a->ok());
  REQUIRE(b->ok());
  hub::Filter all;
  all.status = "all";
  auto la = a->list(all, t + 100), lb = b->list(all, t + 100);
  REQUIRE(la.size() == 7);
  REQUIRE(lb.size() == la.size());
  for (size_t i = 0; i < la.size(); i++) {  // the same order too: newest first, ties as inserted
    CHECK(lb[i].id == la[i].id);
    auto ra = a->get(la[i].id), rb = b->get(la[i].id);
    REQUIRE(rb);
    CHECK(rb->status == ra->status);
    CHECK(rb->mediator == ra->mediator);
    CHECK(rb->claimed_at == ra->claimed_at);
    CHECK(rb->closed_at == ra->closed_at);
    CHECK(rb->expired_at == ra->expired_at);
    CHECK(rb->created_unix == ra->created_unix);
    CHECK(rb->desk_day == ra->desk_day);
    CHECK(rb->sealed == ra->sealed);
  }
  std::set<std::string> states;
  for (const auto& r : lb) states.insert(r.status);
  CHECK(states == std::set<std::string>{"received", "in_progress", "done", "unreachable"});
  CHECK(b->get(request(5).id)->sealed.empty());
  CHECK(b->status_of(request(6).ref, "GR-01", 0) == std::optional<std::string>("expired"));
  CHECK(b->get(request(1).id)->sealed == request(1).sealed);
  // A retry of a stored request is still a replay, now on PostgreSQL.
  CHECK(b->store(request(1), "sha1", t + 200) == hub::StoreResult::Replayed);
  auto audit_a = a->audit_log(100), audit_b = b->audit_log(100);
  REQUIRE(audit_b.size() == audit_a.size());
  for (size_t i = 0; i < audit_a.size(); i++) CHECK(audit_b[i].action == audit_a[i].action);
  CHECK(b->touch_session("console", "sess", t + 1, 1800));
  CHECK(b->offer_for_group("canary")->version == 3);
  CHECK(b->kiosk_ref_prefix("GR-01") == std::optional<std::string>("GR1"));
  CHECK(b->accounts("admin").size() == 1);
  // New rows after the copy get new ids (the identity columns go on after the copied ones).
  CHECK(b->login_reserve("console", "anna", "192.0.2.10", t + 1, hub::LoginLimits{}).attempt > 1);
  // Never twice into the same database.
  FILE* again = fopen(report_path.c_str(), "w");
  CHECK(hub::migrate_store(file, url, again) == 1);
  fclose(again);
  CHECK(storetest::count(url, "SELECT count(*) FROM requests") == 8 - 1);
}
