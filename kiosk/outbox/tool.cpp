// outbox-tool: a small command line over the outbox library, for tests, benchmarks and
// provisioning checks on a kiosk.
//
//   outbox-tool [options] enqueue N        enqueue N requests; "confirmed REF ID" after each commit
//   outbox-tool [options] drain            deliver until the queue is empty (exit 1 on --timeout-ms)
//   outbox-tool [options] status           queue figures as JSON
//   outbox-tool [options] lookup REF       local state of a reference code
//   outbox-tool [options] remote REF       the hub's status of a reference code
//   outbox-tool [options] check            PRAGMA integrity_check of the database
//
// Options: --db PATH --hub URL --kiosk ID --prefix P --token T --hub-key B64 [--ca FILE]
//          [--pin sha256//...] [--base-ms N] [--cap-ms N] [--timeout-ms N] [--low-speed-s N]
//          [--name TEXT] [--phone TEXT] [--contact phone|desk] [--lang L] [--topic T]
// Name and phone are only for tests (the kiosk's screens fill RequestInput directly).
#include "outbox_internal.h"

#include "platform.h"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

using namespace outbox;

struct Args {
  std::map<std::string, std::string> opt;
  std::vector<std::string> words;
  std::string get(const char* key, const char* fallback = "") const {
    auto it = opt.find(key);
    return it == opt.end() ? fallback : it->second;
  }
};

static Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--", 2) == 0 && i + 1 < argc) {
      a.opt[argv[i] + 2] = argv[i + 1];
      i++;
    } else {
      a.words.push_back(argv[i]);
    }
  }
  return a;
}

static Config config_from(const Args& a) {
  Config c;
  c.db_path = a.get("db", "outbox.db");
  c.hub_url = a.get("hub");
  c.kiosk_id = a.get("kiosk");
  c.ref_prefix = a.get("prefix");
  c.token = a.get("token");
  c.hub_public_key_b64 = a.get("hub-key");
  c.ca_file = a.get("ca");
  c.pinned_public_key = a.get("pin");
  if (!a.get("base-ms").empty()) c.backoff_base_ms = std::stoull(a.get("base-ms"));
  if (!a.get("cap-ms").empty()) c.backoff_cap_ms = std::stoull(a.get("cap-ms"));
  if (!a.get("low-speed-s").empty()) c.low_speed_time_s = std::stol(a.get("low-speed-s"));
  c.probe_interval_ms = 200;
  return c;
}

// Enqueues n requests; a line goes to stdout only after enqueue returned ok (= "on screen").
static int enqueue_n(Outbox& box, const Args& a, int n) {
  for (int i = 0; i < n; i++) {
    RequestInput in;
    in.lang = a.get("lang", "ar");
    in.topic = a.get("topic", "health");
    in.contact = a.get("contact", "phone");
    in.name.set(a.get("name", "Test Visitor"));
    in.phone.set(a.get("phone", "+39 000 0000000"));
    EnqueueResult r = box.enqueue(in);
    if (!r.ok) {
      fprintf(stderr, "outbox-tool: enqueue failed: %s\n", r.error.c_str());
      return 1;
    }
    printf("confirmed %s %s\n", r.ref.c_str(), r.id.c_str());
    fflush(stdout);
  }
  return 0;
}

static int drain(Outbox& box, Uploader& up, long timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (box.status().queue_depth > 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      fprintf(stderr, "outbox-tool: queue not empty after %ld ms: %s\n", timeout_ms, up.snapshot().last_error.c_str());
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return 0;
}

static int integrity(const Config& c) {
  sqlite3* raw = nullptr;
  sqlite3_open_v2(c.db_path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
  Db db(raw);
  Stmt st(raw, "PRAGMA integrity_check");
  std::string result = st.step() == SQLITE_ROW ? st.col_text(0) : sqlite3_errmsg(raw);
  printf("%s\n", result.c_str());
  return result == "ok" ? 0 : 1;
}

static int status(Outbox& box) {
  QueueStatus q = box.status();
  nlohmann::json j = {{"ok", q.ok},
                      {"queue_depth", q.queue_depth},
                      {"oldest_unsent_age_s", q.oldest_unsent_age_s},
                      {"permanent_errors", q.permanent_errors},
                      {"sent_total", q.sent_total},
                      {"last_success_unix_ms", q.last_success_unix_ms},
                      {"last_error", q.last_error}};
  printf("%s\n", j.dump().c_str());
  return q.ok ? 0 : 1;
}

int main(int argc, char** argv) {
  Args a = parse(argc, argv);
  if (a.words.empty()) {
    fprintf(stderr, "usage: outbox-tool [options] enqueue N | drain | status | lookup REF | remote REF | check\n");
    return 2;
  }
  Config c = config_from(a);
  const std::string& cmd = a.words[0];
  if (cmd == "check") return integrity(c);
  Outbox box = Outbox::open(c);
  if (!box.ok()) {
    fprintf(stderr, "outbox-tool: %s\n", box.error().c_str());
    return 1;
  }
  int n = a.words.size() > 1 ? atoi(a.words[1].c_str()) : 0;
  if (cmd == "enqueue") return enqueue_n(box, a, n);
  if (cmd == "status") return status(box);
  if (cmd == "lookup") {
    LocalLookup l = box.lookup(a.words.size() > 1 ? a.words[1] : "");
    printf("%s\n", l.found ? state_name(l.state) : "not_found");
    return l.ok ? 0 : 1;
  }
  Uploader up(c);
  if (cmd == "remote") {
    RemoteStatus r = up.remote_status(a.words.size() > 1 ? a.words[1] : "");
    printf("%s\n", !r.ok ? ("error: " + r.error).c_str() : r.found ? r.status.c_str() : "not_found");
    return r.ok ? 0 : 1;
  }
  std::string err;
  if (cmd == "drain" && !up.start(&err)) {
    fprintf(stderr, "outbox-tool: %s\n", err.c_str());
    return 1;
  }
  if (cmd == "drain") return drain(box, up, std::stol(a.get("timeout-ms", "60000")));
  fprintf(stderr, "outbox-tool: unknown command %s\n", cmd.c_str());
  return 2;
}
