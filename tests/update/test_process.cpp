// The real sportello-uploader hosting the Updater, driven the way the kiosk drives it: it
// installs the first release soon after start, answers update_status, polls at once on check,
// and its heartbeat carries the update status and the content version the screen runs.
#include "outbox.h"
#include "update_test.h"

#include <catch2/catch.hpp>

using namespace update_test;

static update::Status content_status(outbox::UploaderProcess& up) {
  update::Status s;
  s.installed_version = -1;
  update::status_from_json(up.content_status(), &s);
  return s;
}

TEST_CASE("sportello-uploader installs releases, answers update_status and polls on check", "[update][process]") {
  release::SecretKey key = release::SecretKey::generate();
  ReleaseServer server;
  REQUIRE(server.ok());
  TempDir dir;
  update::Config ucfg = config_for(server, dir.file("content"), trust_of({&key}));
  ucfg.poll_interval_ms = 3600 * 1000;   // after the first poll, only `check` can bring v2 in time
  serve(server, make_release(1, pack_bytes(30000, 1), {&key}));

  unsigned char pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
  REQUIRE(sodium_init() >= 0);
  crypto_box_keypair(pk, sk);
  char pk_b64[sodium_base64_ENCODED_LEN(sizeof pk, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(pk_b64, sizeof pk_b64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
  outbox::Config c;
  c.db_path = dir.file("outbox.db");
  c.hub_url = server.url();
  c.kiosk_id = "GR-01";
  c.ref_prefix = "GR1";
  c.token = "kiosk-token-test";
  c.hub_public_key_b64 = pk_b64;
  c.heartbeat_interval_ms = 200;
  c.update_config = update::config_to_json(ucfg);

  outbox::UploaderProcess up(c, UPLOADER_BIN);
  std::string error;
  REQUIRE(up.start(&error));
  // The poll is over when the state is back to idle (installed_version is set a moment before).
  REQUIRE(wait_until([&] {
    update::Status now = content_status(up);
    return now.installed_version == 1 && now.state == "idle";
  }, 15000));
  update::Status s = content_status(up);
  CHECK(s.last_error.empty());
  CHECK(s.last_install > 0);
  CHECK(update::select_installed(ucfg.state_dir, ucfg.trust).version == 1);

  serve(server, make_release(2, pack_bytes(30000, 2), {&key}));
  up.check_content();
  REQUIRE(wait_until([&] { return content_status(up).installed_version == 2; }, 10000));
  CHECK(update::select_installed(ucfg.state_dir, ucfg.trust).version == 2);

  // The screen swapped to 2: the heartbeat says so, with the updater's status beside it.
  up.content_running(2);
  auto heartbeat_with_v2 = [&] {
    for (const SeenRequest& r : server.seen()) {
      if (r.path != "/api/v1/heartbeat") continue;
      nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
      if (j.is_object() && j.value("content_version", std::string()) == "2" && j.contains("update") &&
          j["update"].is_object() && j["update"].value("installed_version", 0) == 2)
        return true;
    }
    return false;
  };
  CHECK(wait_until(heartbeat_with_v2, 10000));
}

TEST_CASE("sportello-uploader without content updates answers an empty update status", "[update][process]") {
  TempDir dir;
  unsigned char pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
  REQUIRE(sodium_init() >= 0);
  crypto_box_keypair(pk, sk);
  char pk_b64[sodium_base64_ENCODED_LEN(sizeof pk, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(pk_b64, sizeof pk_b64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
  outbox::Config c;
  c.db_path = dir.file("outbox.db");
  c.hub_url = "http://127.0.0.1:9";
  c.kiosk_id = "GR-01";
  c.ref_prefix = "GR1";
  c.token = "t";
  c.hub_public_key_b64 = pk_b64;
  outbox::UploaderProcess up(c, UPLOADER_BIN);
  REQUIRE(up.start());
  CHECK(up.content_status().empty());
  up.check_content();   // harmless
  CHECK(up.pid() > 0);
}
