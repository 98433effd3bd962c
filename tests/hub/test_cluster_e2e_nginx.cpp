// Two real hub instances behind Debian's nginx with the example site for several instances
// (hub/nginx/sportello-hub-cluster.conf, only its addresses and paths changed): a console whose
// event stream nginx passes to one instance hears, within 2 s, of requests nginx sent to the
// other; two mediators whose claims nginx sends to the two instances race, and one wins. Which
// instance served what is read from nginx's own access log.
#include "cluster_e2e_util.h"

#include <catch2/catch.hpp>

#include <chrono>

namespace {

using namespace hub_test;

// Hub a on a fresh PostgreSQL database, stepped aside; two instances of it behind nginx.
struct Cluster {
  Hub a;
  Front front;
  std::unique_ptr<Hub> hubs[2];
};

void start(Cluster& c, const std::string& name) {
  REQUIRE(sodium_init() >= 0);
  INFO("set SPORTELLO_TEST_POSTGRES (ctest -L postgres runs these with the fixture's server)");
  REQUIRE(!harness::test_postgres_server().empty());
  REQUIRE(c.a.start(name));
  stand_aside(c.a);
  std::string problem;
  bool up = c.front.start(2, &problem);
  INFO(problem);
  REQUIRE(up);
  for (int i = 0; i < 2; i++) {
    c.hubs[i] = c.front.instance(c.a, i, "hub-" + std::to_string(i));
    REQUIRE(c.hubs[i]);
  }
}

}  // namespace

TEST_CASE("cluster e2e nginx: a console through nginx hears within 2 s of uploads nginx sent to the other instance",
          "[e2e][hub][cluster][nginx]") {
  if (!nginx_installed()) {
    WARN("nginx not installed (.ci/debian-packages lists it): skipped");
    return;
  }
  Cluster c;
  start(c, "cluster-nginx-live");
  // Both bridges listen before the uploads: this test is about the relay, not the re-fetch.
  REQUIRE(wait_until([&] { return bridges_listening(c.a) == 2; }, 15));
  std::string anna = c.front.login("anna");
  REQUIRE(!anna.empty());

  auto stream = std::make_unique<CurlStream>();
  stream->open(c.front.url("/console/events"), {"Cookie: " + anna}, c.front.ca());
  REQUIRE(stream->wait_head() == 200);
  // nginx's round robin sends consecutive uploads to both instances: the stream's and the other.
  const int uploads = 4;
  std::vector<std::string> ids;
  for (int i = 0; i < uploads; i++) {
    Upload u = make_upload(c.a, 10 + i);
    auto t0 = std::chrono::steady_clock::now();
    REQUIRE(http("POST", c.front.url("/api/v1/requests"), u.body, headers(c.a, u.id), c.front.ca()).status == 201);
    CHECK(stream->wait_for("\"id\":\"" + u.id + "\",\"state\":\"received\"", 2000));
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO("upload " << i << " to its event on the console's stream: " << took << " s");
    CHECK(took < 2.0);
    ids.push_back(u.id);
  }
  CHECK(stream->text().find("GR1-") == std::string::npos);  // only ids and states, through nginx too
  // nginx logs the stream when it ends: then it names the instance that served it.
  stream.reset();
  REQUIRE(wait_until([&] { return !c.front.logged("GET /console/events").empty(); }, 10));
  std::string console_at = upstream_of(c.front.logged("GET /console/events")[0]);
  std::vector<std::string> posts = c.front.logged("POST /api/v1/requests");
  REQUIRE(posts.size() == (size_t)uploads);
  int elsewhere = 0;
  for (const std::string& line : posts) elsewhere += upstream_of(line) != console_at;
  INFO("the console's instance: " << console_at);
  CHECK(elsewhere >= 1);
  CHECK(elsewhere < uploads);  // and some on its own instance, which it hears of directly
}

TEST_CASE("cluster e2e nginx: two mediators claim one request through nginx on two instances, and exactly one wins",
          "[e2e][hub][cluster][nginx]") {
  if (!nginx_installed()) {
    WARN("nginx not installed (.ci/debian-packages lists it): skipped");
    return;
  }
  Cluster c;
  start(c, "cluster-nginx-claim");
  std::string anna = c.front.login("anna"), bruno = c.front.login("bruno");
  REQUIRE(!anna.empty());
  REQUIRE(!bruno.empty());
  // Few rounds: each is five requests from one address, which nginx limits (20/s, bursts of 40).
  const int rounds = 5;
  int split = 0;
  for (int round = 0; round < rounds; round++) {
    Upload u = make_upload(c.a, 100 + round);
    REQUIRE(http("POST", c.front.url("/api/v1/requests"), u.body, headers(c.a, u.id), c.front.ca()).status == 201);
    auto [ao, bo] = claim_race(u.id, c.front.url(), anna, c.front.url(), bruno, c.front.ca());
    INFO("round " << round << ": anna " << ao << ", bruno " << bo);
    REQUIRE(((ao == "claimed" && bo == "taken") || (ao == "taken" && bo == "claimed")));
    CHECK(one_claim_recorded(c.a, u.id, ao == "claimed" ? "anna" : "bruno", ao == "claimed" ? "bruno" : "anna"));
    std::vector<std::string> claims = c.front.logged("POST /console/request/" + u.id + "/claim");
    REQUIRE(claims.size() == 2);
    split += upstream_of(claims[0]) != upstream_of(claims[1]);
  }
  // Two claims released together are nginx's next two picks: one per instance.
  CHECK(split == rounds);
}
