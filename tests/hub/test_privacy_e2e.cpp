// The real sportello-hub on loopback, privacy by default and a kiosk's reach: name and phone only
// for the mediator who claimed the request, never when the audit log cannot record the view,
// never past retention or an erasure; a kiosk's token stores only its own references, each once,
// within its limits, and hears only about its own; every input is strict.
#include "api_util.h"
#include "harness.h"

#include <catch2/catch.hpp>
#include <sodium.h>

namespace {

using namespace hub_test;

const char* kId1 = "1b5c6d7e-8f9a-4b1c-9d2e-3f4a5b6c7d8e";
const char* kId2 = "2b5c6d7e-8f9a-4b1c-9d2e-3f4a5b6c7d8e";
const char* kId3 = "3b5c6d7e-8f9a-4b1c-9d2e-3f4a5b6c7d8e";
const std::string kName = "Qqprivate Zzname", kPhone = "3991122334";
const std::string kPerson = "{\"name\":\"" + kName + "\",\"phone\":\"" + kPhone + "\"}";

Reply post(const Hub& hub, const std::string& id, const std::string& body, const std::string& token = "") {
  std::vector<std::string> h = headers(hub, id);
  if (!token.empty()) h[0] = "Authorization: Bearer " + token;
  return http("POST", hub.url("/api/v1/requests"), body, h);
}

Reply status_of(const Hub& hub, const std::string& ref, const std::string& token) {
  return http("GET", hub.url("/api/v1/requests/status?ref=" + ref), "", {"Authorization: Bearer " + token});
}

Reply heartbeat(const Hub& hub, const std::string& body) {
  return http("POST", hub.url("/api/v1/heartbeat"), body, {"Authorization: Bearer " + hub.token, "Content-Type: application/json"});
}

// A request body with one field replaced by raw JSON text.
std::string with_field(const Hub& hub, const std::string& id, const std::string& field, const std::string& json) {
  nlohmann::json j = nlohmann::json::parse(body_for(hub, id, "GR1-BCDF", "{}"));
  j[field] = nlohmann::json::parse(json);
  return j.dump();
}

int64_t audit_rows(const Hub& hub, const std::string& where) { return hub.count("SELECT count(*) FROM audit WHERE " + where); }

}  // namespace

TEST_CASE("name and phone are shown only to the mediator who claimed the request", "[e2e][hub]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  REQUIRE(hub.start("privacy-claim"));
  REQUIRE(post(hub, kId1, body_for(hub, kId1, "GR1-BCDF", kPerson)).status == 201);
  std::string anna = hub.dir + "/anna.txt", bruno = hub.dir + "/bruno.txt";
  REQUIRE(console_login(hub, anna, "anna"));
  REQUIRE(console_login(hub, bruno, "bruno"));
  for (const std::string& jar : {anna, bruno}) {
    Reply page = http("GET", hub.url("/console/request/") + kId1, "", {}, "", jar);
    CHECK(page.status == 200);
    CHECK(page.body.find(kName) == std::string::npos);
    CHECK(page.body.find(kPhone) == std::string::npos);
  }
  REQUIRE(console_claim(hub, anna, kId1));
  CHECK(status_of(hub, "GR1-BCDF", hub.token).body.find("in_progress") != std::string::npos);
  Reply theirs = http("GET", hub.url("/console/request/") + kId1, "", {}, "", bruno);
  CHECK(theirs.body.find(kName) == std::string::npos);
  CHECK(theirs.body.find(kPhone) == std::string::npos);
  CHECK(audit_rows(hub, "action = 'view_personal'") == 0);
  Reply mine = http("GET", hub.url("/console/request/") + kId1, "", {}, "", anna);
  CHECK(mine.body.find(kName) != std::string::npos);
  CHECK(mine.body.find(kPhone) != std::string::npos);
  CHECK(audit_rows(hub, "action = 'view_personal' AND user = 'anna' AND role = 'mediator' AND client = '127.0.0.1'"
                        " AND request_id = '" + std::string(kId1) + "'") == 1);
  // Closed, the request's page shows them to nobody.
  Reply close = http("POST", hub.url("/console/request/") + kId1 + "/done", "csrf=" + csrf_of(mine.body), {}, "", anna);
  CHECK(close.status == 302);
  CHECK(http("GET", hub.url("/console/request/") + kId1, "", {}, "", anna).body.find(kName) == std::string::npos);
}

