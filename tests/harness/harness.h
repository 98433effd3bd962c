// The end-to-end harness: runs the real `sportello` binary headless with a script and reads back
// what it wrote, and runs the real `sportello-hub` on loopback in a fresh data directory.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace harness {

struct Run {
  int exit_code = -1;
  std::string stderr_text;
  std::string out_dir;
  // Peak resident memory of the run (wait4's ru_maxrss: the largest of the kiosk, the shell that
  // started it, and this process as it was when it forked; the kiosk's, in practice).
  long peak_rss_kb = 0;
};

// A fresh directory under the build tree, unique per call.
std::string temp_dir(const std::string& name);
void write_file(const std::string& path, const std::string& data);
std::string read_file(const std::string& path);

// Runs sportello --headless --size WxH --script (the given lines) --out DIR plus extra args.
Run run_kiosk(const std::string& script, const std::vector<std::string>& extra_args = {},
              const std::string& size = "1920x1080");
// The same in a directory the caller chose (e.g. to watch for a dump while the kiosk runs).
Run run_kiosk_in(const std::string& dir, const std::string& script, const std::vector<std::string>& extra_args = {},
                 const std::string& size = "1920x1080");
// Runs sportello with exactly these arguments (for option errors).
Run run_raw(const std::vector<std::string>& args);

// Runs a command to completion and returns its stdout.
std::string capture(const std::vector<std::string>& args);
// Runs the real sportello-admin with these arguments, its output appended to dir/admin.log; returns
// its exit status.
int admin(const std::string& dir, const std::vector<std::string>& args);
// The demo content (content/ and locales/) built into dir/v<version>.pack with that content_version
// and, when title is given, that Italian title for the permit renewal: releases a test can tell
// apart on screen. "" when the build fails (see dir/admin.log).
std::string build_demo_pack(const std::string& dir, int version, const std::string& title = "");
std::string last_line(const std::string& text);

// A server process started in the background; start() waits (bounded) for a line on its stdout
// beginning with `ready_prefix` and keeps what follows as the port. Stopped on destruction
// (SIGTERM, then SIGKILL after 10 s); not copyable, since a copy would stop it too.
struct Server {
  int pid = -1;
  int stdout_fd = -1;    // kept open: the server may keep writing to it
  std::string port;
  std::string log_path;  // when set, the server's stderr goes to this file
  bool start(const std::vector<std::string>& args, const std::string& ready_prefix);
  Server() = default;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();
};

// The real hub, provisioned in a fresh data dir (one kiosk GR-01 in group "default" with the
// reference prefix GR1; mediators anna and bruno with passwords password-anna and password-bruno,
// hashed with --cheap-hash, which needs SPORTELLO_TEST_CHEAP_HASH=1 in the environment (set here);
// admin ada with password
// password-ada and API token admin_token) and serving on a free loopback port; its log is
// dir/hub.log. Set release_keys (base64) and release_threshold before start() to make it trust them.
// Its kiosks have no per-kiosk request limits (benches upload thousands) unless a test sets
// kiosk_per_minute / kiosk_per_day before start().
//
// With SPORTELLO_TEST_POSTGRES in the environment (the file where ctest's PostgreSQL fixture wrote
// its server's URL) the hub's store is a fresh database on that server instead of DIR/hub.db:
// every sportello-hub command gets --database, SPORTELLO_DATABASE is set for the commands a test
// runs itself, and sql/rows/count/ids go through psql.
struct Hub {
  std::string dir, data, public_key, token, admin_token;
  std::string database;                // the PostgreSQL URL, or "" for the SQLite file in data
  std::string scheme = "http";
  std::string ref_prefix = "GR1";      // GR-01's reference prefix
  std::vector<std::string> release_keys;
  int release_threshold = 0;           // 0: the hub's default
  int64_t kiosk_per_minute = 0, kiosk_per_day = 0;  // 0: no limit
  Server server;
  bool start(const std::string& name, const std::vector<std::string>& serve_args = {});
  std::string url(const std::string& path = "") const;
  // Provisions another kiosk (while the hub runs) and returns its token, "" on failure. Its
  // reference prefix is ref_prefix, or when empty the id's letters and number ("GR-02" -> "GR2").
  std::string add_kiosk(const std::string& id, const std::string& group = "default",
                        const std::string& ref_prefix = "") const;
  // Runs one statement on the hub's database as a second writer (tests that must move a stored
  // time into the past, e.g. a rollout a day old). False when it fails.
  bool sql(const std::string& statement) const;
  // Reads the hub's database directly (a second reader; the hub keeps serving). The counts are -1
  // and the set is empty when the database cannot be read.
  int64_t rows() const;
  int64_t rows_with_ref(const std::string& ref) const;
  // The first column of the first row of a query (e.g. "SELECT count(*) FROM audit WHERE ..."):
  // what a test asks of tables the hub only appends to, such as the audit log. -1 when unreadable.
  int64_t count(const std::string& query) const;
  std::set<std::string> ids() const;
  // --database URL for a sportello-hub command line, or nothing on SQLite.
  std::vector<std::string> database_args() const;
};

// The PostgreSQL server of this ctest run ("postgresql://postgres@127.0.0.1:PORT"), or "" when
// the tests run on SQLite (no SPORTELLO_TEST_POSTGRES).
std::string test_postgres_server();
// A new, empty database on that server; its URL, or "" on failure.
std::string fresh_postgres_database(const std::string& name);
// Runs SQL through psql on a database URL; its output (unaligned, tuples only, command tags kept)
// without the final newline; false when psql fails.
bool psql(const std::string& url, const std::string& sql, std::string* out);

// A random (version 4) UUID, as kiosks make request ids.
std::string random_uuid();

nlohmann::json load_dump(const Run& run, const std::string& name);
// The element with this id in a dump, or null json when absent.
nlohmann::json element(const nlohmann::json& dump, const std::string& id);

}  // namespace harness
