// Chaos across two real hub instances on one PostgreSQL database, behind Debian's nginx with
// the example site for several instances (hub/nginx/sportello-hub-cluster.conf, only addresses
// and paths changed): kiosks upload through nginx while one instance at a time is killed
// (kill -9) and restarted on its port; every request a kiosk saw acknowledged is stored exactly
// once, and a dead instance costs retries only (nginx's, on the other instance; a kiosk's own
// when nginx had none left to try). HUB_CHAOS_REQUESTS (default 200; ./dev bench runs 1,000) and
// HUB_CHAOS_SEED (default 1) make it longer or different.
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

// The two instances; one replaced (same port) when it restarts.
struct Pair {
  std::mutex mu;
  std::condition_variable cv;
  std::unique_ptr<Hub> hubs[2];
};

}  // namespace

TEST_CASE("cluster e2e chaos: kiosks upload through nginx while instances die (kill -9) and restart, and every ack is stored "
          "exactly once",
          "[e2e][hub][cluster][chaos]") {
  REQUIRE(sodium_init() >= 0);
  INFO("set SPORTELLO_TEST_POSTGRES (ctest -L postgres runs this with the fixture's server)");
  REQUIRE(!harness::test_postgres_server().empty());
  const int n = env_int("HUB_CHAOS_REQUESTS", 200), kiosks = 10;
  const unsigned seed = (unsigned)env_int("HUB_CHAOS_SEED", 1);
  if (!nginx_installed()) {
    WARN("nginx not installed (.ci/debian-packages lists it): skipped");
    return;
  }
  Hub a;
  REQUIRE(a.start("cluster-e2e-chaos"));
  stand_aside(a);
  Front front;
  std::string problem;
  bool up = front.start(2, &problem);
  INFO(problem);
  REQUIRE(up);
  Pair pair;
  for (int i = 0; i < 2; i++) {
    pair.hubs[i] = front.instance(a, i, "hub-" + std::to_string(i));
    REQUIRE(pair.hubs[i]);
  }
  std::vector<Upload> uploads;
  for (int i = 0; i < n; i++) uploads.push_back(make_upload(a, 1000 + i));

  std::atomic<int> acked{0}, replayed{0}, failed{0}, unexpected{0}, retries{0}, limited{0};
  std::mutex acked_mu;
  std::set<std::string> acked_ids;
  std::vector<std::string> refusals;
  std::vector<std::thread> threads;
  auto t0 = std::chrono::steady_clock::now();
  for (int k = 0; k < kiosks; k++)
    threads.emplace_back([&, k] {
      // Each kiosk from an address of its own, as nginx limits each address (20/s): one upload
      // at most every 100 ms.
      std::string from = "127.0.0." + std::to_string(11 + k);
      for (int i = k; i < n; i += kiosks) {
        const Upload& u = uploads[i];
        auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        auto next = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
        for (;;) {
          Reply r = http("POST", front.url("/api/v1/requests"), u.body, headers(a, u.id), front.ca(), "", from);
          if (r.code == CURLE_OK && (r.status == 201 || r.status == 200)) {
            std::lock_guard<std::mutex> lock(acked_mu);
            acked_ids.insert(u.id);
            acked++;
            replayed += r.status == 200;  // stored before, its answer lost with the instance
            pair.cv.notify_all();
            break;
          }
          if (r.code == CURLE_OK && r.status < 500 && r.status != 429) {  // a refusal a retry cannot change: a bug
            std::lock_guard<std::mutex> lock(acked_mu);
            refusals.push_back(u.id + ": " + std::to_string(r.status) + " " + r.body);
            unexpected++;
            break;
          }
          if (std::chrono::steady_clock::now() > give_up) {
            failed++;
            break;
          }
          (r.status == 429 ? limited : retries)++;
          std::this_thread::sleep_for(std::chrono::milliseconds(100));  // an outbox's pause between tries
        }
        std::this_thread::sleep_until(next);
      }
    });

  // The chaos: after every stretch of acknowledgements (its length drawn from the seed), one
  // instance, drawn too, dies and comes back on its port.
  std::mt19937 rng(seed);
  int kills = 0, kills_during = 0, restart_failures = 0;
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
    kills_during += acked < n;
    auto again = front.instance(a, victim, "hub-" + std::to_string(victim) + "-" + std::to_string(kills));
    if (!again) {
      restart_failures++;
      break;
    }
    {
      std::lock_guard<std::mutex> lock(pair.mu);
      pair.hubs[victim] = std::move(again);
    }
    next += n / 16 + (int)(rng() % (unsigned)(n / 8 + 1));
  }
  for (std::thread& t : threads) t.join();
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // nginx's own retries: an upload it sent to a second instance names both in its log line.
  int nginx_retried = 0;
  std::vector<std::string> posts = front.logged("POST /api/v1/requests");
  for (const std::string& line : posts) nginx_retried += upstream_of(line).find(',') != std::string::npos;
  INFO("seed " << seed << ": " << n << " requests in " << took << " s, " << kills << " kills (" << kills_during
                << " while kiosks uploaded), " << nginx_retried << " uploads retried by nginx, " << retries
                << " retries by kiosks, " << limited << " answered 429, " << replayed
                << " acknowledged as stored before");
  WARN("chaos through nginx, seed " << seed << ": " << n << " requests in " << took << " s, " << kills << " kills ("
                                    << kills_during << " during uploads), nginx retried " << nginx_retried
                                    << ", kiosks retried " << retries << ", 429: " << limited << ", replayed "
                                    << replayed);
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
  // Routed once each, soon, by whichever instance holds the notifier's job lock now, those stored
  // while the holder was dead included: the routing writes each request's "received" audit row.
  // (No notifications file: no mail would keep the notifier busy, so only routing drives it.)
  auto routed = [&] { return pg_int(a, "SELECT count(*) FROM audit WHERE action = 'received'"); };
  CHECK(wait_until([&] { return routed() == n; }, 15));
  CHECK(routed() == n);
  CHECK(pg_int(a, "SELECT count(*) FROM (SELECT request_id FROM audit WHERE action = 'received' GROUP BY request_id "
                  "HAVING count(*) > 1) d") == 0);
}
