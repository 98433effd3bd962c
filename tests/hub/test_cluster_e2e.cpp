// Several real hub processes on one real PostgreSQL database (the harness's fixture server): a
// console on one instance follows uploads through another, two mediators on two instances race
// for one request and exactly one wins, three instances send one mail per notification, also
// after the notifier's instance is killed (kill -9), and the instance that takes the notifier
// over routes what piled up at once.
#include "cluster.h"
#include "cluster_e2e_util.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

namespace {

using namespace hub_test;

// Instance A (the harness's hub) on a fresh PostgreSQL database; these tests mean nothing on SQLite.
void start_on_postgres(Hub& a, const std::string& name, const std::vector<std::string>& args = {}) {
  REQUIRE(sodium_init() >= 0);
  INFO("set SPORTELLO_TEST_POSTGRES (ctest -L postgres runs these with the fixture's server)");
  REQUIRE(!harness::test_postgres_server().empty());
  REQUIRE(a.start(name, args));
  REQUIRE(!a.database.empty());
}

int64_t mails_sent(const Hub& hub) { return hub.count("SELECT count(*) FROM notify_mails WHERE state = 'sent'"); }

}  // namespace

TEST_CASE("cluster e2e: a console on instance B hears of a request uploaded through instance A within 2 s",
          "[e2e][hub][cluster]") {
  Hub a;
  start_on_postgres(a, "cluster-e2e-live");
  auto b = instance(a, "hub-b");
  REQUIRE(b);
  // Both bridges listen before the upload: an event published earlier is not relayed (the
  // consoles re-fetch then), and this test is about the relay.
  REQUIRE(wait_until([&] { return bridges_listening(a) == 2; }, 15));

  std::string anna = session_cookie(*b, "anna", "password-anna");
  REQUIRE(!anna.empty());
  Stream stream;
  REQUIRE(stream.open(port_of(*b), {"Cookie: " + anna}));
  REQUIRE(stream.wait_head() == 200);

  std::string id;
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(upload(a, 1, &id));
  CHECK(stream.wait_for("\"id\":\"" + id + "\",\"state\":\"received\"", 2000));
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO("upload through A to the event on B's stream: " << took << " s");
  CHECK(took < 2.0);
  // Events carry only the id and the state, across instances too.
  CHECK(stream.data.find("GR1-") == std::string::npos);

  Reply queue = http("GET", b->url("/console/?mine=0"), "", {"Cookie: " + anna});
  REQUIRE(queue.status == 200);
  CHECK(queue.body.find("row-" + id) != std::string::npos);
}

TEST_CASE("cluster e2e: two mediators on two instances claim one request at once, and exactly one wins",
          "[e2e][hub][cluster]") {
  Hub a;
  start_on_postgres(a, "cluster-e2e-claim");
  auto b = instance(a, "hub-b");
  REQUIRE(b);
  std::string anna = session_cookie(a, "anna", "password-anna"), bruno = session_cookie(*b, "bruno", "password-bruno");
  REQUIRE(!anna.empty());
  REQUIRE(!bruno.empty());

  // Several rounds: each a fresh request, both claims released together.
  const int rounds = 8;
  int anna_won = 0, bruno_won = 0;
  for (int round = 0; round < rounds; round++) {
    std::string id;
    REQUIRE(upload(a, 100 + round, &id));
    auto [ao, bo] = claim_race(id, a.url(), anna, b->url(), bruno);
    INFO("round " << round << ": anna (A) " << ao << ", bruno (B) " << bo);
    REQUIRE(((ao == "claimed" && bo == "taken") || (ao == "taken" && bo == "claimed")));
    std::string winner = ao == "claimed" ? "anna" : "bruno", loser = ao == "claimed" ? "bruno" : "anna";
    (winner == "anna" ? anna_won : bruno_won)++;
    CHECK(one_claim_recorded(a, id, winner, loser));
    // Each instance shows the winner's claim on its page.
    Reply seen = http("GET", b->url("/console/request/" + id), "", {"Cookie: " + bruno});
    CHECK(seen.body.find("id=claim") == std::string::npos);
  }
  INFO("anna won " << anna_won << ", bruno won " << bruno_won);
  CHECK(anna_won + bruno_won == rounds);
}

