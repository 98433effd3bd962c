// Content releases on the real hub: a publish is verified with the real release library and every
// mistake is refused with its reason; kiosks get the manifest of their group with ETag/304 and the
// targets with Range; admin and kiosk credentials never open each other's routes.
#include "release_util.h"

#include <catch2/catch.hpp>
#include <sodium.h>

using harness::Hub;
using namespace relt;

namespace {

std::string code(release::Refusal r) { return release::refusal_code(r); }

// An envelope whose signatures are kept but whose signed manifest says something else.
std::string tampered(const std::string& envelope) {
  auto j = nlohmann::json::parse(envelope);
  std::string inner = j["signed"];
  size_t at = inner.find("\"content_version\"");
  REQUIRE(at != std::string::npos);
  at = inner.find_first_of("0123456789", at);
  inner.insert(at, "9");  // 7 -> 97: a bigger version, same signatures
  j["signed"] = inner;
  return j.dump();
}

}  // namespace

TEST_CASE("a publish is verified: each mistake is refused with its reason, nothing is kept", "[e2e][hub][release]") {
  REQUIRE(sodium_init() >= 0);
  release::SecretKey k1 = release::SecretKey::generate(), k2 = release::SecretKey::generate();
  release::SecretKey stranger = release::SecretKey::generate();
  Hub hub;
  hub.release_keys = {k1.public_key().base64(), k2.public_key().base64()};
  REQUIRE(hub.start("publish"));
  const std::string pack = "pack bytes of version one", other = "some other bytes";
  release::Target t = target(release::kContentTarget, pack);

  SECTION("targets: uploaded by hash, a mismatch keeps nothing, HEAD says what is there") {
    CHECK(http("HEAD", hub.url("/api/v1/admin/targets/" + t.sha256), "", {bearer(hub.admin_token)}).status == 404);
    Reply wrong = put_target(hub, other, t.sha256);
    CHECK(wrong.status == 422);
    CHECK(error_of(wrong) == "hash_mismatch");
    CHECK(http("HEAD", hub.url("/api/v1/admin/targets/" + t.sha256), "", {bearer(hub.admin_token)}).status == 404);
    CHECK(http("HEAD", hub.url("/api/v1/admin/targets/" + release::sha256_hex(other)), "", {bearer(hub.admin_token)})
              .status == 404);
    CHECK(put_target(hub, pack).status == 201);
    CHECK(http("HEAD", hub.url("/api/v1/admin/targets/" + t.sha256), "", {bearer(hub.admin_token)}).status == 200);
    CHECK(harness::read_file(hub.data + "/targets/" + t.sha256) == pack);
  }

  SECTION("refusals, then a good release, then rollback") {
    Reply missing = publish(hub, release::sign(manifest(7, {t}), {&k1}));
    CHECK(missing.status == 409);
    CHECK(error_of(missing) == "missing_targets");
    CHECK(missing.body.find(t.sha256) != std::string::npos);
    REQUIRE(put_target(hub, pack).status == 201);

    nlohmann::json unsigned_env = {{"signed", release::manifest_json(manifest(7, {t}))},
                                   {"signatures", nlohmann::json::array()}};
    Reply r = publish(hub, unsigned_env.dump());
    CHECK(r.status == 422);
    CHECK(error_of(r) == code(release::Refusal::Unsigned));
    r = publish(hub, release::sign(manifest(7, {t}), {&stranger}));
    CHECK(error_of(r) == code(release::Refusal::UnknownKey));
    r = publish(hub, tampered(release::sign(manifest(7, {t}), {&k1})));
    CHECK(error_of(r) == code(release::Refusal::BadSignature));
    r = publish(hub, release::sign(manifest(7, {t}, -10), {&k1}));
    CHECK(error_of(r) == code(release::Refusal::Expired));
    r = publish(hub, "<html>captive portal</html>");
    CHECK(error_of(r) == code(release::Refusal::NotAManifest));
    CHECK(http("GET", hub.url("/api/v1/admin/releases"), "", {bearer(hub.admin_token)}).body.find("\"version\"") ==
          std::string::npos);

    Reply ok = publish(hub, release::sign(manifest(7, {t}), {&k2}));
    CHECK(ok.status == 201);
    Reply same = publish(hub, release::sign(manifest(7, {t}), {&k1}));
    CHECK(same.status == 409);
    CHECK(error_of(same) == code(release::Refusal::Rollback));
    Reply lower = publish(hub, release::sign(manifest(3, {t}), {&k1}));
    CHECK(lower.status == 409);
    CHECK(error_of(lower) == code(release::Refusal::Rollback));
    CHECK(publish(hub, release::sign(manifest(8, {t}), {&k1, &k2})).status == 201);

    Reply list = http("GET", hub.url("/api/v1/admin/releases"), "", {bearer(hub.admin_token)});
    auto j = nlohmann::json::parse(list.body);
    REQUIRE(j["releases"].size() == 2);
    CHECK(j["releases"][0]["version"] == 8);
    CHECK(j["releases"][0]["published_by"] == "ada");
    Reply env = http("GET", hub.url("/api/v1/admin/releases/7"), "", {bearer(hub.admin_token)});
    CHECK(version_of(env.body) == 7);
  }

  SECTION("credentials: admin routes want an admin token, kiosk routes a kiosk token") {
    std::string cookies = hub.dir + "/cookies.txt";
    REQUIRE(http("POST", hub.url("/console/login"), "user=anna&password=password-anna", {}, cookies).status == 302);
    for (const char* path : {"/api/v1/admin/releases", "/api/v1/admin/fleet"}) {
      CHECK(http("GET", hub.url(path)).status == 401);
      CHECK(http("GET", hub.url(path), "", {bearer(hub.token)}).status == 401);
      CHECK(http("GET", hub.url(path), "", {}, cookies).status == 401);
      CHECK(http("GET", hub.url(path), "", {bearer(hub.admin_token)}).status == 200);
    }
    CHECK(http("PUT", hub.url("/api/v1/admin/targets/" + t.sha256), pack, {bearer(hub.token)}).status == 401);
    CHECK(publish(hub, "{}").status != 401);
    CHECK(http("POST", hub.url("/api/v1/admin/releases"), "{}", {bearer(hub.token)}).status == 401);
    CHECK(http("GET", hub.url("/api/v1/content/manifest"), "", {bearer(hub.admin_token)}).status == 401);
    CHECK(http("GET", hub.url("/api/v1/content/targets/" + t.sha256), "", {bearer(hub.admin_token)}).status == 401);
    CHECK(http("POST", hub.url("/api/v1/heartbeat"), "{\"kiosk\":\"GR-01\"}", {bearer(hub.admin_token)}).status == 401);
    // Bodies are bounded before they are read: a JSON route takes 64 KiB at most.
    CHECK(http("POST", hub.url("/api/v1/admin/releases"), std::string(70 * 1024, ' '), {bearer(hub.admin_token)})
              .status == 413);
  }
}

