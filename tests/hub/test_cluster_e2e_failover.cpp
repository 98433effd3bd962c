// Failover under the real hub: two hub instances on a PostgreSQL primary with a synchronous
// standby (pg_basebackup), reached through one multi-host URL with target_session_attrs=read-write.
// Kiosks upload; the primary dies (kill -9) and the standby is promoted; the instances carry on
// through the same URL, and every request a kiosk saw acknowledged is on the new primary once.
#include "cluster_e2e_util.h"
#include "postgres.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace hub_test;

TEST_CASE("cluster e2e failover: the primary dies while kiosks upload, and every acknowledged request is on the promoted standby once",
          "[e2e][hub][cluster][failover]") {
  REQUIRE(sodium_init() >= 0);
  harness::Postgres primary, standby;
  REQUIRE(primary.start("failover-primary"));
  REQUIRE(standby.start_standby("failover-standby", primary, "standby1"));
  REQUIRE(primary.require_synchronous("standby1"));  // a commit now returns once the standby has it

  // The harness provisions its hub on this primary (its server file names it), then steps aside
  // for two instances on the multi-host URL.
  std::string server_file = harness::temp_dir("failover-server") + "/url";
  harness::write_file(server_file, "postgresql://postgres@127.0.0.1:" + primary.port + "\n");
  setenv("SPORTELLO_TEST_POSTGRES", server_file.c_str(), 1);
  Hub a;
  REQUIRE(a.start("cluster-e2e-failover"));
  kill(a.server.pid, SIGTERM);
  waitpid(a.server.pid, nullptr, 0);
  a.server.pid = -1;
  std::string db = a.database.substr(a.database.rfind('/') + 1);
  a.database = "postgresql://postgres@127.0.0.1:" + primary.port + ",127.0.0.1:" + standby.port + "/" + db +
               "?target_session_attrs=read-write";
  std::unique_ptr<Hub> hubs[2] = {instance(a, "hub-0"), instance(a, "hub-1")};
  REQUIRE((hubs[0] && hubs[1]));

  const int n = 120, kiosks = 4;
  std::vector<Upload> uploads;
  for (int i = 0; i < n; i++) uploads.push_back(make_upload(a, 5000 + i));
  std::mutex mu;
  std::condition_variable cv;
  std::set<std::string> acked_ids;
  std::vector<std::string> refusals;
  std::atomic<int> acked{0}, failed{0}, refused{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < kiosks; k++)
    threads.emplace_back([&, k] {
      int at = k % 2;
      for (int i = k; i < n; i += kiosks) {
        auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        for (;;) {
          Reply r = http("POST", hubs[at]->url("/api/v1/requests"), uploads[i].body, headers(a, uploads[i].id));
          if (r.code == CURLE_OK && (r.status == 201 || r.status == 200)) {
            std::lock_guard<std::mutex> lock(mu);
            acked_ids.insert(uploads[i].id);
            acked++;
            cv.notify_all();
            break;
          }
          if (r.code == CURLE_OK && r.status < 500 && r.status != 429) {
            std::lock_guard<std::mutex> lock(mu);
            refusals.push_back(std::to_string(r.status) + " " + r.body);
            refused++;
            break;
          }
          if (std::chrono::steady_clock::now() > give_up) {
            failed++;
            break;
          }
          at = 1 - at;
          std::this_thread::sleep_for(std::chrono::milliseconds(50));  // an outbox's pause between tries
        }
      }
    });
  {
    std::unique_lock<std::mutex> lock(mu);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return acked >= n / 3; }));
  }
  primary.kill9();
  REQUIRE(standby.promote());
  for (std::thread& t : threads) t.join();

  for (const std::string& refusal : refusals) UNSCOPED_INFO("refused: " << refusal);
  CHECK(refused == 0);
  CHECK(failed == 0);
  CHECK(acked == n);
  // The URL now reaches the promoted standby: one row per request, every acknowledged one there.
  CHECK(a.rows() == n);
  CHECK(pg_int(a, "SELECT count(DISTINCT id) FROM requests") == n);
  std::set<std::string> stored = a.ids();
  int missing = 0;
  for (const std::string& id : acked_ids) missing += stored.count(id) == 0;
  CHECK(missing == 0);
  std::string recovering;
  REQUIRE(standby.psql("SELECT pg_is_in_recovery()", &recovering));
  CHECK(recovering == "f");
}
