// Content updates on the kiosk's screen: start-up from installed releases, the waiting screen,
// the swap between visitors. State directories are built here as an install leaves them (signed
// envelopes, target files named by their SHA-256), with keys generated for the test.
#include "harness.h"
#include "release/release.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include <sys/stat.h>

using harness::element;
namespace fs = std::filesystem;

namespace {



// Writes beside and renames into place, as the updater does.
void put(const std::string& path, const std::string& data) {
  harness::write_file(path + ".tmp", data);
  fs::rename(path + ".tmp", path);
}

// Installs a pack as release `version` the way the updater leaves it: the target under its hash
// (read-only), then previous.json := current.json, then current.json := the new envelope.
void install(const std::string& state, const std::string& pack, int64_t version, const release::SecretKey& key) {
  std::string bytes = harness::read_file(pack);
  release::Manifest m;
  m.content_version = version;
  m.created = (int64_t)time(nullptr) - 60;
  m.expires = m.created + 30 * 86400;
  m.targets.push_back({release::kContentTarget, release::sha256_hex(bytes), (uint64_t)bytes.size()});
  std::string envelope = release::sign(m, {&key});
  fs::create_directories(state + "/targets");
  std::string target = state + "/targets/" + m.targets[0].sha256;
  if (!fs::exists(target)) {
    put(target, bytes);
    chmod(target.c_str(), 0444);
  }
  if (fs::exists(state + "/current.json")) put(state + "/previous.json", harness::read_file(state + "/current.json"));
  put(state + "/current.json", envelope);
}

std::string target_of(const std::string& pack) {
  return release::sha256_hex(harness::read_file(pack));
}

// Opens the permit renewal page in Italian and dumps it as `name`.
std::string open_procedure(const std::string& name) {
  return "tap home.start\ntap lang.it\ntap welcome.start\ntap topic.permits\ntap proc.permit-renewal\ndump " + name + "\n";
}

std::string title_of(const nlohmann::json& dump) {
  nlohmann::json t = element(dump, "proc.title");
  return t.is_object() ? t["text"].get<std::string>() : "";
}

struct Fixture {
  std::string dir = harness::temp_dir("updates");
  std::string state = dir + "/state";
  release::SecretKey key = release::SecretKey::generate();
  std::vector<std::string> args() const {
    return {"--state-dir", state, "--release-key", key.public_key().base64()};
  }
};

}  // namespace

TEST_CASE("the kiosk starts from the newest installed release, with no hub and no --content", "[e2e][updates]") {
  Fixture f;
  std::string v1 = harness::build_demo_pack(f.dir, 1, "Rinnovo (versione uno)"), v2 = harness::build_demo_pack(f.dir, 2, "Rinnovo (versione due)");
  REQUIRE((!v1.empty() && !v2.empty()));
  install(f.state, v1, 1, f.key);
  install(f.state, v2, 2, f.key);
  harness::Run run = harness::run_kiosk("dump home\n" + open_procedure("proc"), f.args());
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  nlohmann::json home = harness::load_dump(run, "home");
  CHECK(home["screen"] == "home");
  CHECK(home["content_version"] == 2);
  nlohmann::json proc = harness::load_dump(run, "proc");
  CHECK(proc["content_version"] == 2);
  CHECK(title_of(proc) == "Rinnovo (versione due)");
}