TEST_CASE("a threshold of two needs two trusted signatures, a hub without keys refuses every publish",
          "[e2e][hub][release]") {
  REQUIRE(sodium_init() >= 0);
  release::SecretKey k1 = release::SecretKey::generate(), k2 = release::SecretKey::generate();
  const std::string pack = "threshold pack";
  release::Target t = target(release::kContentTarget, pack);
  {
    Hub hub;
    hub.release_keys = {k1.public_key().base64(), k2.public_key().base64()};
    hub.release_threshold = 2;
    REQUIRE(hub.start("threshold"));
    REQUIRE(put_target(hub, pack).status == 201);
    Reply one = publish(hub, release::sign(manifest(1, {t}), {&k1}));
    CHECK(one.status == 422);
    CHECK(error_of(one) == release::refusal_code(release::Refusal::TooFewSignatures));
    CHECK(publish(hub, release::sign(manifest(1, {t}), {&k1, &k2})).status == 201);
  }
  Hub keyless;
  REQUIRE(keyless.start("keyless"));
  REQUIRE(put_target(keyless, pack).status == 201);
  Reply r = publish(keyless, release::sign(manifest(1, {t}), {&k1}));
  CHECK(r.status == 409);
  CHECK(error_of(r) == "no_release_key");
}

TEST_CASE("kiosks: manifest with ETag and a small 304, targets with Range, names that are not hashes refused",
          "[e2e][hub][release]") {
  REQUIRE(sodium_init() >= 0);
  release::SecretKey key = release::SecretKey::generate();
  Hub hub;
  hub.release_keys = {key.public_key().base64()};
  REQUIRE(hub.start("kiosk-content"));
  std::string pack;
  for (int i = 0; i < 20000; i++) pack += (char)('a' + i % 26) + std::to_string(i);
  release::Target t = target(release::kContentTarget, pack);
  Reply none = manifest_for(hub, hub.token);
  CHECK(none.status == 404);
  CHECK(error_of(none) == "no_release");

  REQUIRE(put_target(hub, pack).status == 201);
  std::string envelope = release::sign(manifest(1, {t}), {&key});
  REQUIRE(publish(hub, envelope).status == 201);
  CHECK(manifest_for(hub, hub.token).status == 404);  // published, not yet rolled out
  REQUIRE(roll_out(hub, 1, "{\"all\":true}").status == 200);

  Reply first = manifest_for(hub, hub.token);
  CHECK(first.status == 200);
  CHECK(first.body == envelope);
  std::string etag = first.header("ETag");
  CHECK(etag == "\"" + release::sha256_hex(envelope) + "\"");
  Reply again = manifest_for(hub, hub.token, etag);
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  INFO(again.headers);
  CHECK(again.wire_bytes < 600);
  CHECK(manifest_for(hub, hub.token, "\"stale\"").status == 200);

  std::string url = hub.url("/api/v1/content/targets/" + t.sha256);
  Reply whole = http("GET", url, "", {bearer(hub.token)});
  CHECK(whole.status == 200);
  CHECK(whole.body == pack);
  Reply resumed = http("GET", url, "", {bearer(hub.token), "Range: bytes=1000-"});
  CHECK(resumed.status == 206);
  CHECK(resumed.body == pack.substr(1000));
  CHECK(resumed.header("Content-Range") == "bytes 1000-" + std::to_string(pack.size() - 1) + "/" +
                                               std::to_string(pack.size()));
  Reply middle = http("GET", url, "", {bearer(hub.token), "Range: bytes=10-19"});
  CHECK(middle.status == 206);
  CHECK(middle.body == pack.substr(10, 10));
  CHECK(http("GET", url, "", {bearer(hub.token), "Range: bytes=" + std::to_string(pack.size()) + "-"}).status == 416);

  for (const std::string& bad : std::vector<std::string>{"..%2F..%2Fhub.key", "..%2Fhub.db", t.sha256.substr(0, 63),
                                 std::string(64, 'A'), t.sha256 + "0", "%2E%2E"}) {
    Reply r = http("GET", hub.url("/api/v1/content/targets/" + bad), "", {bearer(hub.token)});
    INFO(bad);
    CHECK(r.status == 400);
    CHECK(r.body.find("hub") == std::string::npos);
  }
  CHECK(http("GET", hub.url("/api/v1/content/targets/" + std::string(64, 'a')), "", {bearer(hub.token)}).status == 404);
  CHECK(http("GET", url).status == 401);
}

