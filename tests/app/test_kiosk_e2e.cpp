// The kiosk shell end to end: the real binary, headless, driven by scripts.
#include "harness.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

using harness::element;

static float center_x(const nlohmann::json& e) { return e["rect"][0].get<float>() + e["rect"][2].get<float>() / 2; }

TEST_CASE("picking Arabic shows the welcome page right to left, and idle brings home back", "[e2e][kiosk]") {
  harness::Run run = harness::run_kiosk(
      "dump home\n"
      "tap home.start\n"
      "dump languages\n"
      "tap lang.ar\n"
      "dump welcome\n"
      "shot welcome-ar\n"
      "wait 89000\n"
      "dump before-idle\n"
      "wait 2000\n"
      "dump prompt\n"
      "wait 10000\n"
      "dump after-idle\n");
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);

  nlohmann::json languages = harness::load_dump(run, "languages");
  REQUIRE(languages["screen"] == "languages");
  nlohmann::json ar = element(languages, "lang.ar");
  REQUIRE(ar.is_object());
  CHECK(ar["text"] == "العربية");  // native name from ICU
  CHECK(ar["direction"] == "rtl");
  CHECK(languages["elements"].size() >= 18);

  nlohmann::json welcome = harness::load_dump(run, "welcome");
  CHECK(welcome["screen"] == "welcome");
  CHECK(welcome["lang"] == "ar");
  CHECK(welcome["direction"] == "rtl");
  nlohmann::json title = element(welcome, "welcome.title");
  REQUIRE(title.is_object());
  CHECK(title["lang"] == "ar");
  CHECK(title["direction"] == "rtl");
  CHECK(title["text"] != "Welcome");
  nlohmann::json back = element(welcome, "nav.back"), language = element(welcome, "nav.language");
  REQUIRE(back.is_object());
  REQUIRE(language.is_object());
  CHECK(center_x(back) > 1920 / 2);       // mirrored: Back sits on the right in Arabic
  CHECK(center_x(language) < 1920 / 2);
  CHECK(std::filesystem::file_size(run.out_dir + "/welcome-ar.png") > 10000);

  CHECK(harness::load_dump(run, "before-idle")["idle_prompt"] == false);
  nlohmann::json prompt = harness::load_dump(run, "prompt");
  CHECK(prompt["idle_prompt"] == true);
  CHECK(element(prompt, "idle.title").is_object());
  CHECK(element(prompt, "idle.continue").is_object());

  nlohmann::json after = harness::load_dump(run, "after-idle");
  CHECK(after["screen"] == "home");
  CHECK(after["lang"] == "it");           // the visitor's choice is forgotten
  CHECK(after["direction"] == "ltr");
}

TEST_CASE("a touch during the idle prompt keeps the visitor's page", "[e2e][kiosk]") {
  harness::Run run = harness::run_kiosk(
      "tap home.start\n"
      "tap lang.bn\n"
      "wait 91000\n"
      "tap idle.continue\n"
      "wait 15000\n"
      "dump kept\n");
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  nlohmann::json kept = harness::load_dump(run, "kept");
  CHECK(kept["screen"] == "welcome");
  CHECK(kept["lang"] == "bn");
  CHECK(kept["idle_prompt"] == false);
}

TEST_CASE("Back and Home are reachable and Back goes back", "[e2e][kiosk]") {
  harness::Run run = harness::run_kiosk(
      "tap home.start\n"
      "tap lang.en\n"
      "tap nav.back\n"
      "dump back\n"
      "tap lang.fr\n"
      "tap nav.home\n"
      "dump home\n");
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  CHECK(harness::load_dump(run, "back")["screen"] == "languages");
  nlohmann::json home = harness::load_dump(run, "home");
  CHECK(home["screen"] == "home");
  CHECK(home["lang"] == "it");
}

TEST_CASE("a script step that fails names its line and exits non-zero", "[e2e][kiosk]") {
  harness::Run run = harness::run_kiosk("dump start\n# a comment\ntap lang.xx\ndump never\n");
  CHECK(run.exit_code == 1);
  CHECK(run.stderr_text.find("script.txt:3: no element with id lang.xx") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(run.out_dir + "/never.json"));

  harness::Run unknown = harness::run_kiosk("jump 3\n");
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.stderr_text.find("script.txt:1: unknown step \"jump\"") != std::string::npos);
}

