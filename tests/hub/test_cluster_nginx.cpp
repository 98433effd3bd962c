// The example nginx site for several hub instances (hub/nginx/sportello-hub-cluster.conf), with
// the policy it shares with the single-hub site (sportello-hub-common.conf): Debian's nginx
// accepts it (nginx -t, unprivileged, in a temporary prefix), and runs it: release targets come
// from the shared directory with nginx's ranges, and nothing but a target's name is served there.
#include "nginx_util.h"

#include <catch2/catch.hpp>

using namespace hub_test;

TEST_CASE("cluster nginx: the example site passes nginx -t and serves targets from the shared directory",
          "[e2e][hub][nginx]") {
  if (!nginx_installed()) {
    WARN("nginx not installed (.ci/debian-packages lists it): skipped");
    return;
  }
  std::string dir = harness::temp_dir("nginx-cluster");
  REQUIRE(make_test_certificate(dir));
  REQUIRE(make_certificate(dir, "instance-", "sportello-hub-instance", "DNS:sportello-hub-instance"));
  REQUIRE(system(("mkdir -p " + dir + "/targets").c_str()) == 0);
  std::string https = free_port(), http = free_port(), missing;
  // Three instances that do not run: the targets never reach them.
  std::string site = cluster_site(dir, https, http, {free_port(), free_port(), free_port()}, &missing);
  INFO("the example lost: " << missing);
  REQUIRE(!site.empty());
  Nginx nginx;
  nginx.configure(dir, site);
  bool accepted = nginx.check(), up = accepted && nginx.start(https);
  INFO(harness::read_file(dir + "/error.log"));
  REQUIRE(accepted);
  REQUIRE(up);

  std::string name(64, 'a');
  harness::write_file(dir + "/targets/" + name, "0123456789");
  std::string base = "https://127.0.0.1:" + https + "/api/v1/content/targets/";
  auto curl = [&](std::vector<std::string> args) {
    std::vector<std::string> all = {"curl", "-s", "--cacert", dir + "/cert.pem", "-w", " %{http_code}"};
    all.insert(all.end(), args.begin(), args.end());
    return harness::capture(all);
  };
  CHECK(curl({base + name}) == "0123456789 200");
  CHECK(curl({"-H", "Range: bytes=4-", base + name}) == "456789 206");  // a resumed download
  CHECK(curl({base + std::string(64, 'b')}) == "{\"error\":\"no_target\"} 404");
  CHECK(curl({base + name + ".pem"}) == "{\"error\":\"invalid_target_name\"} 400");
  // A way out of the directory is normalised by nginx out of this location (to an instance).
  std::string out = curl({base + "..%2F..%2F..%2Fkey.pem"});
  CHECK(out.find("PRIVATE KEY") == std::string::npos);
  CHECK(out.substr(out.size() - 4) != " 200");
  CHECK(curl({base + std::string(64, 'A')}) == "{\"error\":\"invalid_target_name\"} 400");
  CHECK(curl({"-o", "/dev/null", "-X", "DELETE", base + name}) == " 403");
  // The shared policy is in force: HSTS on every answer, and nothing below TLS 1.2.
  std::string head = harness::capture({"curl", "-s", "-I", "--cacert", dir + "/cert.pem", base + name});
  CHECK(head.find("Strict-Transport-Security: max-age=31536000") != std::string::npos);
  CHECK(curl({"-o", "/dev/null", "--tlsv1.1", "--tls-max", "1.1", base + name}) == " 000");
  // The instances do not run: a console call fails over to none of them and says so.
  CHECK(curl({"-o", "/dev/null", "https://127.0.0.1:" + https + "/console/login"}) == " 502");
}