TEST_CASE("when the audit log cannot record the view, name and phone are not shown", "[e2e][hub]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  REQUIRE(hub.start("privacy-auditfail"));
  REQUIRE(post(hub, kId1, body_for(hub, kId1, "GR1-BCDF", kPerson)).status == 201);
  std::string anna = hub.dir + "/anna.txt";
  REQUIRE(console_login(hub, anna, "anna"));
  REQUIRE(console_claim(hub, anna, kId1));
  // The audit table refuses every new row (a full disk, a broken file: the hub cannot tell).
  hub.sql("CREATE TRIGGER audit_broken BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'broken'); END");
  Reply page = http("GET", hub.url("/console/request/") + kId1, "", {}, "", anna);
  CHECK(page.status == 503);
  CHECK(page.body.find("non scrivibile") != std::string::npos);
  CHECK(page.body.find(kName) == std::string::npos);
  CHECK(page.body.find(kPhone) == std::string::npos);
  hub.sql("DROP TRIGGER audit_broken");
  CHECK(http("GET", hub.url("/console/request/") + kId1, "", {}, "", anna).body.find(kName) != std::string::npos);
}

TEST_CASE("past retention or after an erasure the data is gone and the reference answers expired", "[e2e][hub]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  REQUIRE(hub.start("privacy-expired", {"--retention-days", "30"}));
  // Created 31 days ago (a kiosk that was offline for a month): expired on arrival.
  REQUIRE(post(hub, kId1, body_for(hub, kId1, "GR1-BCDF", kPerson, "GR-01", 31 * 86400)).status == 201);
  REQUIRE(post(hub, kId2, body_for(hub, kId2, "GR1-CDFG", kPerson, "GR-01", 29 * 86400)).status == 201);
  Reply expired = status_of(hub, "GR1-BCDF", hub.token);
  CHECK(expired.status == 200);
  CHECK(expired.body.find("\"expired\"") != std::string::npos);
  CHECK(status_of(hub, "GR1-CDFG", hub.token).body.find("\"received\"") != std::string::npos);
  std::string anna = hub.dir + "/anna.txt";
  REQUIRE(console_login(hub, anna, "anna"));
  REQUIRE(console_claim(hub, anna, kId1));
  CHECK(http("GET", hub.url("/console/request/") + kId1, "", {}, "", anna).body.find(kName) == std::string::npos);

  // An erasure request, by the visitor's code.
  std::string erased = harness::capture({SPORTELLO_HUB_BIN, "erase", "--data", hub.data, "--ref", "GR1-CDFG"});
  CHECK(erased.find("erased") != std::string::npos);
  CHECK(status_of(hub, "GR1-CDFG", hub.token).body.find("\"expired\"") != std::string::npos);
  REQUIRE(console_claim(hub, anna, kId2));
  CHECK(http("GET", hub.url("/console/request/") + kId2, "", {}, "", anna).body.find(kName) == std::string::npos);
  CHECK(audit_rows(hub, "action = 'erase' AND request_id = '" + std::string(kId2) + "'") == 1);
  CHECK(harness::capture({SPORTELLO_HUB_BIN, "erase", "--data", hub.data, "--ref", "GR1-ZZZZ"}).empty());
}

TEST_CASE("a kiosk's token reaches only its own references, each once, within its limits", "[e2e][hub]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  hub.kiosk_per_minute = 2;
  REQUIRE(hub.start("reach"));
  std::string gr2 = hub.add_kiosk("GR-02");
  REQUIRE(!gr2.empty());
  Reply foreign = post(hub, kId1, body_for(hub, kId1, "GR2-AAAA", "{}"));
  CHECK(foreign.status == 403);
  CHECK(foreign.body.find("ref_prefix_mismatch") != std::string::npos);
  CHECK(post(hub, kId1, body_for(hub, kId1, "GR11-AAAA", "{}")).status == 403);  // a longer prefix is another one
  CHECK(hub.rows() == 0);

  REQUIRE(post(hub, kId1, body_for(hub, kId1, "GR1-BCDF", "{}")).status == 201);
  Reply twice = post(hub, kId2, body_for(hub, kId2, "GR1-BCDF", "{}"));
  CHECK(twice.status == 409);
  CHECK(twice.body.find("ref_conflict") != std::string::npos);
  CHECK(hub.rows_with_ref("GR1-BCDF") == 1);

  CHECK(status_of(hub, "GR1-BCDF", hub.token).status == 200);
  Reply other = status_of(hub, "GR1-BCDF", gr2);
  CHECK(other.status == 404);
  CHECK(other.body.find("not_found") != std::string::npos);

  REQUIRE(post(hub, kId2, body_for(hub, kId2, "GR1-CDFG", "{}")).status == 201);
  Reply limited = post(hub, kId3, body_for(hub, kId3, "GR1-DFGH", "{}"));
  CHECK(limited.status == 429);
  CHECK(limited.body.find("rate_limited") != std::string::npos);
  CHECK(limited.headers.find("Retry-After: ") != std::string::npos);
  CHECK(hub.rows() == 2);
  CHECK(post(hub, kId1, body_for(hub, kId1, "GR1-BCDF", "{}")).status != 429);  // a retry is never limited
  // GR-02 has its own count.
  std::string gr2_body = body_for(hub, kId3, "GR2-DFGH", "{}", "GR-02");
  CHECK(post(hub, kId3, gr2_body, gr2).status == 201);
}

