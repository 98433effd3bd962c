// Crash test (issue #4): the kiosk side (outbox-tool by default, or $OUTBOX_CRASH_CMD) enqueues
// and uploads and is killed with SIGKILL at a random moment, >= 200 seeded rounds. After each
// round the database must pass PRAGMA integrity_check and hold every request that was confirmed;
// at the end every confirmed request is on the hub exactly once.
//   OUTBOX_CRASH_ROUNDS (200)  OUTBOX_CRASH_SEED (20261122)  OUTBOX_CRASH_CMD (outbox-tool path)
#include "child.h"
#include "outbox_internal.h"
#include "test_hub.h"
#include "test_util.h"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <map>
#include <random>
#include <set>
#include <sstream>

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

static std::set<std::string> ids_in_db(const std::string& path) {
  sqlite3* raw = nullptr;
  sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  Db db(raw);
  Stmt st(raw, "SELECT id FROM requests");
  std::set<std::string> out;
  while (st.step() == SQLITE_ROW) out.insert(st.col_text(0));
  return out;
}

TEST_CASE("outbox-crash-01 kill -9 during enqueue and upload loses and duplicates nothing", "[outbox][crash]") {
  const int rounds = std::stoi(env_or("OUTBOX_CRASH_ROUNDS", "200"));
  const unsigned seed = (unsigned)std::stoul(env_or("OUTBOX_CRASH_SEED", "20261122"));
  const std::string tool = env_or("OUTBOX_CRASH_CMD", SPORTELLO_BINARY_DIR "/kiosk/outbox/outbox-tool");
  INFO("seed " << seed << ", command " << tool);
  TempDir dir;
  HubKeys keys;
  TestHub hub("test-token-gr1", "kiosk-gr1");
  REQUIRE(hub.ok());
  Config c = make_config(dir, keys, "http://127.0.0.1:" + std::to_string(hub.port()));
  std::vector<std::string> base = {tool,          "--db",      c.db_path,    "--hub",    c.hub_url,
                                   "--kiosk",     c.kiosk_id,  "--prefix",   c.ref_prefix, "--token",
                                   c.token,       "--hub-key", keys.pk_b64, "--base-ms", "5",
                                   "--cap-ms",    "50"};
  std::mt19937 rng(seed);
  std::map<std::string, std::string> confirmed;  // id -> ref
  int killed_with_output = 0;
  for (int round = 0; round < rounds; round++) {
    std::vector<std::string> argv = base;
    argv.push_back("run");
    argv.push_back(std::to_string(1 + rng() % 4));
    int delay_ms = (int)(rng() % 90);  // covers start-up, the enqueue fsyncs and the uploads
    Child child(argv, dir.file("kiosk.log"));
    REQUIRE(child.ok());
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
    while (std::chrono::steady_clock::now() < until) child.read_for(1);
    child.kill9();
    int confirmed_now = 0;
    for (const std::string& line : child.lines()) {
      std::istringstream words(line);
      std::string word, ref, id;
      words >> word >> ref >> id;
      if (word != "confirmed") continue;
      confirmed[id] = ref;
      confirmed_now++;
    }
    killed_with_output += confirmed_now > 0;
    INFO("round " << round << ", killed after " << delay_ms << " ms");
    REQUIRE(integrity_check(c.db_path) == "ok");
    std::set<std::string> stored = ids_in_db(c.db_path);
    for (auto& [id, ref] : confirmed) REQUIRE(stored.count(id) == 1);  // confirmed means durable
  }
  CHECK(killed_with_output > rounds / 4);  // the kills did land among the enqueues
  std::vector<std::string> drain = base;
  drain.push_back("--timeout-ms");
  drain.push_back("60000");
  drain.push_back("drain");
  Child last(drain, dir.file("kiosk.log"));
  REQUIRE(last.wait() == 0);
  std::set<std::string> stored = ids_in_db(c.db_path);
  CHECK(hub.max_times_stored() == 1);  // none twice
  for (auto& [id, ref] : confirmed) CHECK(hub.times_stored(id) == 1);
  for (const std::string& id : hub.ids()) CHECK(stored.count(id) == 1);  // nothing the kiosk did not write
  CHECK(hub.stored() == stored.size());
  Outbox box = Outbox::open(c);
  REQUIRE(box.ok());
  CHECK(box.status().queue_depth == 0);
  CHECK(box.status().sent_total == (int64_t)stored.size());
  WARN("crash rounds " << rounds << ", confirmed " << confirmed.size() << ", stored " << stored.size());
}
