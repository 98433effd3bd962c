// Crash test: the real kiosk binary, headless and scripted, takes one to four visitors'
// requests while its uploader sends them to the real hub on loopback, and is killed with SIGKILL
// at a seeded moment: during start-up, an enqueue's fsync, an upload, or between them.
// After each round the outbox passes PRAGMA integrity_check and holds every request whose
// reference code was on screen; at the end every such request is on the hub exactly once.
//   OUTBOX_CRASH_ROUNDS (200)  OUTBOX_CRASH_SEED (20261122)
#include "child.h"
#include "harness.h"
#include "outbox_internal.h"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

using namespace outbox;
using namespace outbox_test;

static std::string env_or(const char* name, const std::string& fallback) {
  const char* v = getenv(name);
  return v && *v ? v : fallback;
}

static std::string integrity_check(const std::string& path) {
  sqlite3* raw = nullptr;
  sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
  Db db(raw);
  Stmt st(raw, "PRAGMA integrity_check");
  return st.step() == SQLITE_ROW ? st.col_text(0) : sqlite3_errmsg(raw);
}

// Column 0 of every row of `sql` on the kiosk's outbox.
static std::set<std::string> column(const std::string& path, const char* sql) {
  sqlite3* raw = nullptr;
  sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  Db db(raw);
  Stmt st(raw, sql);
  std::set<std::string> out;
  while (st.step() == SQLITE_ROW) out.insert(st.col_text(0));
  return out;
}

// The visitor's flow, `count` times: each confirmation screen is dumped as confirmed-N.json (the
// kiosk writes dumps atomically, so a dump that exists is one that was on screen).
static std::string visitors_script(int count) {
  std::string s;
  for (int i = 0; i < count; i++)
    s += "tap home.start\ntap lang.ar\ntap welcome.start\ntap nav.mediator\ntap mediator.topic.health\n"
         "tap mediator.by_phone\ntap mediator.next\ntype Amina\ntap mediator.phone\ntype 3331234567\n"
         "tap mediator.next\ntap mediator.consent\ntap mediator.send\ndump confirmed-" + std::to_string(i) +
         "\ntap nav.home\n";
  return s;
}

// The reference code on a confirmation dump, or "" when the kiosk never wrote it.
static std::string confirmed_ref(const std::string& path) {
  std::string text = harness::read_file(path);
  if (text.empty()) return "";
  nlohmann::json ref = harness::element(nlohmann::json::parse(text), "mediator.ref");
  return ref.is_object() ? ref["text"].get<std::string>() : "";
}

TEST_CASE("outbox-crash-01 kill -9 of the kiosk during enqueue and upload loses and duplicates nothing", "[outbox][crash]") {
  const int rounds = std::stoi(env_or("OUTBOX_CRASH_ROUNDS", "200"));
  const unsigned seed = (unsigned)std::stoul(env_or("OUTBOX_CRASH_SEED", "20261122"));
  INFO("seed " << seed);
  harness::Hub hub;
  REQUIRE(hub.start("crash-hub"));
  std::string dir = harness::temp_dir("crash-kiosk");
  std::string db = dir + "/outbox.db";
  harness::write_file(dir + "/token", hub.token + "\n");
  std::vector<std::string> base = {SPORTELLO_KIOSK_BIN, "--headless", "--size", "1280x800", "--outbox-db", db,
                                   "--hub-url", hub.url(), "--kiosk-id", "GR-01", "--ref-prefix", "GR1",
                                   "--hub-token-file", dir + "/token", "--hub-public-key", hub.public_key};
  for (int n = 1; n <= 4; n++) harness::write_file(dir + "/visitors-" + std::to_string(n) + ".txt", visitors_script(n));
  harness::write_file(dir + "/drain.txt", "drain 60000\n");

  std::mt19937 rng(seed);
  std::set<std::string> confirmed;  // reference codes the kiosk showed
  int rounds_with_confirmation = 0, rounds_killed_early = 0;
  for (int round = 0; round < rounds; round++) {
    std::string out = dir + "/round";
    std::filesystem::remove_all(out);
    std::filesystem::create_directories(out);
    int visitors = 1 + (int)(rng() % 4);
    // The kill lands during start-up (after = -1) or just after confirmation `after` was on
    // screen, plus a jitter that reaches into the next enqueue's fsync, an upload, or the gap
    // between them. Chosen by events, not by timing, so a slow or a fast machine covers the same
    // moments.
    int after = (int)(rng() % (unsigned)(visitors + 1)) - 1;
    int jitter_ms = (int)(rng() % 150);
    INFO("round " << round << ", " << visitors << " visitors, killed " << jitter_ms << " ms after confirmation "
                  << after);
    std::vector<std::string> argv = base;
    argv.insert(argv.end(), {"--script", dir + "/visitors-" + std::to_string(visitors) + ".txt", "--out", out});
    Child child(argv, dir + "/kiosk.log");
    REQUIRE(child.ok());
    if (after >= 0) {
      std::string mark = out + "/confirmed-" + std::to_string(after) + ".json";
      auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (!std::filesystem::exists(mark) && !child.exited() && std::chrono::steady_clock::now() < limit)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      REQUIRE(std::filesystem::exists(mark));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(after < 0 ? 3 * jitter_ms : jitter_ms));
    int status = child.kill9();
    REQUIRE((status == -1 || status == 0));  // killed, or its script ended: it never failed by itself
    int confirmed_now = 0;
    for (int i = 0; i < visitors; i++) {
      std::string ref = confirmed_ref(out + "/confirmed-" + std::to_string(i) + ".json");
      if (ref.empty()) continue;
      confirmed.insert(ref);
      confirmed_now++;
    }
    rounds_with_confirmation += confirmed_now > 0;
    rounds_killed_early += confirmed_now < visitors;
    if (!std::filesystem::exists(db)) continue;  // killed before the outbox was created
    REQUIRE(integrity_check(db) == "ok");
    std::set<std::string> stored = column(db, "SELECT ref FROM requests");
    for (const std::string& ref : confirmed) REQUIRE(stored.count(ref));  // on screen means durable
  }
  // The kills did land both before and after confirmations.
  CHECK(rounds_with_confirmation > rounds / 4);
  CHECK(rounds_killed_early > rounds / 4);

  std::vector<std::string> argv = base;
  argv.insert(argv.end(), {"--script", dir + "/drain.txt", "--out", dir});
  Child last(argv, dir + "/kiosk.log");
  REQUIRE(last.wait() == 0);
  std::set<std::string> stored_ids = column(db, "SELECT id FROM requests");
  CHECK(hub.ids() == stored_ids);  // everything the kiosk stored, and nothing else
  for (const std::string& ref : confirmed) CHECK(hub.rows_with_ref(ref) == 1);  // none lost, none twice
  CHECK(column(db, "SELECT id FROM requests WHERE body IS NOT NULL").empty());  // sealed data gone once acknowledged
  WARN("crash rounds " << rounds << ", confirmed on screen " << confirmed.size() << ", stored " << stored_ids.size());
}
