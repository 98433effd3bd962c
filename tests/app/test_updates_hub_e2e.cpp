// Content updates end to end: an admin signs and publishes with the real sportello-admin to the
// real hub; the real kiosk, headless, with its real network process (sportello-uploader hosting
// the updater), downloads, verifies and installs the release and shows it between visitors.
#include "harness.h"

#include <catch2/catch.hpp>
#include <sodium.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

using harness::element;
namespace fs = std::filesystem;

namespace {




// An admin's key (the real keygen) and a hub that trusts it, provisioned for kiosk GR-01.
struct Fleet {
  std::string dir = harness::temp_dir("updates-hub");
  std::string public_key;
  std::unique_ptr<harness::Hub> hub = std::make_unique<harness::Hub>();
  std::string hub_url, hub_public_key, kiosk_token_file = dir + "/kiosk.token", admin_token_file = dir + "/admin.token";

  bool start() {
    if (harness::admin(dir, {"keygen", "--out", dir + "/keys", "--no-passphrase"}) != 0) return false;
    public_key = harness::last_line(harness::read_file(dir + "/keys/release.pub"));
    hub->release_keys = {public_key};
    if (!hub->start("updates-hub-server")) return false;
    hub_url = hub->url();
    hub_public_key = hub->public_key;
    harness::write_file(kiosk_token_file, hub->token + "\n");
    harness::write_file(admin_token_file, hub->admin_token + "\n");
    return true;
  }
  // sportello-admin release + publish (to every kiosk).
  bool publish(const std::string& pack, const std::string& name) {
    std::string out = dir + "/" + name;
    return harness::admin(dir, {"release", "--pack", pack, "--key", dir + "/keys/release.key", "--out", out}) == 0 &&
           harness::admin(dir, {"publish", "--hub", hub_url, "--admin-token", admin_token_file, out}) == 0;
  }
  std::vector<std::string> kiosk_args(const std::string& state) const {
    return {"--outbox-db", dir + "/outbox.db", "--hub-url", hub_url, "--kiosk-id", "GR-01", "--ref-prefix", "GR1",
            "--hub-token-file", kiosk_token_file, "--hub-public-key", hub_public_key, "--state-dir", state,
            "--release-key", public_key, "--update-interval", "60"};
  }
};

std::string open_procedure(const std::string& name) {
  return "tap home.start\ntap lang.it\ntap welcome.start\ntap topic.permits\ntap proc.permit-renewal\ndump " + name + "\n";
}

std::string title_of(const nlohmann::json& dump) {
  nlohmann::json t = element(dump, "proc.title");
  return t.is_object() ? t["text"].get<std::string>() : "";
}

}  // namespace

TEST_CASE("publish v2: the kiosk installs it, shows it after the visitor goes home, and keeps it offline",
          "[e2e][updates][hub]") {
  Fleet fleet;
  REQUIRE(fleet.start());
  std::string v1 = harness::build_demo_pack(fleet.dir, 1, "Rinnovo (versione uno)"), v2 = harness::build_demo_pack(fleet.dir, 2, "Rinnovo (versione due)");
  REQUIRE((!v1.empty() && !v2.empty()));
  std::string state = fleet.dir + "/state";
  std::vector<std::string> args = fleet.kiosk_args(state);
  args.insert(args.end(), {"--content", v1});  // the operator's pack: version 1, the floor for updates

  // The visitor reads the v1 page; only then is v2 published, so the kiosk cannot have it before.
  // The updater polls a few seconds after start (nothing yet), then once a minute.
  std::string out = harness::temp_dir("updates-hub-kiosk");
  harness::Run run;
  std::thread kiosk([&] {
    run = harness::run_kiosk_in(out,
                                open_procedure("v1") +
                                    "await-content 2 150000\ndump still\ntap nav.home\ndump home\n" +
                                    open_procedure("v2"),
                                args);
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(out + "/v1.json") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  bool on_page = fs::exists(out + "/v1.json");
  bool published = on_page && fleet.publish(v2, "release-v2");
  kiosk.join();
  INFO(run.stderr_text << harness::read_file(fleet.dir + "/admin.log"));
  REQUIRE(on_page);
  REQUIRE(published);
  REQUIRE(run.exit_code == 0);
  CHECK(title_of(harness::load_dump(run, "v1")) == "Rinnovo (versione uno)");
  nlohmann::json still = harness::load_dump(run, "still");
  CHECK(still["screen"] == "procedure");
  CHECK(still["content_version"] == 1);
  CHECK(title_of(still) == "Rinnovo (versione uno)");
  CHECK(harness::load_dump(run, "home")["content_version"] == 2);
  nlohmann::json now = harness::load_dump(run, "v2");
  CHECK(now["content_version"] == 2);
  CHECK(title_of(now) == "Rinnovo (versione due)");

  // The hub goes away; the kiosk starts again from its last good pack, v2.
  fleet.hub.reset();
  harness::Run offline = harness::run_kiosk("dump home\n" + open_procedure("proc"), args);
  INFO(offline.stderr_text);
  REQUIRE(offline.exit_code == 0);
  CHECK(harness::load_dump(offline, "home")["content_version"] == 2);
  CHECK(title_of(harness::load_dump(offline, "proc")) == "Rinnovo (versione due)");
}

TEST_CASE("a first boot with no content waits, then takes the first release the hub offers", "[e2e][updates][hub]") {
  Fleet fleet;
  REQUIRE(fleet.start());
  std::string v1 = harness::build_demo_pack(fleet.dir, 1, "Rinnovo (versione uno)");
  REQUIRE(fleet.publish(v1, "release-v1"));
  // It starts on the waiting screen (its own log says so; the screen itself is checked without a
  // hub in test_updates_e2e.cpp, where nothing can replace it), then the release replaces it.
  // The staff view needs its PIN (2468); the test's hash is cheap to check.
  REQUIRE(sodium_init() >= 0);
  char pin_hash[crypto_pwhash_STRBYTES];
  REQUIRE(crypto_pwhash_str(pin_hash, "2468", 4, crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN) == 0);
  std::string staff = "tap staff.corner\ntap staff.corner\ntap staff.corner\ntap staff.corner\ntap staff.corner\n"
                      "tap key.2\ntap key.4\ntap key.6\ntap key.8\ntap key.done\n"
                      "tap staff.check_content\ntap staff.refresh\ndump staff\n";
  std::vector<std::string> args = fleet.kiosk_args(fleet.dir + "/state");
  args.insert(args.end(), {"--staff-pin-hash", pin_hash});
  harness::Run run = harness::run_kiosk("await-content 1 60000\ndump home\n" + staff + "tap nav.home\n" +
                                            open_procedure("proc"),
                                        args);
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  CHECK(run.stderr_text.find("no content yet: waiting for the first release") != std::string::npos);
  nlohmann::json home = harness::load_dump(run, "home");
  CHECK(home["screen"] == "home");              // nobody's visit is interrupted on this screen
  CHECK(home["content_version"] == 1);
  CHECK(title_of(harness::load_dump(run, "proc")) == "Rinnovo (versione uno)");
  // The staff view reports what the network process's updater says.
  nlohmann::json view = harness::load_dump(run, "staff");
  CHECK(view["screen"] == "staff");
  CHECK(element(view, "staff.content")["text"] == "Versione dei contenuti 1");
  CHECK(element(view, "staff.update.state")["text"].get<std::string>().rfind("Aggiornamenti: ", 0) == 0);
  CHECK(element(view, "staff.update.versions")["text"].get<std::string>().find("Versione installata 1") == 0);
  CHECK(element(view, "staff.check_content").is_object());
}