TEST_CASE("bad options and a bad config file give a clear error and a non-zero exit", "[e2e][kiosk]") {
  harness::Run flag = harness::run_raw({"--windowed", "big"});
  CHECK(flag.exit_code == 2);
  CHECK(flag.stderr_text.find("--windowed: invalid value \"big\"") != std::string::npos);

  harness::Run unknown = harness::run_raw({"--colour", "red"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.stderr_text.find("unknown option \"colour\"") != std::string::npos);

  std::string dir = harness::temp_dir("config");
  harness::write_file(dir + "/kiosk.conf", "# kiosk\nlang = it\nidle-timeout = soon\n");
  harness::Run config = harness::run_raw({"--config", dir + "/kiosk.conf"});
  CHECK(config.exit_code == 2);
  CHECK(config.stderr_text.find("kiosk.conf:3: idle-timeout: invalid value \"soon\"") != std::string::npos);

  harness::write_file(dir + "/broken.conf", "lang it\n");
  harness::Run broken = harness::run_raw({"--config", dir + "/broken.conf"});
  CHECK(broken.exit_code == 2);
  CHECK(broken.stderr_text.find("broken.conf:1: expected `key = value`") != std::string::npos);

  harness::Run missing = harness::run_raw({"--config", dir + "/nowhere.conf"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.stderr_text.find("nowhere.conf: cannot read") != std::string::npos);

  harness::write_file(dir + "/token", "caf\xe9-token\n");   // Latin-1: not a token the hub issued
  harness::Run token = harness::run_kiosk("dump x\n", {"--outbox-db", dir + "/outbox.db", "--hub-url", "http://127.0.0.1:9",
                                                      "--kiosk-id", "GR-01", "--hub-token-file", dir + "/token",
                                                      "--hub-public-key", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="});
  CHECK(token.exit_code == 2);
  CHECK(token.stderr_text.find("does not hold a hub token") != std::string::npos);
}

TEST_CASE("a missing font directory is a clear error", "[e2e][kiosk]") {
  harness::Run run = harness::run_kiosk("dump x\n", {"--font-dir", "/nonexistent/fonts"});
  CHECK(run.exit_code == 3);
  CHECK(run.stderr_text.find("/nonexistent/fonts") != std::string::npos);
}

TEST_CASE("invalid UTF-8 in a PO file: that string falls back to English, the kiosk runs", "[e2e][kiosk]") {
  std::string dir = harness::temp_dir("locales");
  std::string src = std::string(SPORTELLO_SOURCE_DIR) + "/locales";
  for (const auto& f : std::filesystem::directory_iterator(src))
    std::filesystem::copy_file(f.path(), dir + "/" + f.path().filename().string());
  // Corrupt the Arabic welcome title: a lone 0xFF byte inside its msgstr.
  std::string ar = harness::read_file(dir + "/ar.po");
  size_t key = ar.find("msgctxt \"welcome.title\"");
  REQUIRE(key != std::string::npos);
  size_t msgstr = ar.find("msgstr \"", key);
  REQUIRE(msgstr != std::string::npos);
  ar.insert(msgstr + 8, "\xff");
  int line = 1 + (int)std::count(ar.begin(), ar.begin() + (long)msgstr, '\n');
  harness::write_file(dir + "/ar.po", ar);

  harness::Run run = harness::run_kiosk("tap home.start\ntap lang.ar\ndump welcome\n", {"--locales", dir});
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  CHECK(run.stderr_text.find("ar.po:" + std::to_string(line) +
                             ": invalid UTF-8 in msgstr; the English text is shown instead") != std::string::npos);
  nlohmann::json welcome = harness::load_dump(run, "welcome");
  nlohmann::json title = element(welcome, "welcome.title");
  REQUIRE(title.is_object());
  CHECK(title["text"] == "Welcome");
  CHECK(title["lang"] == "en");
  CHECK(element(welcome, "welcome.body")["lang"] == "ar");  // the rest of the file still loads
}

TEST_CASE("a drag scrolls with inertia and never fires a tap", "[e2e][kiosk]") {
  // A small screen with large physical targets (10 cm wide): the 18 languages do not fit, so the
  // list scrolls instead of shrinking its buttons below 9 mm.
  harness::Run run = harness::run_kiosk(
      "tap home.start\n"
      "dump before\n"
      "drag 400 400 400 340 60\n"
      "dump released\n"
      "wait 2000\n"
      "dump settled\n"
      "drag 400 300 400 330 400\n"
      "dump small-drag\n",
      {"--display-width-mm", "100"}, "800x480");
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  auto y_of = [&](const char* dump, const char* id) {
    nlohmann::json e = element(harness::load_dump(run, dump), id);
    return e.is_object() ? e["rect"][1].get<float>() : -1e9f;
  };
  nlohmann::json released = harness::load_dump(run, "released");
  CHECK(released["screen"] == "languages");   // the finger started on a language: no tap
  float before = y_of("before", "lang.ti"), after_release = y_of("released", "lang.ti"),
        settled = y_of("settled", "lang.ti");
  REQUIRE(before > -1e9f);
  REQUIRE(after_release > -1e9f);
  REQUIRE(settled > -1e9f);
  CHECK(after_release < before - 30);        // followed the finger (less the touch slop)
  CHECK(settled < after_release);            // and kept going after release (inertia)
  CHECK(harness::load_dump(run, "small-drag")["screen"] == "languages");  // slow drag: still no tap
}

TEST_CASE("a topic tile leads to the mediator form with that topic chosen", "[e2e][kiosk]") {
  harness::Run run = harness::run_kiosk("tap home.start\ntap lang.ur\ntap welcome.start\ntap topic.school\ndump form\n");
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  nlohmann::json form = harness::load_dump(run, "form");
  CHECK(form["screen"] == "mediator");
  CHECK(form["direction"] == "rtl");
  CHECK(element(form, "mediator.topic.school")["selected"] == true);
  CHECK(element(form, "mediator.topic.health")["selected"] == false);
  CHECK(element(form, "mediator.by_phone")["selected"] == true);
  CHECK(element(form, "mediator.title")["lang"] == "ur");
}

// The phases --trace-startup reports, in the order each thread passes them; never their times.
TEST_CASE("the start-up trace (--trace-startup) prints each start-up phase once, in order", "[e2e][startup]") {
  harness::Run traced = harness::run_kiosk("dump a\n", {"--trace-startup"});
  INFO(traced.stderr_text);
  REQUIRE(traced.exit_code == 0);
  auto at = [&](const std::string& phase) {
    std::string needle = "ms  " + phase + "\n";
    size_t pos = traced.stderr_text.find(needle);
    CHECK(pos != std::string::npos);
    if (pos != std::string::npos) CHECK(traced.stderr_text.find(needle, pos + 1) == std::string::npos);
    return pos;
  };
  size_t options = at("options parsed");
  // The loader thread and the window start side by side: each in its own order.
  size_t engine = at("loader: text engine created (font files found)"), strings = at("loader: UI strings loaded"),
         fonts = at("loader: first screen's fonts opened and shaped");
  size_t sdl = at("window: SDL video started"), gl = at("window: window and GL context created"),
         imgui = at("window: Dear ImGui backends started");
  size_t ready = at("window and loader ready"), shaders = at("window: shaders compiled"), layout = at("first layout"),
         presented = at("first frame presented");
  CHECK(options < engine);
  CHECK(engine < strings);
  CHECK(strings < fonts);
  CHECK(options < sdl);
  CHECK(sdl < gl);
  CHECK(gl < imgui);
  CHECK(fonts < ready);
  CHECK(imgui < ready);
  CHECK(ready < shaders);
  CHECK(shaders < layout);
  CHECK(layout < presented);
  // Every trace line has the same shape: "sportello[startup] <ms> ms  <phase>".
  CHECK(traced.stderr_text.find("sportello[startup] ") != std::string::npos);

  harness::Run quiet = harness::run_kiosk("dump a\n");
  REQUIRE(quiet.exit_code == 0);
  CHECK(quiet.stderr_text.find("sportello[startup]") == std::string::npos);
}

// Every option a config file may hold, with a malformed value and what the error says about it.
// The test below checks that this table, `sportello --help` and the README's reference agree.
struct BadOption {
  const char* key;
  const char* value;
  const char* expected;  // part of the message after "FILE:LINE: key: "
};
static const BadOption kBadOptions[] = {
    {"windowed", "800", "invalid value \"800\" (expected WIDTHxHEIGHT"},
    {"size", "10x10", "invalid value \"10x10\" (expected WIDTHxHEIGHT"},
    {"script", "", "expected a file or directory"},
    {"out", "", "expected a file or directory"},
    {"content", "", "expected a file or directory"},
    {"locales", "", "expected a file or directory"},
    {"font-dir", "", "expected a file or directory"},
    {"lang", "xx", "expected one of the 18 language codes"},
    {"idle-timeout", "4", "expected seconds between 5 and 3600"},
    {"idle-grace", "ten", "expected seconds between 1 and 600"},
    {"display-width-mm", "20", "expected millimetres between 50 and 5000"},
    {"outbox-db", "", "expected a file or directory"},
    {"hub-url", "http://hub.example.org", "expected an https:// address"},
    {"kiosk-id", "GR 01", "expected the id the hub knows this kiosk by"},
    {"ref-prefix", "gr1", "expected 1 to 4 capital letters or digits"},
    {"hub-token-file", "", "expected a file or directory"},
    {"hub-public-key", "AAAA", "expected the base64 of the hub's 32-byte public key"},
    {"hub-ca-file", "", "expected a file or directory"},
    {"hub-pin", "md5//abc", "expected sha256//"},
    {"uploader", "", "expected a file or directory"},
    {"state-dir", "", "expected a file or directory"},
    {"release-key", "not-a-key", "invalid release key"},
    {"release-threshold", "0", "expected a number of keys, at least 1"},
    {"update-interval", "59", "expected seconds between 60 and 86400"},
    {"content-mirror", "ftp://mirror", "expected an http:// or https:// address"},
    {"desk", "comune arcidosso", "expected a desk id of the pack"},
    {"mediator-days", "Tu,Xx", "expected weekdays like Tu,Th"},
    {"staff-pin-hash", "1234", "expected an Argon2id hash"},
    {"staff-lock-file", "", "expected a file or directory"},
    {"log-target", "syslog", "expected auto, journal, stderr or export"},
    {"map", "", "expected a file or directory"},
    {"position", "91,11", "expected LAT,LON in degrees"},
    {"frame-stats", "", "expected a file or directory"},
    // Flags that have no place in a config file.
    {"headless", "yes", "headless is a command-line flag only"},
    {"hash-pin", "yes", "hash-pin is a command-line flag only"},
    {"trace-startup", "yes", "trace-startup is a command-line flag only"},
};

TEST_CASE("every config option, malformed, is refused with file:line and what it expects", "[e2e][kiosk][config]") {
  std::string dir = harness::temp_dir("config-table");
  for (const BadOption& bad : kBadOptions) {
    std::string path = dir + "/" + bad.key + ".conf";
    std::string valid = std::string(bad.key) == "lang" ? "idle-grace = 10" : "lang = it";  // a good line before
    harness::write_file(path, "# a comment\n" + valid + "\n" + bad.key + " = " + bad.value + "\n");
    harness::Run run = harness::run_raw({"--config", path});
    INFO(bad.key << ": " << run.stderr_text);
    CHECK(run.exit_code == 2);
    CHECK(run.stderr_text.find(path + ":3: " + bad.key + ": ") != std::string::npos);
    CHECK(run.stderr_text.find(bad.expected) != std::string::npos);
  }

  // A key given twice (a line edited in one place and left in another) is refused; release keys
  // repeat by design.
  harness::write_file(dir + "/twice.conf", "lang = it\nidle-timeout = 60\n\nidle-timeout = 90\n");
  harness::Run twice = harness::run_raw({"--config", dir + "/twice.conf"});
  CHECK(twice.exit_code == 2);
  CHECK(twice.stderr_text.find("twice.conf:4: idle-timeout: given again (first at line 2)") != std::string::npos);
  harness::write_file(dir + "/unknown.conf", "lang = it\nidle-timout = 60\n");
  harness::Run unknown = harness::run_raw({"--config", dir + "/unknown.conf"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.stderr_text.find("unknown.conf:2: idle-timout: unknown option") != std::string::npos);

  // The table covers every option `sportello --help` lists, and the README documents each one in
  // its configuration reference.
  std::string help = harness::capture({SPORTELLO_KIOSK_BIN, "--help"});
  std::string readme = harness::read_file(std::string(SPORTELLO_SOURCE_DIR) + "/README.md");
  size_t ref = readme.find("### Configuration reference");
  REQUIRE(ref != std::string::npos);
  std::string reference = readme.substr(ref, readme.find("\n#", ref + 4) - ref);
  std::set<std::string> listed;
  for (size_t p = help.find("--"); p != std::string::npos; p = help.find("--", p + 2)) {
    size_t e = help.find_first_not_of("abcdefghijklmnopqrstuvwxyz-", p + 2);
    listed.insert(help.substr(p + 2, e - p - 2));
  }
  listed.erase("");
  CHECK(listed.size() > 30);
  for (const std::string& key : listed) {
    INFO("--" << key);
    if (key == "config" || key == "help") continue;
    CHECK(std::any_of(std::begin(kBadOptions), std::end(kBadOptions), [&](const BadOption& b) { return key == b.key; }));
    CHECK(reference.find("`" + key + "`") != std::string::npos);
  }
}
