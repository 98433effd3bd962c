// The staff view behind the hidden gesture and a PIN: the real kiosk, headless. Wrong PINs lock
// it, the lock survives a restart and ends on the kiosk's (virtual) clock; no PIN, no staff view.
#include "harness.h"

#include <catch2/catch.hpp>
#include <sodium.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sys/wait.h>

using harness::element;

static const std::string kPin = "246810";

// Any valid crypto_pwhash_str string is accepted: the test's is cheap to check.
static std::string cheap_hash(const std::string& pin) {
  REQUIRE(sodium_init() >= 0);
  char hash[crypto_pwhash_STRBYTES];
  REQUIRE(crypto_pwhash_str(hash, pin.c_str(), pin.size(), crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN) == 0);
  return hash;
}

static std::string five_taps() { return "tap staff.corner\ntap staff.corner\ntap staff.corner\ntap staff.corner\ntap staff.corner\n"; }

static std::string enter(const std::string& pin) {
  std::string s;
  for (char c : pin) s += std::string("tap key.") + c + "\n";
  return s + "tap key.done\n";
}

static std::vector<std::string> staff_args(const std::string& dir) {
  return {"--staff-pin-hash", cheap_hash(kPin), "--staff-lock-file", dir + "/staff-lock.json"};
}

TEST_CASE("without a PIN hash the corner gesture opens nothing", "[e2e][staff]") {
  harness::Run run = harness::run_kiosk(five_taps() + "dump after\n");
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  CHECK(harness::load_dump(run, "after")["screen"] == "home");
  CHECK(run.stderr_text.find("no staff-pin-hash configured") != std::string::npos);
}

TEST_CASE("the right PIN opens the staff view, the PIN screen shows no digit", "[e2e][staff]") {
  std::string dir = harness::temp_dir("staff-ok");
  harness::Run run = harness::run_kiosk_in(dir, five_taps() + "dump pin\ntap key.2\ntap key.4\ndump typed\n" + enter("6810") +
                                                    "dump staff\n",
                                           staff_args(dir));
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  nlohmann::json pin = harness::load_dump(run, "pin");
  CHECK(pin["screen"] == "staff-pin");
  CHECK(pin["lang"] == "it");
  CHECK(element(pin, "key.7").is_object());
  nlohmann::json typed = element(harness::load_dump(run, "typed"), "staff.pin.field");
  REQUIRE(typed.is_object());
  CHECK(typed["text"] == "••");
  nlohmann::json staff = harness::load_dump(run, "staff");
  CHECK(staff["screen"] == "staff");
  CHECK(element(staff, "staff.restart").is_object());
  CHECK(element(staff, "staff.exit").is_object());
}

TEST_CASE("five wrong PINs lock the staff view, also across a restart, until the lockout ends", "[e2e][staff]") {
  std::string dir = harness::temp_dir("staff-lock");
  std::string wrong;
  for (int i = 0; i < 5; i++) wrong += enter("1111") + "dump wrong" + std::to_string(i + 1) + "\n";
  harness::Run first = harness::run_kiosk_in(dir, five_taps() + wrong + enter(kPin) + "dump refused\n" +
                                                      "wait 61000\ndump later\n", staff_args(dir));
  INFO(first.stderr_text);
  REQUIRE(first.exit_code == 0);
  nlohmann::json one = harness::load_dump(first, "wrong1");
  CHECK(one["screen"] == "staff-pin");
  CHECK(element(one, "staff.pin.message")["text"] == "PIN errato: 4 tentativi rimasti");
  nlohmann::json locked = harness::load_dump(first, "wrong5");
  CHECK(locked["screen"] == "staff-pin");
  CHECK(element(locked, "staff.pin.locked")["text"] == "Troppi PIN errati: riprova tra 5 minuti");
  nlohmann::json refused = harness::load_dump(first, "refused");
  CHECK(refused["screen"] == "staff-pin");           // the right PIN does not open a locked view
  CHECK(element(refused, "staff.pin.locked").is_object());
  CHECK(element(harness::load_dump(first, "later"), "staff.pin.locked")["text"] == "Troppi PIN errati: riprova tra 4 minuti");

  // The lock file holds counts and a time, never the PIN.
  std::string lock = harness::read_file(dir + "/staff-lock.json");
  INFO(lock);
  nlohmann::json state = nlohmann::json::parse(lock);
  CHECK(state["failures"] == 5);
  CHECK(state["lockouts"] == 1);
  CHECK(state["locked_until_unix_ms"].get<int64_t>() > 0);
  CHECK(lock.find(kPin) == std::string::npos);
  CHECK(lock.find("1111") == std::string::npos);

  // A restart: the virtual clock starts again at the same instant, and the lock is still there.
  harness::Run second = harness::run_kiosk_in(dir, five_taps() + "dump locked\n" + enter(kPin) + "dump still\n" +
                                                       "wait 310000\ndump home\n" + five_taps() + enter(kPin) + "dump staff\n",
                                              staff_args(dir));
  INFO(second.stderr_text);
  REQUIRE(second.exit_code == 0);
  CHECK(element(harness::load_dump(second, "locked"), "staff.pin.locked").is_object());
  CHECK(harness::load_dump(second, "still")["screen"] == "staff-pin");
  CHECK(harness::load_dump(second, "home")["screen"] == "home");   // idle took the PIN screen away
  CHECK(harness::load_dump(second, "staff")["screen"] == "staff"); // the lockout is over
  nlohmann::json cleared = nlohmann::json::parse(harness::read_file(dir + "/staff-lock.json"));
  CHECK(cleared["failures"] == 0);
  CHECK(cleared["locked_until_unix_ms"] == 0);
}

