// The real sportello-hub on loopback: bad input stores nothing, retries are idempotent, TLS is
// verified, and personal data is readable only in the console's detail page.
#include "api_util.h"
#include "harness.h"

#include <catch2/catch.hpp>
#include <curl/curl.h>
#include <sodium.h>

#include <filesystem>
#include <memory>

namespace {

using namespace hub_test;

const char* kId = "4b5c6d7e-8f9a-4b1c-9d2e-3f4a5b6c7d8e";

}  // namespace

TEST_CASE("bad input gets a 4xx and stores nothing, retries are idempotent", "[e2e][hub]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  REQUIRE(hub.start("api"));
  std::string url = hub.url("/api/v1/requests");
  std::string good = body_for(hub, kId, "GR1-BCDF", "{\"name\":\"\",\"phone\":\"3330000000\"}");

  CHECK(http("POST", url, good, {"Idempotency-Key: x", "Content-Type: application/json"}).status == 401);
  CHECK(http("POST", url, good, {"Authorization: Bearer nope", "Content-Type: application/json"}).status == 401);
  CHECK(http("POST", url, std::string(20000, 'x'), headers(hub, kId)).status == 413);
  CHECK(http("POST", url, good, headers(hub, kId, "text/plain")).status == 415);
  CHECK(http("POST", url, "{\"id\":", headers(hub, kId)).status == 400);
  CHECK(http("POST", url, "{\"id\":\"\xff\xfe\"}", headers(hub, kId)).status == 400);
  CHECK(http("POST", url, "{\"id\":\"" + std::string(kId) + "\"}", headers(hub, kId)).status == 400);
  CHECK(http("POST", url, "[1,2,3]", headers(hub, kId)).status == 400);
  const char* upper = "4B5C6D7E-8F9A-4B1C-9D2E-3F4A5B6C7D8E";
  CHECK(http("POST", url, body_for(hub, upper, "GR1-BCDF", "{}"), headers(hub, upper)).status == 400);
  CHECK(http("POST", url, body_for(hub, kId, "gr1-bcdf", "{}"), headers(hub, kId)).status == 400);
  CHECK(http("POST", url, good, headers(hub, "6b5c6d7e-8f9a-4b1c-9d2e-3f4a5b6c7d8e")).status == 400);
  std::string other_kiosk = body_for(hub, kId, "GR1-BCDF", "{}", "GR-99");
  CHECK(http("POST", url, other_kiosk, headers(hub, kId)).status == 403);
  std::string short_sealed = good;
  short_sealed.replace(short_sealed.find("\"sealed\":\"") + 10, 0, "");
  CHECK(http("POST", url, "{\"id\":\"" + std::string(kId) +
                              "\",\"ref\":\"GR1-BCDF\",\"kiosk\":\"GR-01\",\"created_at\":\"x\",\"lang\":\"ar\","
                              "\"topic\":\"health\",\"contact\":\"phone\",\"sealed\":\"AAAA\"}",
            headers(hub, kId)).status == 400);
  CHECK(hub.rows() == 0);

  Reply first = http("POST", url, good, headers(hub, kId));
  CHECK(first.status == 201);
  CHECK(first.body.find(std::string("\"id\":\"") + kId + "\"") != std::string::npos);
  CHECK(http("POST", url, good, headers(hub, kId)).status == 200);
  std::string changed = body_for(hub, kId, "GR1-BCDF", "{\"name\":\"other\",\"phone\":\"1\"}");
  Reply conflict = http("POST", url, changed, headers(hub, kId));
  CHECK(conflict.status == 409);
  CHECK(conflict.body.find("idempotency_conflict") != std::string::npos);
  CHECK(hub.rows() == 1);

  Reply status = http("GET", hub.url("/api/v1/requests/status?ref=GR1-BCDF"), "", {"Authorization: Bearer " + hub.token});
  CHECK(status.status == 200);
  CHECK(status.body.find("\"received\"") != std::string::npos);
  CHECK(http("GET", hub.url("/api/v1/requests/status?ref=GR1-ZZZZ"), "", {"Authorization: Bearer " + hub.token}).status == 404);
  CHECK(http("POST", hub.url("/api/v1/heartbeat"), "{\"kiosk\":\"GR-01\",\"queue_depth\":3}",
             {"Authorization: Bearer " + hub.token, "Content-Type: application/json"}).status == 204);
}