TEST_CASE("canary first, then all: each kiosk gets the newest release rolled out to it", "[e2e][hub][release]") {
  REQUIRE(sodium_init() >= 0);
  release::SecretKey key = release::SecretKey::generate();
  Hub hub;
  hub.release_keys = {key.public_key().base64()};
  REQUIRE(hub.start("canary-rollout"));
  std::string canary = hub.add_kiosk("GR-02", "canary");
  REQUIRE(!canary.empty());
  release::Target t1 = target(release::kContentTarget, "v1 pack"), t2 = target(release::kContentTarget, "v2 pack");
  REQUIRE(put_target(hub, "v1 pack").status == 201);
  REQUIRE(put_target(hub, "v2 pack").status == 201);
  REQUIRE(publish(hub, release::sign(manifest(1, {t1}), {&key})).status == 201);
  REQUIRE(roll_out(hub, 1, "{\"all\":true}").status == 200);
  REQUIRE(publish(hub, release::sign(manifest(2, {t2}), {&key})).status == 201);
  CHECK(roll_out(hub, 2, "{\"groups\":[\"../x\"]}").status == 400);
  CHECK(roll_out(hub, 2, "{}").status == 400);
  CHECK(roll_out(hub, 99, "{\"all\":true}").status == 404);
  REQUIRE(roll_out(hub, 2, "{\"groups\":[\"canary\"]}").status == 200);

  CHECK(version_of(manifest_for(hub, canary).body) == 2);
  CHECK(version_of(manifest_for(hub, hub.token).body) == 1);
  REQUIRE(roll_out(hub, 2, "{\"all\":true}").status == 200);
  CHECK(version_of(manifest_for(hub, hub.token).body) == 2);
  // Rollout only widens: naming the canary again leaves "all" in place.
  Reply again = roll_out(hub, 2, "{\"groups\":[\"canary\"]}");
  CHECK(nlohmann::json::parse(again.body)["rollout"]["all"] == true);
  CHECK(version_of(manifest_for(hub, hub.token).body) == 2);
}

