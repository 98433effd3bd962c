// The hub across instances (hub/cluster.h) on a real PostgreSQL server: two instances' event
// bridges on one database, what their payloads carry, a listener whose connection is terminated,
// and job locks that one instance holds at a time.
#include "cluster_util.h"
#include "postgres.h"

#include <catch2/catch.hpp>
#include <libpq-fe.h>
#include <nlohmann/json.hpp>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <future>
#include <optional>
#include <thread>

using cluster_test::Bus;
using cluster_test::eventually;
using cluster_test::Instance;
using hub::Event;

namespace {

// Ends the server side of every connection whose application name starts with `app`.
bool terminate(harness::Postgres& pg, const std::string& app, std::string* out = nullptr) {
  std::string sql = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name LIKE '" +
                    app + "%'";
  return pg.psql(sql, out);
}

}  // namespace

TEST_CASE("cluster payloads: plain words only, well below the NOTIFY limit, read back as sent", "[cluster]") {
  std::string from, p = hub::cluster_payload("0123456789abcdef", {Event::RequestChanged, "4b5c6d7e-8f9a-4b1c", "done"});
  Event e;
  REQUIRE(hub::cluster_parse(p, &from, &e));
  CHECK(from == "0123456789abcdef");
  CHECK((e.kind == Event::RequestChanged && e.id == "4b5c6d7e-8f9a-4b1c" && e.state == "done"));
  REQUIRE(hub::cluster_parse(hub::cluster_payload("a1", hub::refresh_event()), &from, &e));
  CHECK((e.kind == Event::RequestChanged && e.id.empty() && e.state.empty()));
  CHECK(hub::sse_text(e) == "event: queue\ndata: {}\n\n");  // every live page re-fetches on it
  REQUIRE(hub::cluster_parse(hub::cluster_payload("a1", {Event::UserSessionsEnded, "anna.b", ""}), &from, &e));
  CHECK((e.kind == Event::UserSessionsEnded && e.id == "anna.b"));
  // What is not a plain word (a visitor's text, markup, a field of its own) is never sent.
  for (const char* id : {"Mario Rossi", "+39 333 1234567", "a\"b", "<x>", "", "é"})
    CHECK(hub::cluster_payload("a1", {Event::RequestChanged, id, "received"}).empty());
  CHECK(hub::cluster_payload("a1", {Event::RequestChanged, std::string(65, 'a'), "received"}).empty());
  CHECK(hub::cluster_payload("a1", {Event::RequestChanged, std::string(64, 'a'), std::string(64, 'b')}).size() < 400);
  CHECK_FALSE(hub::cluster_parse("{\"from\":\"a\",\"kind\":\"request\",\"id\":\"x y\",\"state\":\"done\"}", &from, &e));
  CHECK_FALSE(hub::cluster_parse("{\"from\":\"a\",\"kind\":\"other\",\"id\":\"x\",\"state\":\"done\"}", &from, &e));
  CHECK_FALSE(hub::cluster_parse("not json", &from, &e));
  CHECK(hub::JobLock::key("notifier") == hub::JobLock::key("notifier"));
  CHECK(hub::JobLock::key("notifier") != hub::JobLock::key("retention"));
}

TEST_CASE("cluster: an event published on one instance reaches the other, and its own bus once", "[cluster][postgres]") {
  harness::Postgres pg;
  REQUIRE(pg.start("cluster-events"));
  Instance a(pg.url()), b(pg.url());
  REQUIRE(eventually([&] { return a.bridge.connected() && b.bridge.connected(); }));
  CHECK(a.bridge.instance() != b.bridge.instance());

  a.bus.bus.publish({Event::RequestChanged, "11111111-2222-4333-8444-555555555555", "received"});
  REQUIRE(b.bus.wait_for("11111111-2222-4333-8444-555555555555", "received"));
  // B answers after it saw A's event; notifications reach a listener in commit order, so once A
  // has B's answer, its own notification (had it not been skipped) would have come back before.
  b.bus.bus.publish({Event::RequestChanged, "11111111-2222-4333-8444-555555555555", "in_progress"});
  REQUIRE(a.bus.wait_for("11111111-2222-4333-8444-555555555555", "in_progress"));
  CHECK(a.bus.count("11111111-2222-4333-8444-555555555555", "received") == 1);
  CHECK(a.bus.count("11111111-2222-4333-8444-555555555555", "in_progress") == 1);
  CHECK(b.bus.count("11111111-2222-4333-8444-555555555555", "in_progress") == 1);
  CHECK(b.bus.count("11111111-2222-4333-8444-555555555555", "received") == 1);
  CHECK(b.woken == 1);  // told of the other instance's new request
  CHECK(a.woken == 0);  // its own never comes back

  // Session facts travel too: a logout on A ends the streams of that session on B.
  a.bus.bus.publish({Event::SessionEnded, std::string(64, 'c'), ""});
  REQUIRE(b.bus.wait_for(std::string(64, 'c'), ""));
}