TEST_CASE("the canary is readable only in the console, after login", "[e2e][hub]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  REQUIRE(hub.start("canary"));
  const std::string name = "Qqcanary Zzname", phone = "3998877665";
  std::string body = body_for(hub, kId, "GR1-CDFG", "{\"name\":\"" + name + "\",\"phone\":\"" + phone + "\"}");
  REQUIRE(http("POST", hub.url("/api/v1/requests"), body, headers(hub, kId)).status == 201);

  std::string cookies = hub.dir + "/cookies.txt";
  Reply anonymous = http("GET", hub.url("/console/request/") + kId, "", {}, "", cookies);
  CHECK(anonymous.body.find(name) == std::string::npos);
  CHECK(http("POST", hub.url("/console/login"), "user=anna&password=wrong", {}, "", cookies).status == 401);
  Reply login = http("POST", hub.url("/console/login"), "user=anna&password=password-anna", {}, "", cookies);
  CHECK(login.status == 302);
  Reply queue = http("GET", hub.url("/console/"), "", {}, "", cookies);
  CHECK(queue.status == 200);
  CHECK(queue.body.find("GR1-CDFG") != std::string::npos);
  CHECK(queue.body.find(name) == std::string::npos);   // the list never shows personal data
  // Before the claim nobody sees name and phone; after it, the mediator who claimed does.
  Reply unclaimed = http("GET", hub.url("/console/request/") + kId, "", {}, "", cookies);
  CHECK(unclaimed.status == 200);
  CHECK(unclaimed.body.find(name) == std::string::npos);
  CHECK(unclaimed.body.find(phone) == std::string::npos);
  REQUIRE(console_claim(hub, cookies, kId));
  Reply detail = http("GET", hub.url("/console/request/") + kId, "", {}, "", cookies);
  CHECK(detail.body.find(name) != std::string::npos);
  CHECK(detail.body.find(phone) != std::string::npos);

  for (const auto& f : std::filesystem::recursive_directory_iterator(hub.data)) {
    if (!f.is_regular_file()) continue;
    std::string bytes = harness::read_file(f.path());
    CHECK(bytes.find(name) == std::string::npos);
    CHECK(bytes.find(phone) == std::string::npos);
  }
}

TEST_CASE("over TLS the hub's certificate is verified, and a wrong CA is refused", "[e2e][hub]") {
  REQUIRE(sodium_init() >= 0);
  std::string dir = harness::temp_dir("tls");
  std::string make = "cd " + dir + " && "
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout hub.key.pem -out hub.crt 2>/dev/null && "
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=rogue "
      "-keyout rogue.key -out rogue.crt 2>/dev/null";
  REQUIRE(system(make.c_str()) == 0);
  Hub hub;
  hub.scheme = "https";
  REQUIRE(hub.start("tls-hub", {"--tls-cert", dir + "/hub.crt", "--tls-key", dir + "/hub.key.pem"}));
  std::string good = body_for(hub, kId, "GR1-DFGH", "{}");
  Reply ok = http("POST", hub.url("/api/v1/requests"), good, headers(hub, kId), dir + "/hub.crt");
  CHECK(ok.code == CURLE_OK);
  CHECK(ok.status == 201);
  Reply rogue = http("POST", hub.url("/api/v1/requests"), good, headers(hub, kId), dir + "/rogue.crt");
  CHECK(rogue.code == CURLE_PEER_FAILED_VERIFICATION);
  CHECK(hub.rows() == 1);
}

TEST_CASE("mediators claim through the console in headless Chromium, never twice", "[e2e][hub][chromium]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  REQUIRE(hub.start("chromium"));
  const char* id2 = "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f";
  REQUIRE(http("POST", hub.url("/api/v1/requests"), body_for(hub, kId, "GR1-FGHJ", "{}"), headers(hub, kId)).status == 201);
  // Name and phone, as every kiosk seals them (PROTOCOL.md): the store opens nothing else, so a
  // payload without a phone would show its claimant "non leggibili" instead of the name.
  const char* person2 = "{\"name\":\"Qqback Zzname\",\"phone\":\"3330001122\"}";
  REQUIRE(http("POST", hub.url("/api/v1/requests"), body_for(hub, id2, "GR1-GHJK", person2), headers(hub, id2)).status ==
          201);
  std::string cmd = "/usr/bin/python3 " SPORTELLO_SOURCE_DIR "/tests/hub/console_claim.py --url " + hub.url("") +
                    " --ref1 GR1-FGHJ --ref2 GR1-GHJK --name Qqback --out " + hub.dir + " > " + hub.dir +
                    "/chromium.log 2>&1";
  int rc = system(cmd.c_str());
  INFO(harness::read_file(hub.dir + "/chromium.log"));
  REQUIRE(rc == 0);
  CHECK(std::filesystem::file_size(hub.dir + "/queue.png") > 5000);
  Reply s1 = http("GET", hub.url("/api/v1/requests/status?ref=GR1-FGHJ"), "", {"Authorization: Bearer " + hub.token});
  Reply s2 = http("GET", hub.url("/api/v1/requests/status?ref=GR1-GHJK"), "", {"Authorization: Bearer " + hub.token});
  CHECK(s1.body.find("\"done\"") != std::string::npos);
  CHECK(s2.body.find("\"in_progress\"") != std::string::npos);
}
