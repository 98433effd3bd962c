// Several real hub processes on one real PostgreSQL database (the harness's fixture server): a
// console on one instance follows uploads through another, two mediators on two instances race
// for one request and exactly one wins, and three instances send one mail per notification, also
// after the notifier's instance is killed (kill -9).
#include "cluster_e2e_util.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <latch>
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

// The redirect's outcome of a claim ("claimed", "taken", ...), or the status when there is none.
std::string claim_outcome(const Reply& r) {
  size_t at = r.headers.find("?m=");
  if (at == std::string::npos) return "status " + std::to_string(r.status);
  at += 3;
  return r.headers.substr(at, r.headers.find_first_of("\r\n", at) - at);
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
    std::string path = "/console/request/" + id;
    std::string anna_csrf = csrf_of(http("GET", a.url(path), "", {"Cookie: " + anna}).body);
    std::string bruno_csrf = csrf_of(http("GET", b->url(path), "", {"Cookie: " + bruno}).body);
    REQUIRE(!anna_csrf.empty());
    REQUIRE(!bruno_csrf.empty());
    std::latch go(2);
    Reply anna_claim, bruno_claim;
    std::thread ta([&] {
      go.arrive_and_wait();
      anna_claim = http("POST", a.url(path + "/claim"), "csrf=" + anna_csrf, {"Cookie: " + anna});
    });
    std::thread tb([&] {
      go.arrive_and_wait();
      bruno_claim = http("POST", b->url(path + "/claim"), "csrf=" + bruno_csrf, {"Cookie: " + bruno});
    });
    ta.join();
    tb.join();
    std::string ao = claim_outcome(anna_claim), bo = claim_outcome(bruno_claim);
    INFO("round " << round << ": anna (A) " << ao << ", bruno (B) " << bo);
    REQUIRE(((ao == "claimed" && bo == "taken") || (ao == "taken" && bo == "claimed")));
    std::string winner = ao == "claimed" ? "anna" : "bruno", loser = ao == "claimed" ? "bruno" : "anna";
    (winner == "anna" ? anna_won : bruno_won)++;
    CHECK(a.count("SELECT count(*) FROM requests WHERE id = '" + id + "' AND status = 'in_progress' AND mediator = '" +
                  winner + "'") == 1);
    // One claim in the log, the winner's; the loser's attempt is logged as refused.
    CHECK(a.count("SELECT count(*) FROM audit WHERE request_id = '" + id + "' AND action = 'claim'") == 1);
    CHECK(a.count("SELECT count(*) FROM audit WHERE request_id = '" + id + "' AND action = 'claim' AND user = '" +
                  winner + "'") == 1);
    CHECK(a.count("SELECT count(*) FROM audit WHERE request_id = '" + id + "' AND action = 'claim_refused' AND user = '" +
                  loser + "'") == 1);
    // Each instance shows the winner's claim on its page.
    Reply seen = http("GET", b->url(path), "", {"Cookie: " + bruno});
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

  // The notifier's instance dies; one of the other two takes the lock over (its retry is 5 s).
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