TEST_CASE("the fleet shows each kiosk's updater and flags one still on old content a day after rollout",
          "[e2e][hub][release]") {
  REQUIRE(sodium_init() >= 0);
  release::SecretKey key = release::SecretKey::generate();
  Hub hub;
  hub.release_keys = {key.public_key().base64()};
  REQUIRE(hub.start("fleet"));
  std::string canary = hub.add_kiosk("GR-02", "canary");
  release::Target t = target(release::kContentTarget, "fleet pack");
  REQUIRE(put_target(hub, "fleet pack").status == 201);
  REQUIRE(publish(hub, release::sign(manifest(5, {t}), {&key})).status == 201);
  REQUIRE(roll_out(hub, 5, "{\"groups\":[\"canary\"]}").status == 200);

  auto beat = [&](const std::string& token, const std::string& kiosk, const std::string& update) {
    return http("POST", hub.url("/api/v1/heartbeat"),
                "{\"kiosk\":\"" + kiosk + "\",\"content_version\":4,\"update\":" + update + "}",
                {bearer(token), "Content-Type: application/json"});
  };
  std::string update = R"({"state":"error","installed_version":4,"offered_version":5,"last_check":1700000000,)"
                       R"("last_install":0,"last_error":"sha256 mismatch on content.pack","last_refusal":"download",)"
                       R"("downloaded":300,"total":1200})";
  CHECK(beat(canary, "GR-02", update).status == 204);
  CHECK(beat(hub.token, "GR-01", R"({"state":"idle","installed_version":4})").status == 204);
  CHECK(beat(canary, "GR-02", R"({"state":7})").status == 400);
  CHECK(beat(canary, "GR-02", R"({"downloaded":-1})").status == 400);
  CHECK(beat(canary, "GR-02", "{\"last_error\":\"" + std::string(600, 'x') + "\"}").status == 400);
  CHECK(beat(canary, "GR-02", "[]").status == 400);

  auto fleet = [&] {
    auto j = nlohmann::json::parse(http("GET", hub.url("/api/v1/admin/fleet"), "", {bearer(hub.admin_token)}).body);
    std::map<std::string, nlohmann::json> by_id;
    for (const auto& k : j["kiosks"]) by_id[k["id"]] = k;
    return by_id;
  };
  auto f = fleet();
  REQUIRE(f.count("GR-02"));
  CHECK(f["GR-02"]["group"] == "canary");
  CHECK(f["GR-02"]["content_version"] == 4);
  CHECK(f["GR-02"]["target_version"] == 5);
  CHECK(f["GR-02"]["update"]["state"] == "error");
  CHECK(f["GR-02"]["update"]["last_error"] == "sha256 mismatch on content.pack");
  CHECK(f["GR-02"]["update"]["downloaded"] == 300);
  CHECK(f["GR-02"]["update"]["total"] == 1200);
  CHECK(f["GR-02"]["stale"] == false);
  CHECK(f["GR-01"]["target_version"] == 0);

  // The rollout to the canary group is moved a little over a day into the past.
  REQUIRE(hub.sql("UPDATE rollouts SET at = at - 90000 WHERE version = 5"));
  f = fleet();
  CHECK(f["GR-02"]["stale"] == true);
  CHECK(f["GR-01"]["stale"] == false);  // nothing was rolled out to its group
  CHECK(beat(canary, "GR-02", R"({"state":"idle","installed_version":5})").status == 204);
  CHECK(fleet()["GR-02"]["stale"] == false);
  auto list = nlohmann::json::parse(http("GET", hub.url("/api/v1/admin/releases"), "", {bearer(hub.admin_token)}).body);
  CHECK(list["releases"][0]["kiosks_running"] == 1);
}
