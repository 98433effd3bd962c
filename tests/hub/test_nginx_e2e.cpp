// The production shape: a real nginx with hub/nginx/sportello-hub.conf (paths and ports put into a
// temporary directory) in front of the real hub on loopback. A kiosk request goes through, an
// oversized body is refused by nginx, the hub sees the client's address through X-Forwarded-For
// only from nginx, and nginx's TLS offers nothing below the policy.
#include "nginx_util.h"

#include <catch2/catch.hpp>

namespace {

using namespace hub_test;

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) n++;
  return n;
}

}  // namespace

TEST_CASE("nginx in front: TLS policy, body limits, the client address through X-Forwarded-For", "[e2e][hub][nginx]") {
  if (!nginx_installed()) {
    WARN("nginx not installed (.ci/debian-packages lists it): skipped");
    return;
  }
  harness::Hub hub;
  REQUIRE(hub.start("nginx-hub", {"--trust-proxy", "127.0.0.1"}));
  std::string dir = harness::temp_dir("nginx");
  REQUIRE(make_test_certificate(dir));
  std::string site = harness::read_file(SPORTELLO_SOURCE_DIR "/hub/nginx/sportello-hub.conf");
  std::string https = free_port(), http = free_port();
  REQUIRE(replace_all(&site, "server 127.0.0.1:8080;", "server 127.0.0.1:" + hub.server.port + ";"));
  REQUIRE(replace_all(&site, "listen 80;", "listen 127.0.0.1:" + http + ";"));
  REQUIRE(replace_all(&site, "listen [::]:80;", ""));
  REQUIRE(replace_all(&site, "listen 443 ssl;", "listen 127.0.0.1:" + https + " ssl;"));
  REQUIRE(replace_all(&site, "listen [::]:443 ssl;", ""));
  REQUIRE(replace_all(&site, "/etc/sportello-hub/cert.pem", dir + "/cert.pem"));
  REQUIRE(replace_all(&site, "/etc/sportello-hub/key.pem", dir + "/key.pem"));
  REQUIRE(replace_all(&site, "/etc/nginx/snippets/sportello-hub-common.conf",
                      SPORTELLO_SOURCE_DIR "/hub/nginx/sportello-hub-common.conf"));
  Nginx nginx;
  nginx.configure(dir, site);
  bool up = nginx.start(https);
  INFO(harness::read_file(dir + "/error.log"));
  REQUIRE(up);

  std::string base = "https://127.0.0.1:" + https;
  auto curl = [&](std::vector<std::string> args) {
    std::vector<std::string> all = {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", dir + "/cert.pem",
                                    "--interface", "127.0.0.2"};  // the "client" is another loopback address
    all.insert(all.end(), args.begin(), args.end());
    return harness::capture(all);
  };
  std::string auth = "Authorization: Bearer " + hub.token;
  // A kiosk's heartbeat goes through, and the hub logs the client's address from nginx.
  CHECK(curl({"-H", auth, "-H", "Content-Type: application/json", "-H", "X-Forwarded-For: 203.0.113.9", "--data",
              "{\"kiosk\":\"GR-01\"}", base + "/api/v1/heartbeat"}) == "204");
  std::string log = harness::read_file(hub.dir + "/hub.log");
  for (int i = 0; i < 100 && log.find("/api/v1/heartbeat 204") == std::string::npos; i++, usleep(50000))
    log = harness::read_file(hub.dir + "/hub.log");
  CHECK(log.find("POST /api/v1/heartbeat 204 client=127.0.0.2") != std::string::npos);
  CHECK(log.find("203.0.113.9") == std::string::npos);  // nginx replaced what the client claimed

  // An oversized kiosk body: nginx answers 413, the hub never sees it.
  CHECK(curl({"-H", auth, "-H", "Content-Type: application/json", "--data", std::string(20000, 'x'),
              base + "/api/v1/heartbeat"}) == "413");
  // Straight to the hub from another address, a forged X-Forwarded-For is not believed.
  CHECK(harness::capture({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--interface", "127.0.0.2", "-H",
                          "X-Forwarded-For: 203.0.113.9", hub.url("/api/v1/nothing")}) == "404");
  for (int i = 0; i < 100 && log.find("/api/v1/nothing") == std::string::npos; i++, usleep(50000))
    log = harness::read_file(hub.dir + "/hub.log");
  CHECK(log.find("GET /api/v1/nothing 404 client=127.0.0.2") != std::string::npos);
  CHECK(log.find("203.0.113.9") == std::string::npos);
  CHECK(count(log, "POST /api/v1/heartbeat") == 1);

  // TLS policy and HSTS.
  auto handshake = [&](const std::string& options) {
    return system(("echo | timeout 10 openssl s_client -connect 127.0.0.1:" + https + " " + options + " > " + dir +
                   "/s_client.txt 2>&1").c_str()) == 0;
  };
  CHECK_FALSE(handshake("-tls1_1 -cipher DEFAULT@SECLEVEL=0"));
  CHECK_FALSE(handshake("-tls1_2 -cipher AES128-SHA"));
  CHECK_FALSE(handshake("-tls1_2 -cipher ECDHE-RSA-AES128-SHA256"));
  CHECK(handshake("-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256"));
  std::string headers = harness::capture({"curl", "-s", "-D", "-", "-o", "/dev/null", "--cacert", dir + "/cert.pem",
                                          base + "/console/login"});
  CHECK(headers.find("Strict-Transport-Security: max-age=31536000") != std::string::npos);
}