TEST_CASE("the staff view restarts the kiosk (exit 0) or closes it (exit 10, after a confirmation)", "[e2e][staff]") {
  std::string dir = harness::temp_dir("staff-exit");
  harness::Run restart = harness::run_kiosk_in(dir, five_taps() + enter(kPin) + "tap staff.restart\ndump after\n", staff_args(dir));
  INFO(restart.stderr_text);
  CHECK(restart.exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(dir + "/after.json"));   // the script stopped with the kiosk

  std::string dir2 = harness::temp_dir("staff-quit");
  harness::Run quit = harness::run_kiosk_in(
      dir2, five_taps() + enter(kPin) + "tap staff.exit\ndump confirm\ntap staff.exit.confirm\ndump after\n", staff_args(dir2));
  INFO(quit.stderr_text);
  CHECK(quit.exit_code == 10);
  CHECK(element(harness::load_dump(quit, "confirm"), "staff.exit.confirm").is_object());
  CHECK_FALSE(std::filesystem::exists(dir2 + "/after.json"));
}

TEST_CASE("sportello --hash-pin prints a config line the kiosk accepts, a malformed hash is refused with file:line",
          "[e2e][staff]") {
  std::string dir = harness::temp_dir("hash-pin");
  std::string cmd = "echo 4321 | '" + std::string(SPORTELLO_KIOSK_BIN) + "' --hash-pin";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[512];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    REQUIRE(pclose(p) == 0);
  }
  std::string prefix = "staff-pin-hash = $argon2id$";
  REQUIRE(out.rfind(prefix, 0) == 0);
  std::string hash = harness::last_line(out).substr(std::string("staff-pin-hash = ").size());
  REQUIRE(sodium_init() >= 0);
  CHECK(crypto_pwhash_str_verify(hash.c_str(), "4321", 4) == 0);
  CHECK(crypto_pwhash_str_verify(hash.c_str(), "4322", 4) != 0);

  harness::write_file(dir + "/good.conf", "# staff\n" + out);
  harness::Run good = harness::run_raw({"--config", dir + "/good.conf", "--help"});
  CHECK(good.exit_code == 0);
  harness::write_file(dir + "/bad.conf", "lang = it\nstaff-pin-hash = 4321\n");
  harness::Run bad = harness::run_raw({"--config", dir + "/bad.conf", "--help"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.stderr_text.find("bad.conf:2: staff-pin-hash") != std::string::npos);
  CHECK(bad.stderr_text.find("4321") == std::string::npos);

  std::string short_pin = "echo 12 | '" + std::string(SPORTELLO_KIOSK_BIN) + "' --hash-pin 2>/dev/null";
  FILE* p = popen(short_pin.c_str(), "r");
  REQUIRE(p);
  CHECK(WEXITSTATUS(pclose(p)) == 2);
}

