// Chaos across two real hub instances on one PostgreSQL database: kiosks upload while one
// instance at a time is killed (kill -9) and restarted; every request a kiosk saw acknowledged is
// stored exactly once. HUB_CHAOS_REQUESTS (default 200) and HUB_CHAOS_SEED (default 1) make it
// longer or different.
#include "cluster_e2e_util.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

namespace {

using namespace hub_test;

int env_int(const char* name, int fallback) {
  const char* v = getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

// The two instances as the kiosks see them: the port of each, replaced when it restarts.
struct Pair {
  std::mutex mu;
  std::condition_variable cv;
  std::unique_ptr<Hub> hubs[2];
  std::string ports[2];
  std::string port(int i) {
    std::lock_guard<std::mutex> lock(mu);
    return ports[i];
  }
};

}  // namespace

TEST_CASE("cluster e2e chaos: kiosks upload while instances die (kill -9) and restart, and every ack is stored exactly once",
          "[e2e][hub][cluster][chaos]") {
  REQUIRE(sodium_init() >= 0);
  INFO("set SPORTELLO_TEST_POSTGRES (ctest -L postgres runs this with the fixture's server)");
  REQUIRE(!harness::test_postgres_server().empty());
  const int n = env_int("HUB_CHAOS_REQUESTS", 200), kiosks = 4;
  const unsigned seed = (unsigned)env_int("HUB_CHAOS_SEED", 1);
  Hub a;
  REQUIRE(a.start("cluster-e2e-chaos"));
  // The harness's own instance steps aside: the two under test are started (and restarted) here.
  kill(a.server.pid, SIGTERM);
  waitpid(a.server.pid, nullptr, 0);
  a.server.pid = -1;
  Pair pair;
  for (int i = 0; i < 2; i++) {
    pair.hubs[i] = instance(a, "hub-" + std::to_string(i));
    REQUIRE(pair.hubs[i]);
    pair.ports[i] = pair.hubs[i]->server.port;
  }
  std::vector<Upload> uploads;
  for (int i = 0; i < n; i++) uploads.push_back(make_upload(a, 1000 + i));

  std::atomic<int> acked{0}, replayed{0}, failed{0}, unexpected{0}, retries{0};
  std::mutex acked_mu;
  std::set<std::string> acked_ids;
  std::vector<std::string> refusals;
  std::vector<std::thread> threads;
  for (int k = 0; k < kiosks; k++)
    threads.emplace_back([&, k] {
      int at = k % 2;  // a kiosk stays with its instance until it fails, then tries the other
      for (int i = k; i < n; i += kiosks) {
        const Upload& u = uploads[i];
        auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        for (;;) {
          Reply r = http("POST", "http://127.0.0.1:" + pair.port(at) + "/api/v1/requests", u.body, headers(a, u.id));
          if (r.code == CURLE_OK && (r.status == 201 || r.status == 200)) {
            std::lock_guard<std::mutex> lock(acked_mu);
            acked_ids.insert(u.id);
            acked++;
            replayed += r.status == 200;  // stored before, its answer lost with the instance
            pair.cv.notify_all();
            break;
          }
          if (r.code == CURLE_OK && r.status < 500) {  // a refusal a retry cannot change: a bug here
            std::lock_guard<std::mutex> lock(acked_mu);
            refusals.push_back(u.id + ": " + std::to_string(r.status) + " " + r.body);
            unexpected++;
            break;
          }
          if (std::chrono::steady_clock::now() > give_up) {
            failed++;
            break;
          }
          retries++;
          at = 1 - at;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));  // an outbox's pause between tries
        }
      }
    });

  // The chaos: after every stretch of acknowledgements (its length drawn from the seed), one
  // instance, drawn too, dies and comes back on a new port.
  std::mt19937 rng(seed);
  int kills = 0, restart_failures = 0;
  for (int next = n / 8; next < n - n / 16;) {
    {
      std::unique_lock<std::mutex> lock(acked_mu);
      if (!pair.cv.wait_for(lock, std::chrono::seconds(60), [&] { return acked >= next || failed + unexpected > 0; }))
        break;
      if (failed + unexpected > 0) break;
    }
    int victim = (int)(rng() % 2);
    kill9(pair.hubs[victim]->server);
    kills++;
    auto again = instance(a, "hub-" + std::to_string(victim) + "-" + std::to_string(kills));
    if (!again) {
      restart_failures++;
      break;
    }
    {
      std::lock_guard<std::mutex> lock(pair.mu);
      pair.hubs[victim] = std::move(again);
      pair.ports[victim] = pair.hubs[victim]->server.port;
    }
    next += n / 16 + (int)(rng() % (unsigned)(n / 8 + 1));
  }
  for (std::thread& t : threads) t.join();

  INFO("seed " << seed << ": " << n << " requests, " << kills << " kills, " << retries << " retries, " << replayed
                        << " acknowledged as stored before");
  CHECK(restart_failures == 0);
  for (const std::string& refusal : refusals) UNSCOPED_INFO("refused: " << refusal);
  CHECK(unexpected == 0);
  CHECK(failed == 0);
  CHECK(acked == n);
  CHECK(kills >= 3);
  // Stored exactly once: one row per id, every acknowledged id among them.
  CHECK(a.rows() == n);
  CHECK(pg_int(a, "SELECT count(*) FROM (SELECT id FROM requests GROUP BY id HAVING count(*) > 1) d") == 0);
  CHECK(pg_int(a, "SELECT count(DISTINCT ref) FROM requests") == n);
  std::set<std::string> stored = a.ids();
  int missing = 0;
  for (const std::string& id : acked_ids) missing += stored.count(id) == 0;
  CHECK(missing == 0);
  // Received at most once each in the audit log. The notifier's routing writes that row, on the
  // instance holding its job lock; after kills some stay unrouted until the next wake (not
  // asserted here: seen with HUB_CHAOS_REQUESTS=1000, without a notifications file).
  CHECK(pg_int(a, "SELECT count(*) FROM audit WHERE action = 'received'") <= n);
  CHECK(pg_int(a, "SELECT count(*) FROM (SELECT request_id FROM audit WHERE action = 'received' GROUP BY request_id "
                  "HAVING count(*) > 1) d") == 0);
}