TEST_CASE("a kiosk over its daily quota is told when to come back", "[e2e][hub]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  hub.kiosk_per_day = 1;
  REQUIRE(hub.start("quota"));
  REQUIRE(post(hub, kId1, body_for(hub, kId1, "GR1-BCDF", "{}")).status == 201);
  Reply over = post(hub, kId2, body_for(hub, kId2, "GR1-CDFG", "{}"));
  CHECK(over.status == 429);
  CHECK(over.body.find("quota_exceeded") != std::string::npos);
  CHECK(over.headers.find("Retry-After: 8") != std::string::npos);  // 86400 s at most, 8xxxx here
}

TEST_CASE("request fields, heartbeats and admin inputs are strict", "[e2e][hub]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  REQUIRE(hub.start("strict"));
  struct Bad {
    const char* field;
    std::string json;
    const char* error;
  } bad[] = {
      {"lang", "\"xx\"", "invalid_lang"},
      {"lang", "\"ar\\u202e\"", "invalid_lang"},
      {"topic", "\"Health\"", "invalid_topic"},
      {"topic", "\"health\\u2066x\"", "invalid_topic"},
      {"topic", "\"\"", "invalid_topic"},
      {"created_at", "\"yesterday\"", "invalid_created_at"},
      {"created_at", "\"2026-02-30T10:00:00Z\"", "invalid_created_at"},
      {"created_at", "\"" + utc_ago(-3 * 86400) + "\"", "invalid_created_at"},
      {"created_at", "\"2026-11-22T10:00:00+01:00\"", "invalid_created_at"},
      {"kiosk", "\"GR-01\\n\"", "invalid_kiosk"},
  };
  for (const Bad& b : bad) {
    Reply r = post(hub, kId1, with_field(hub, kId1, b.field, b.json));
    INFO(b.field << " = " << b.json << " -> " << r.body);
    CHECK(r.status == 400);
    CHECK(r.body.find(b.error) != std::string::npos);
  }
  CHECK(hub.rows() == 0);

  const char* bad_heartbeats[] = {
      "{\"kiosk\":\"GR-01\",\"queue_depth\":1e12}",
      "{\"kiosk\":\"GR-01\",\"queue_depth\":10000000000000000000}",
      "{\"kiosk\":\"GR-01\",\"queue_depth\":-1}",
      "{\"kiosk\":\"GR-01\",\"queue_depth\":1.5}",
      "{\"kiosk\":\"GR-01\",\"queue_depth\":\"3\"}",
      "{\"kiosk\":\"GR-01\",\"permanent_errors\":1000000001}",
      "{\"kiosk\":\"GR-01\",\"app_version\":\"0123456789012345678901234567890123\"}",
      "{\"kiosk\":\"GR-01\",\"app_version\":\"0.1\\u202e\"}",
      "{\"kiosk\":\"GR-01\",\"content_version\":\"7\\n\"}",
      "{\"kiosk\":\"GR-01\",\"content_version\":-7}",
      "{\"kiosk\":\"GR-01\",\"update\":{\"state\":\"pwned\"}}",
      "{\"kiosk\":\"GR-01\",\"update\":{\"last_error\":\"disk \\u2067full\"}}",
      "{\"kiosk\":\"GR-01\",\"update\":{\"last_refusal\":\"Bad Sig\"}}",
      "{\"kiosk\":\"GR-01\",\"update\":{\"downloaded\":1e300}}",
  };
  for (const char* b : bad_heartbeats) {
    INFO(b);
    CHECK(heartbeat(hub, b).status == 400);
  }
  CHECK(heartbeat(hub, "{\"kiosk\":\"GR-01\",\"queue_depth\":1000000000,\"content_version\":\"7\",\"app_version\":\"0.1.0\","
                       "\"update\":{\"state\":\"error\",\"last_error\":\"disco pieno: 0 byte liberi\",\"last_check\":1795341600}}")
            .status == 204);

  Reply rollout = http("POST", hub.url("/api/v1/admin/releases/1/rollout"), "{\"all\":true,\"extra\":1}",
                       {"Authorization: Bearer " + hub.admin_token, "Content-Type: application/json"});
  CHECK(rollout.status == 400);
  CHECK(rollout.body.find("unknown_field") != std::string::npos);
}