TEST_CASE("a hardware keyboard types digits into the PIN field only, and its shortcuts edit nothing", "[e2e][staff]") {
  std::string dir = harness::temp_dir("staff-keys");
  harness::Run run = harness::run_kiosk_in(dir, "type 999\nkey backspace\ndump home\n" + five_taps() +
                                                    "type 12ab\nkey ctrl+backspace\nkey alt+backspace\nkey ctrl+w\ndump typed\n"
                                                    "key backspace\ndump deleted\n",
                                           staff_args(dir));
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  CHECK(harness::load_dump(run, "home")["screen"] == "home");   // no field: typing went nowhere
  nlohmann::json typed = harness::load_dump(run, "typed");
  REQUIRE(typed["screen"] == "staff-pin");
  CHECK(element(typed, "staff.pin.field")["text"] == "••");
  CHECK(element(harness::load_dump(run, "deleted"), "staff.pin.field")["text"] == "•");
}

// The rectangle's centre, for markers drawn around the point they mark.
static void check_centre(const nlohmann::json& e, float x, float y) {
  REQUIRE(e.is_object());
  const nlohmann::json& r = e["rect"];
  CHECK(std::abs(r[0].get<float>() + r[2].get<float>() * 0.5f - x) <= 2);
  CHECK(std::abs(r[1].get<float>() + r[3].get<float>() * 0.5f - y) <= 2);
}

TEST_CASE("the touch test marks each touch and turns the corner and centre targets green, idle draws nothing",
          "[e2e][staff]") {
  std::string dir = harness::temp_dir("staff-touch");
  harness::Run run = harness::run_kiosk_in(
      dir, five_taps() + enter(kPin) + "tap staff.touch\ndump fresh\n"
           "tap-at 6 6\ntap-at 1913 8\ndump two\ntap-at 7 1072\ntap-at 1914 1074\ntap-at 960 540\ndump all\n"
           "wait 30000\ndump idle\nwait 1\ndump idle2\nfingers 3 400 600 100 0 160\ndump fingers\ntap touch.back\ndump back\n",
      staff_args(dir));
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  const char* targets[] = {"touch.target.tl", "touch.target.tr", "touch.target.bl", "touch.target.br", "touch.target.c"};
  nlohmann::json fresh = harness::load_dump(run, "fresh");
  REQUIRE(fresh["screen"] == "staff-touch");
  for (const char* id : targets) {
    INFO(id);
    REQUIRE(element(fresh, id).is_object());
    CHECK(element(fresh, id)["selected"] == false);
  }
  CHECK_FALSE(element(fresh, "touch.mark.0").is_object());
  CHECK(element(fresh, "touch.last")["text"] == "Nessun tocco ancora");

  nlohmann::json two = harness::load_dump(run, "two");
  CHECK(element(two, "touch.target.tl")["selected"] == true);
  CHECK(element(two, "touch.target.tr")["selected"] == true);
  CHECK(element(two, "touch.target.bl")["selected"] == false);
  CHECK(element(two, "touch.target.c")["selected"] == false);
  check_centre(element(two, "touch.mark.0"), 1913, 8);

  nlohmann::json all = harness::load_dump(run, "all");
  for (const char* id : targets) {
    INFO(id);
    CHECK(element(all, id)["selected"] == true);
  }
  nlohmann::json mark = element(all, "touch.mark.0");
  check_centre(mark, 960, 540);
  CHECK(mark["selected"] == false);  // lifted: the cross-hair stays where the finger was
  // 1920 px across the headless display's width: the millimetres follow from its density.
  CHECK(mark["text"].get<std::string>().rfind("960 × 540 px · ", 0) == 0);
  CHECK(element(all, "touch.last")["text"].get<std::string>().find("960 × 540 px") != std::string::npos);

  // Thirty seconds untouched draw no more frames than one millisecond does.
  int64_t a = all["frames"], b = harness::load_dump(run, "idle")["frames"], c = harness::load_dump(run, "idle2")["frames"];
  CHECK(b - a == c - b);

  // Three fingers at once (SDL touch events, as a panel sends them) get a cross-hair each, left
  // where they were lifted; the mouse's mark stays.
  nlohmann::json fingers = harness::load_dump(run, "fingers");
  check_centre(element(fingers, "touch.mark.0"), 960, 540);
  for (int i = 0; i < 3; i++) {
    INFO(i);
    check_centre(element(fingers, "touch.mark." + std::to_string(i + 1)), 500.0f + 40 * i, 600);
  }
  CHECK_FALSE(element(fingers, "touch.mark.4").is_object());
  CHECK(harness::load_dump(run, "back")["screen"] == "staff");
}

static const char* kHubKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";   // 32 bytes: a well-formed key