TEST_CASE("cluster: what goes over the channel is an instance, a kind, an id and a state", "[cluster][postgres]") {
  harness::Postgres pg;
  REQUIRE(pg.start("cluster-payload"));
  std::unique_ptr<PGconn, void (*)(PGconn*)> spy(PQconnectdb(pg.url().c_str()), PQfinish);
  REQUIRE(PQstatus(spy.get()) == CONNECTION_OK);
  PQclear(PQexec(spy.get(), "LISTEN sportello_events"));
  Instance a(pg.url());
  REQUIRE(eventually([&] { return a.bridge.connected(); }));

  // A visitor's text where an id belongs is never sent; the well-formed events after it are.
  a.bus.bus.publish({Event::RequestChanged, "Mario Rossi +39 333 1234567", "received"});
  a.bus.bus.publish({Event::RequestChanged, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "done"});
  a.bus.bus.publish({Event::UserSessionsEnded, "anna", ""});
  std::vector<std::string> payloads;
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (payloads.size() < 2 && std::chrono::steady_clock::now() < end) {
    pollfd p{PQsocket(spy.get()), POLLIN, 0};
    poll(&p, 1, 200);
    PQconsumeInput(spy.get());
    while (PGnotify* n = PQnotifies(spy.get())) {
      payloads.push_back(n->extra);
      PQfreemem(n);
    }
  }
  REQUIRE(payloads.size() == 2);
  for (const std::string& p : payloads) {
    CHECK(p.size() < 8000);
    CHECK(p.find("Mario") == std::string::npos);
    nlohmann::json j = nlohmann::json::parse(p);
    CHECK(j.size() == 4);
    CHECK(j["from"] == a.bridge.instance());
  }
  CHECK(nlohmann::json::parse(payloads[0])["id"] == "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
  CHECK(nlohmann::json::parse(payloads[1])["kind"] == "user");
}

TEST_CASE("cluster: a listener whose connection is terminated comes back and has consoles re-fetch", "[cluster][postgres]") {
  harness::Postgres pg;
  REQUIRE(pg.start("cluster-terminate"));
  Instance a(pg.url()), b(pg.url());
  REQUIRE(eventually([&] { return a.bridge.connected() && b.bridge.connected(); }));
  CHECK(b.bridge.connections() == 1);
  CHECK(b.bus.count("", "") == 0);

  std::string ended;
  REQUIRE(terminate(pg, "sportello-hub events " + b.bridge.instance(), &ended));
  CHECK(ended == "1");
  REQUIRE(eventually([&] { return b.bridge.connections() == 2 && b.bridge.connected(); }));
  REQUIRE(b.bus.wait_for("", ""));  // the refresh: events may have been missed meanwhile
  CHECK(a.bus.count("", "") == 0);  // A never lost touch

  a.bus.bus.publish({Event::RequestChanged, "12345678-aaaa-4bbb-8ccc-dddddddddddd", "received"});
  CHECK(b.bus.wait_for("12345678-aaaa-4bbb-8ccc-dddddddddddd", "received"));
}

// The pid of the backend that holds the advisory lock of `job`, or "".
static std::string holder_pid(harness::Postgres& pg, const std::string& job) {
  std::string pid;
  pg.psql("SELECT l.pid FROM pg_locks l JOIN pg_stat_activity s USING (pid) WHERE l.locktype = 'advisory' "
          "AND l.granted AND s.application_name LIKE 'sportello-hub job " + job + " %'",
          &pid);
  return pid;
}

TEST_CASE("cluster: a job lock is held by one instance, and when its holder dies another takes it", "[cluster][postgres]") {
  harness::Postgres pg;
  REQUIRE(pg.start("cluster-jobs"));
  std::atomic<int> changes{0};
  std::optional<hub::JobLock> a, b;
  a.emplace(pg.url(), "notifier", std::chrono::milliseconds(200), [&](bool) { changes++; });
  b.emplace(pg.url(), "notifier", std::chrono::milliseconds(200), [&](bool) { changes++; });
  hub::JobLock other(pg.url(), "retention", std::chrono::milliseconds(200));
  REQUIRE(eventually([&] { return a->held() || b->held(); }));
  REQUIRE(eventually([&] { return other.held(); }));  // another job's lock is its own
  // Over several of the loser's retries, never both.
  auto never_both = [&](int ms) {
    bool both = false;
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
      both = both || (a->held() && b->held());
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return !both;
  };
  CHECK(never_both(1000));
  CHECK(a->held() != b->held());
  CHECK(changes == 1);

  // The holder's connection is ended by the server: it is not held there any more, the server
  // gives it to whichever asks first, and again one instance only holds it.
  std::string pid = holder_pid(pg, "notifier");
  REQUIRE(!pid.empty());
  REQUIRE(pg.psql("SELECT pg_terminate_backend(" + pid + ")"));
  REQUIRE(eventually([&] { std::string now = holder_pid(pg, "notifier"); return !now.empty() && now != pid; }));
  REQUIRE(eventually([&] { return a->held() != b->held(); }));
  CHECK(never_both(600));
  CHECK(changes >= 2);  // the old holder saw the loss

  // The holder's instance stops (its process gone, its connection closed): the other one takes
  // the job within a retry or two.
  std::optional<hub::JobLock>& holder = a->held() ? a : b;
  std::optional<hub::JobLock>& waiter = a->held() ? b : a;
  holder.reset();
  REQUIRE(eventually([&] { return waiter->held(); }, 5));
  std::string granted;
  REQUIRE(pg.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted", &granted));
  CHECK(granted == "2");  // notifier (the new holder) and retention
}

TEST_CASE("cluster: what an instance published while out of touch reaches the others as a refresh", "[cluster][postgres]") {
  harness::Postgres pg;
  REQUIRE(pg.start("cluster-missed"));
  REQUIRE(pg.psql("CREATE ROLE hub_a LOGIN"));
  std::string url_a = "postgresql://hub_a@127.0.0.1:" + pg.port + "/postgres";
  Instance a(url_a), b(pg.url());
  REQUIRE(eventually([&] { return a.bridge.connected() && b.bridge.connected(); }));

  // A loses its connection and cannot log in again for a while (its role is closed meanwhile).
  REQUIRE(pg.psql("ALTER ROLE hub_a NOLOGIN"));
  REQUIRE(terminate(pg, "sportello-hub events " + a.bridge.instance()));
  // It tries again and is refused: libpq's reason is kept for the log.
  REQUIRE(eventually([&] { return !a.bridge.connected() && a.bridge.last_error().find("hub_a") != std::string::npos; }));
  a.bus.bus.publish({Event::RequestChanged, "bbbbbbbb-0000-4000-8000-000000000001", "received"});
  CHECK(a.bus.count("bbbbbbbb-0000-4000-8000-000000000001", "received") == 1);  // its own consoles have it

  REQUIRE(pg.psql("ALTER ROLE hub_a LOGIN"));
  REQUIRE(eventually([&] { return a.bridge.connected(); }));
  REQUIRE(b.bus.wait_for("", ""));  // B never lost touch, yet its consoles re-fetch: A's event is in the store
  CHECK(b.bus.count("bbbbbbbb-0000-4000-8000-000000000001", "received") == 0);
  CHECK(b.bridge.connections() == 1);
  CHECK(a.bus.wait_for("", ""));  // and A's consoles, for what B published meanwhile
}

TEST_CASE("cluster: a bridge and a job lock stop at once while their server does not answer", "[cluster][postgres]") {
  // A "server" that takes the connection (the kernel's backlog) and never says a word: libpq
  // waits for its answer to the start-up packet, where a blocking connect would hang.
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(bind(fd, (sockaddr*)&addr, sizeof addr) == 0);
  REQUIRE(listen(fd, 8) == 0);
  REQUIRE(getsockname(fd, (sockaddr*)&addr, &len) == 0);
  std::string url = "postgresql://postgres@127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/postgres";
  Bus bus;
  auto bridge = std::make_unique<hub::EventBridge>(url, bus.bus);
  auto job = std::make_unique<hub::JobLock>(url, "retention", std::chrono::milliseconds(200));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // both are inside their connect
  CHECK_FALSE(bridge->connected());
  CHECK_FALSE(job->held());
  // Well within the 10 s a connection attempt is given.
  auto stopped = std::async(std::launch::async, [&] {
    bridge.reset();
    job.reset();
  });
  CHECK(stopped.wait_for(std::chrono::seconds(3)) == std::future_status::ready);
  stopped.wait();
  close(fd);
}

// The voluntary context switches of each of this process's threads but the calling one.
static std::map<std::string, long> switches_of_others() {
  std::map<std::string, long> out;
  std::string self = std::to_string(gettid());
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::string tid = task.path().filename();
    if (tid == self) continue;
    std::ifstream status(task.path() / "status");
    for (std::string line; std::getline(status, line);)
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0) out[tid] = std::stol(line.substr(24));
  }
  return out;
}

TEST_CASE("cluster: idle means idle, a bridge and a held job lock wake for nothing", "[cluster][postgres]") {
  harness::Postgres pg;
  REQUIRE(pg.start("cluster-idle"));
  Instance a(pg.url());
  hub::JobLock job(pg.url(), "retention", std::chrono::milliseconds(200));
  REQUIRE(eventually([&] { return a.bridge.connected() && job.held(); }));
  std::map<std::string, long> before = switches_of_others();
  REQUIRE(before.size() >= 2);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the span observed, not a wait for a result
  std::map<std::string, long> after = switches_of_others();
  for (const auto& [tid, n] : before) {
    INFO("thread " << tid);
    CHECK(after.count(tid));
    CHECK(after[tid] == n);  // blocked in poll() the whole time
  }
}