TEST_CASE("cluster e2e: three instances send one mail per notification, also after the notifier's instance dies",
          "[e2e][hub][cluster][notify]") {
  Sink sink;
  REQUIRE(sink.start("cluster-e2e-sink"));
  std::string conf = notify_config(harness::temp_dir("cluster-e2e-notify-conf"), sink, "digest-minutes = 0\n");
  Hub a;
  start_on_postgres(a, "cluster-e2e-notify", {"--notify-config", conf});
  auto b = instance(a, "hub-b", {"--notify-config", conf});
  auto c = instance(a, "hub-c", {"--notify-config", conf});
  REQUIRE(b);
  REQUIRE(c);
  REQUIRE(hub_cli(a, "set-profile", {"--user", "anna", "--languages", "ar", "--desks", "GR-01", "--duty", "on",
                                     "--coordinator", "no", "--email", "anna@mediatori.test"})
              .find("profile of") != std::string::npos);
  Hub* hubs[] = {&a, b.get(), c.get()};
  auto pids = [&] { return std::vector<int>{a.server.pid, b->server.pid, c->server.pid}; };
  int holder = -1;
  REQUIRE(wait_until([&] { return (holder = job_holder(a, "notifier", pids())) > 0; }, 15));
  // Uploaded through an instance that does not run the notifier: the bridge (or its poll) wakes it.
  Hub* other = hubs[0]->server.pid == holder ? hubs[1] : hubs[0];

  std::string first = uuid(1);
  REQUIRE(post_request(*other, other->token, first, request_body(a, first, "GR1-PRIMO", "{}", "GR-01", "ar")).status ==
          201);
  REQUIRE(wait_until([&] { return sink.mails().size() >= 1 && mails_sent(a) == 1; }, 30));
  CHECK(sink.rcpt(1) == "anna@mediatori.test\n");
  CHECK(a.count("SELECT count(*) FROM notify_mails") == 1);
  CHECK(a.count("SELECT count(*) FROM notify_items WHERE request_id = '" + first + "'") == 1);

  // The notifier's instance dies; one of the other two takes the lock over (it asks every second).
  Hub* victim = nullptr;
  for (Hub* h : hubs)
    if (h->server.pid == holder) victim = h;
  REQUIRE(victim);
  kill9(victim->server);
  Hub* survivor = victim == hubs[0] ? hubs[1] : hubs[0];
  std::string second = uuid(2);
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(post_request(*survivor, survivor->token, second, request_body(a, second, "GR1-DOPO", "{}", "GR-01", "ar"))
              .status == 201);
  REQUIRE(wait_until([&] { return sink.mails().size() >= 2 && mails_sent(a) == 2; }, 30));
  INFO("the second mail, after the kill: " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
                                           << " s");
  int next = job_holder(a, "notifier", pids());
  CHECK(next > 0);
  CHECK(next != holder);
  CHECK(sink.mails()[1].find("GR1-DOPO") != std::string::npos);
  // One mail each: no instance sent either a second time (the first one's mail again included).
  CHECK(a.count("SELECT count(*) FROM notify_mails") == 2);
  CHECK(sink.mails().size() == 2);
  CHECK(sink.mails()[0].find("GR1-PRIMO") != std::string::npos);
}

TEST_CASE("cluster e2e: the instance that takes the notifier over routes the backlog at once, and a mail follows a kill "
          "within seconds",
          "[e2e][hub][cluster][notify]") {
  Sink sink;
  REQUIRE(sink.start("cluster-e2e-takeover-sink"));
  std::string conf = notify_config(harness::temp_dir("cluster-e2e-takeover-conf"), sink, "digest-minutes = 0\n");
  Hub a;
  start_on_postgres(a, "cluster-e2e-takeover", {"--notify-config", conf});
  stand_aside(a);
  // The test holds the notifier's job lock itself, so that requests pile up unrouted, as they do
  // through the other instances while the holder is dead and the lock not yet taken again.
  auto blocker = std::make_unique<hub::JobLock>(a.database, "notifier", std::chrono::milliseconds(50));
  REQUIRE(wait_until([&] { return blocker->held(); }, 15));
  auto b = instance(a, "hub-b", {"--notify-config", conf});
  auto c = instance(a, "hub-c", {"--notify-config", conf});
  REQUIRE(b);
  REQUIRE(c);
  // More than one routing batch, and nobody to mail yet: no mail keeps the notifier busy.
  const int backlog = 250;  // two and a half batches of routing (outbox::kUnroutedBatch)
  for (int i = 0; i < backlog; i++) {
    Upload u = make_upload(a, 500 + i);
    REQUIRE(http("POST", (i % 2 ? b : c)->url("/api/v1/requests"), u.body, headers(a, u.id)).status == 201);
  }
  auto routed = [&] { return a.count("SELECT count(*) FROM notify_routed"); };
  CHECK(routed() == 0);

  // The holder's connection closes (as a killed holder's does): an instance takes the lock over and
  // routes every request at once, with no new upload to wake it.
  auto t0 = std::chrono::steady_clock::now();
  blocker.reset();
  CHECK(wait_until([&] { return routed() == backlog; }, 10));
  INFO("the backlog of " << backlog << " routed after the lock was freed: "
                         << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s");
  CHECK(routed() == backlog);

  // Now a mediator to mail; the holder is killed, and a request uploaded at once through the
  // other instance reaches the relay within seconds (the lock is asked for every second).
  REQUIRE(hub_cli(a, "set-profile", {"--user", "anna", "--languages", "ar", "--desks", "GR-01", "--duty", "on",
                                     "--coordinator", "no", "--email", "anna@mediatori.test"})
              .find("profile of") != std::string::npos);
  int holder = -1;
  REQUIRE(wait_until([&] { return (holder = job_holder(a, "notifier", {b->server.pid, c->server.pid})) > 0; }, 15));
  Hub* victim = holder == b->server.pid ? b.get() : c.get();
  Hub* survivor = victim == b.get() ? c.get() : b.get();
  t0 = std::chrono::steady_clock::now();
  kill9(victim->server);
  std::string id = uuid(9000);
  REQUIRE(post_request(*survivor, survivor->token, id, request_body(a, id, "GR1-TARDO", "{}", "GR-01", "ar")).status ==
          201);
  bool mailed = wait_until([&] { return sink.mails().size() == 1; }, 10);
  INFO("kill -9 of the notifier's instance to the new request's mail at the relay: "
       << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s");
  REQUIRE(mailed);
  CHECK(sink.mails()[0].find("GR1-TARDO") != std::string::npos);
  CHECK(sink.rcpt(1) == "anna@mediatori.test\n");
}