TEST_CASE("the staff view shows the kiosk, its versions, the network, the hub unreachable and why, and recent errors",
          "[e2e][staff]") {
  std::string dir = harness::temp_dir("staff-health");
  harness::write_file(dir + "/token", "kiosk-token\n");
  std::vector<std::string> args = staff_args(dir);
  // Nothing listens on port 1 of loopback: the hub is down.
  for (const std::string& a : {std::string("--outbox-db"), dir + "/outbox.db", std::string("--hub-url"),
                               std::string("http://127.0.0.1:1"), std::string("--kiosk-id"), std::string("GR-07"),
                               std::string("--hub-token-file"), dir + "/token", std::string("--hub-public-key"),
                               std::string(kHubKey)})
    args.push_back(a);
  harness::Run run = harness::run_kiosk_in(
      dir, five_taps() + enter("1111") + enter(kPin) + "await 30000 staff.hub non raggiungibile\ndump staff\n", args);
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  nlohmann::json staff = harness::load_dump(run, "staff");
  REQUIRE(staff["screen"] == "staff");
  std::string kiosk = element(staff, "staff.kiosk").value("text", "");
  CHECK(kiosk.find("GR-07") != std::string::npos);
  CHECK(kiosk.find("app 0.1.0") != std::string::npos);
  CHECK(element(staff, "staff.network")["text"].get<std::string>().rfind("Rete", 0) == 0);
  // curl's reason, as the staff read it to whoever looks after the network.
  std::string hub = element(staff, "staff.hub").value("text", "");
  CHECK(hub.find("Hub non raggiungibile: ") == 0);
  CHECK(hub.find("Couldn't connect to server") != std::string::npos);
  // The wrong PIN is the newest warning of the kiosk's log; no digit of it is there.
  std::string recent = element(staff, "staff.recent.0").value("text", "");
  CHECK(recent.find("staff: wrong staff PIN (1 of 5)") != std::string::npos);
  CHECK(recent.find("1111") == std::string::npos);
  CHECK(element(staff, "staff.sync").is_object());
  CHECK(element(staff, "staff.queue").is_object());
}

// "Invia ora" only wakes the network process; it would deliver this request by itself too (it
// reads the queue when it starts), so the test shows that the action is there and answered and
// that the view then shows an empty queue, not that the tap caused the delivery.
TEST_CASE("with the hub up the staff view says it is reachable, after 'Invia ora' the queue shows empty",
          "[e2e][staff]") {
  std::string dir = harness::temp_dir("staff-sync");
  harness::Hub hub;
  REQUIRE(hub.start("staff-sync-hub"));
  harness::write_file(dir + "/token", hub.token + "\n");
  auto args = [&](const std::string& url) {
    std::vector<std::string> a = staff_args(dir);
    for (const std::string& s : {std::string("--outbox-db"), dir + "/outbox.db", std::string("--hub-url"), url,
                                 std::string("--kiosk-id"), std::string("GR-01"), std::string("--ref-prefix"),
                                 std::string("GR1"), std::string("--hub-token-file"), dir + "/token",
                                 std::string("--hub-public-key"), hub.public_key})
      a.push_back(s);
    return a;
  };
  // A request queued while the hub was unreachable.
  harness::Run offline = harness::run_kiosk_in(
      dir, "tap home.start\ntap lang.it\ntap welcome.start\ntap nav.mediator\ntap mediator.topic.health\n"
           "tap mediator.by_phone\ntap mediator.next\ntap mediator.phone\ntype 3330000000\n"
           "tap mediator.next\ntap mediator.consent\ntap mediator.send\ndump done\n",
      args("http://127.0.0.1:1"));
  INFO(offline.stderr_text);
  REQUIRE(offline.exit_code == 0);
  REQUIRE(element(harness::load_dump(offline, "done"), "mediator.ref").is_object());
  CHECK(hub.rows() == 0);

  std::string dir2 = harness::temp_dir("staff-sync-2");
  harness::Run online = harness::run_kiosk_in(
      dir2, five_taps() + enter(kPin) + "tap staff.sync\ndump asked\nawait 30000 staff.queue 0 richieste\n"
            "await 30000 staff.hub Hub raggiungibile\ndump staff\n",
      args(hub.url()));
  INFO(online.stderr_text);
  REQUIRE(online.exit_code == 0);
  CHECK(element(harness::load_dump(online, "asked"), "staff.sync.asked").is_object());
  nlohmann::json staff = harness::load_dump(online, "staff");
  CHECK(element(staff, "staff.hub")["text"] == "Hub raggiungibile (" + hub.url() + ")");
  CHECK(hub.rows() == 1);
}