TEST_CASE("a corrupted current pack is passed over for the previous release", "[e2e][updates]") {
  Fixture f;
  std::string v1 = harness::build_demo_pack(f.dir, 1, "Rinnovo (versione uno)"), v2 = harness::build_demo_pack(f.dir, 2, "Rinnovo (versione due)");
  REQUIRE((!v1.empty() && !v2.empty()));
  install(f.state, v1, 1, f.key);
  install(f.state, v2, 2, f.key);
  // Bit rot in the middle of the installed v2 pack: its hash no longer matches its manifest.
  std::string target = f.state + "/targets/" + target_of(v2);
  chmod(target.c_str(), 0644);
  {
    std::fstream io(target, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp((std::streamoff)(fs::file_size(target) / 2));
    io.put('\x5a');
  }
  harness::Run run = harness::run_kiosk(open_procedure("proc"), f.args());
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  nlohmann::json proc = harness::load_dump(run, "proc");
  CHECK(proc["content_version"] == 1);
  CHECK(title_of(proc) == "Rinnovo (versione uno)");
  CHECK(run.stderr_text.find("previous") != std::string::npos);
}

TEST_CASE("a release whose pack verifies but does not open is rolled back at start-up", "[e2e][updates]") {
  Fixture f;
  std::string v1 = harness::build_demo_pack(f.dir, 1, "Rinnovo (versione uno)");
  REQUIRE((!v1.empty()));
  install(f.state, v1, 1, f.key);
  // Signed, right size and hash, and not a content pack: only opening it can tell.
  std::string junk = f.dir + "/junk.pack";
  harness::write_file(junk, std::string(4096, 'x'));
  install(f.state, junk, 2, f.key);
  harness::Run run = harness::run_kiosk(open_procedure("proc"), f.args());
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  nlohmann::json proc = harness::load_dump(run, "proc");
  CHECK(proc["content_version"] == 1);
  CHECK(title_of(proc) == "Rinnovo (versione uno)");
  CHECK(run.stderr_text.find("rolled back from content release 2") != std::string::npos);
  // Recorded, so the updater never installs it again, and the next start goes straight to v1.
  nlohmann::json bad = nlohmann::json::parse(harness::read_file(f.state + "/bad.json"), nullptr, false);
  CHECK((bad.is_object() && bad["version"] == 2));
  harness::Run again = harness::run_kiosk("dump home\n", f.args());
  REQUIRE(again.exit_code == 0);
  CHECK(harness::load_dump(again, "home")["content_version"] == 1);
  CHECK(again.stderr_text.find("rolled back") == std::string::npos);
}

TEST_CASE("with nothing installed and no --content the kiosk waits for content in every language", "[e2e][updates]") {
  Fixture f;
  harness::Run run = harness::run_kiosk("dump waiting\ntap-at 960 540\nwait 200000\ndump later\n",
                                        {"--state-dir", f.state, "--release-key", f.key.public_key().base64(),
                                         "--kiosk-id", "GR-07"},
                                        "1280x800");  // a small screen: all 18 must still fit
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  nlohmann::json waiting = harness::load_dump(run, "waiting");
  CHECK(waiting["screen"] == "waiting");
  CHECK(waiting["content_version"].is_null());
  CHECK(element(waiting, "waiting.kiosk")["text"] == "GR-07");
  int languages = 0;
  for (const auto& e : waiting["elements"]) {
    std::string id = e["id"];
    if (id.rfind("waiting.", 0) != 0 || id == "waiting.kiosk") continue;
    languages++;
    CHECK(e["lang"] == id.substr(8));                                       // each in its own language
    CHECK(e["text"].get<std::string>().find("GR-07") != std::string::npos);  // with the kiosk's id
    CHECK(e["rect"][1].get<float>() + e["rect"][3].get<float>() <= 800);   // on screen (nothing scrolls)
  }
  CHECK(languages == 18);
  CHECK(harness::load_dump(run, "later")["screen"] == "waiting");
}

TEST_CASE("a release installed while a visitor reads a page replaces it only once they go home", "[e2e][updates]") {
  Fixture f;
  std::string v1 = harness::build_demo_pack(f.dir, 1, "Rinnovo (versione uno)"), v2 = harness::build_demo_pack(f.dir, 2, "Rinnovo (versione due)");
  REQUIRE((!v1.empty() && !v2.empty()));
  install(f.state, v1, 1, f.key);
  std::string out = harness::temp_dir("updates-kiosk");
  harness::Run run;
  std::thread kiosk([&] {
    run = harness::run_kiosk_in(out,
                                open_procedure("v1") +
                                    "await-content 2 60000\ndump still\ntap nav.home\ndump home\n"
                                    "tap home.start\ntap lang.it\ntap welcome.start\ntap topic.permits\n"
                                    "tap proc.permit-renewal\ndump v2\n",
                                f.args());
  });
  // Install v2 once the visitor is on the v1 page (bounded wait on the kiosk's dump).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(out + "/v1.json") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  bool started = fs::exists(out + "/v1.json");
  if (started) install(f.state, v2, 2, f.key);
  kiosk.join();
  INFO(run.stderr_text);
  REQUIRE(started);
  REQUIRE(run.exit_code == 0);
  CHECK(title_of(harness::load_dump(run, "v1")) == "Rinnovo (versione uno)");
  nlohmann::json still = harness::load_dump(run, "still");
  CHECK(still["screen"] == "procedure");
  CHECK(still["content_version"] == 1);                     // the visitor keeps what they read
  CHECK(title_of(still) == "Rinnovo (versione uno)");
  nlohmann::json home = harness::load_dump(run, "home");
  CHECK(home["screen"] == "home");
  CHECK(home["content_version"] == 2);                      // swapped between visitors
  CHECK(title_of(harness::load_dump(run, "v2")) == "Rinnovo (versione due)");
}

TEST_CASE("release keys and threshold are checked, without a key the kiosk waits for its content", "[e2e][updates]") {
  // As the package installs it: a state directory, no key yet. The kiosk starts, says it waits
  // for its content, and says why in its log.
  std::string unprovisioned = harness::temp_dir("updates-nokey");
  harness::Run no_key = harness::run_kiosk("dump waiting\n", {"--state-dir", unprovisioned + "/state", "--kiosk-id", "GR-07"});
  INFO(no_key.stderr_text);
  REQUIRE(no_key.exit_code == 0);
  nlohmann::json waiting = harness::load_dump(no_key, "waiting");
  CHECK(waiting["screen"] == "waiting");
  CHECK(no_key.stderr_text.find("no release-key in the configuration") != std::string::npos);
  harness::Run bad_key = harness::run_raw({"--state-dir", "/tmp/nowhere", "--release-key", "not-a-key"});
  CHECK(bad_key.exit_code == 2);
  CHECK(bad_key.stderr_text.find("--release-key") != std::string::npos);
  std::string key = release::SecretKey::generate().public_key().base64();
  harness::Run threshold = harness::run_raw({"--state-dir", "/tmp/nowhere", "--release-key", key, "--release-threshold", "2"});
  CHECK(threshold.exit_code == 2);
  CHECK(threshold.stderr_text.find("--release-threshold 2") != std::string::npos);
  // In the config file, a bad key is named with its file and line.
  std::string dir = harness::temp_dir("updates-conf");
  harness::write_file(dir + "/kiosk.conf", "state-dir = " + dir + "/state\nrelease-key = " + key + "\nrelease-key = AAAA\n");
  harness::Run conf = harness::run_raw({"--config", dir + "/kiosk.conf"});
  CHECK(conf.exit_code == 2);
  CHECK(conf.stderr_text.find(dir + "/kiosk.conf:3: release-key") != std::string::npos);
  harness::Run interval = harness::run_raw({"--update-interval", "5"});
  CHECK(interval.exit_code == 2);
}
