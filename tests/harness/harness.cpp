#include "harness.h"

#include <sqlite3.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace harness {

std::string temp_dir(const std::string& name) {
  static std::atomic<int> counter{0};
  std::string dir = std::string(SPORTELLO_BINARY_DIR) + "/test-output/" + name + "-" + std::to_string(getpid()) +
                    "-" + std::to_string(counter++);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

static std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

static Run exec(const std::vector<std::string>& args, const std::string& dir) {
  Run run;
  run.out_dir = dir;
  std::string cmd = std::string("env -u DISPLAY -u WAYLAND_DISPLAY ") + quote(SPORTELLO_KIOSK_BIN);
  for (const std::string& a : args) cmd += " " + quote(a);
  cmd += " 2>" + quote(dir + "/stderr.txt") + " >/dev/null";
  // system() without its reaping: wait4 also gives the peak memory of the shell and what it ran.
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), (char*)nullptr);
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  pid_t reaped = -1;
  while (pid > 0 && (reaped = wait4(pid, &status, 0, &usage)) < 0 && errno == EINTR) {
  }
  if (reaped != pid) status = 127 << 8;
  run.peak_rss_kb = usage.ru_maxrss;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.stderr_text = read_file(dir + "/stderr.txt");
  return run;
}

Run run_kiosk(const std::string& script, const std::vector<std::string>& extra_args, const std::string& size) {
  return run_kiosk_in(temp_dir("kiosk"), script, extra_args, size);
}

Run run_kiosk_in(const std::string& dir, const std::string& script, const std::vector<std::string>& extra_args,
                 const std::string& size) {
  write_file(dir + "/script.txt", script);
  std::vector<std::string> args = {"--headless", "--size", size, "--script", dir + "/script.txt", "--out", dir};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  return exec(args, dir);
}

std::string capture(const std::vector<std::string>& args) {
  std::string cmd;
  for (const std::string& a : args) cmd += quote(a) + " ";
  cmd += "2>/dev/null";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
  }
  return out;
}

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

bool Server::start(const std::vector<std::string>& args, const std::string& ready_prefix) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  // Everything the child needs is prepared before fork(): it only calls async-signal-safe functions.
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int log = log_path.empty() ? -1 : open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    if (log >= 0) dup2(log, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (log >= 0) close(log);
  close(fds[1]);
  stdout_fd = fds[0];
  if (pid < 0) return false;
  // Read lines until the ready line, for at most 30 s.
  std::string seen;
  for (int waited = 0; waited < 30000; waited += 50) {
    pollfd p{stdout_fd, POLLIN, 0};
    if (poll(&p, 1, 50) > 0) {
      char buf[512];
      ssize_t n = read(stdout_fd, buf, sizeof buf);
      if (n <= 0) break;
      seen.append(buf, (size_t)n);
      size_t at = seen.find(ready_prefix);
      if (at != std::string::npos) {
        size_t end = seen.find('\n', at);
        if (end != std::string::npos) {
          port = seen.substr(at + ready_prefix.size(), end - at - ready_prefix.size());
          return true;
        }
      }
    }
  }
  return false;
}

Server::~Server() {
  if (pid > 0) {
    kill(pid, SIGTERM);
    int status = 0;
    for (int waited = 0; waitpid(pid, &status, WNOHANG) == 0; waited += 10) {
      if (waited >= 10000) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        break;
      }
      usleep(10000);
    }
  }
  if (stdout_fd >= 0) close(stdout_fd);
}

std::string test_postgres_server() {
  const char* file = getenv("SPORTELLO_TEST_POSTGRES");
  if (!file || !*file) return "";
  std::ifstream in(file);
  std::string url;
  std::getline(in, url);
  return url;
}

bool psql(const std::string& url, const std::string& sql, std::string* out) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 2);
    execl("/usr/bin/psql", "psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url.c_str(), "-c", sql.c_str(),
          (char*)nullptr);
    _exit(127);
  }
  close(fds[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) text.append(buf, (size_t)n);
  close(fds[0]);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0) return false;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (out) *out = text;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string fresh_postgres_database(const std::string& name) {
  static std::atomic<int> counter{0};
  std::string server = test_postgres_server();
  if (server.empty()) return "";
  std::string db = "e2e_";
  for (char ch : name) db += isalnum((unsigned char)ch) ? (char)tolower((unsigned char)ch) : '_';
  db = db.substr(0, 40) + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  if (!psql(server + "/postgres", "DROP DATABASE IF EXISTS " + db, nullptr) ||
      !psql(server + "/postgres", "CREATE DATABASE " + db, nullptr))
    return "";
  return server + "/" + db;
}

// The tests' SQL is SQLite's; on PostgreSQL the few differences they use are rewritten here:
// the column "user" (a reserved word), strftime('%s','now'), and a trigger that refuses writes
// (SQLite's RAISE(ABORT) as a plpgsql function; dropping the trigger drops the function).
std::string postgres_test_sql(const std::string& sql) {
  static const std::regex now_re(R"(strftime\(\s*'%s'\s*,\s*'now'\s*\))");
  static const std::regex trigger_re(
      R"(CREATE TRIGGER (\w+) BEFORE (INSERT|UPDATE|DELETE) ON (\w+) BEGIN SELECT RAISE\(ABORT, '([^']*)'\); END)");
  static const std::regex drop_re(R"(^DROP TRIGGER (\w+)$)");
  std::string out = std::regex_replace(sql, now_re, "CAST(extract(epoch FROM now()) AS bigint)");
  out = std::regex_replace(out, trigger_re,
                           "CREATE FUNCTION $1_fn() RETURNS trigger LANGUAGE plpgsql AS $$$$ BEGIN RAISE EXCEPTION '$4'; "
                           "END $$$$; CREATE TRIGGER $1 BEFORE $2 ON $3 FOR EACH ROW EXECUTE FUNCTION $1_fn()");
  out = std::regex_replace(out, drop_re, "DROP FUNCTION $1_fn() CASCADE");
  // user -> "user" outside quoted text.
  std::string quoted;
  char quote = 0;
  for (size_t i = 0; i < out.size(); i++) {
    char ch = out[i];
    if (quote) {
      quoted += ch;
      if (ch == quote) quote = 0;
      continue;
    }
    if (ch == '\'' || ch == '"') quote = ch;
    bool word_start = i == 0 || !(isalnum((unsigned char)out[i - 1]) || out[i - 1] == '_');
    if (word_start && out.compare(i, 4, "user") == 0 &&
        (i + 4 == out.size() || !(isalnum((unsigned char)out[i + 4]) || out[i + 4] == '_'))) {
      quoted += "\"user\"";
      i += 3;
      continue;
    }
    quoted += ch;
  }
  return quoted;
}

std::vector<std::string> Hub::database_args() const {
  if (database.empty()) return {};
  return {"--database", database};
}

bool Hub::start(const std::string& name, const std::vector<std::string>& serve_args) {
  dir = temp_dir(name);
  data = dir + "/hub";
  if (!test_postgres_server().empty()) {
    database = fresh_postgres_database(name);
    if (database.empty()) return false;
    // The commands a test runs itself (erase, passwd, set-profile, a second serve) find it too.
    setenv("SPORTELLO_DATABASE", database.c_str(), 1);
  }
  std::vector<std::string> db = database_args();
  std::string db_sh = database.empty() ? "" : " --database " + quote(database);
  std::vector<std::string> init = {SPORTELLO_HUB_BIN, "init", "--data", data};
  init.insert(init.end(), db.begin(), db.end());
  public_key = last_line(capture(init));
  std::vector<std::string> kiosk = {SPORTELLO_HUB_BIN, "add-kiosk", "--data", data, "--id", "GR-01", "--ref-prefix",
                                    ref_prefix};
  kiosk.insert(kiosk.end(), db.begin(), db.end());
  token = last_line(capture(kiosk));
  for (const std::string user : {"anna", "bruno"}) {
    std::string added = capture({"/bin/sh", "-c", "echo 'password-" + user + "' | SPORTELLO_TEST_CHEAP_HASH=1 " + quote(SPORTELLO_HUB_BIN) +
                                                      " add-mediator --data " + quote(data) + " --user " + user +
                                                      " --cheap-hash" + db_sh});
    if (added.find("mediator " + user + " added") == std::string::npos) return false;
  }
  admin_token = last_line(capture({"/bin/sh", "-c", "echo 'password-ada' | SPORTELLO_TEST_CHEAP_HASH=1 " + quote(SPORTELLO_HUB_BIN) +
                                                         " add-admin --data " + quote(data) + " --user ada --cheap-hash" +
                                                         db_sh}));
  std::vector<std::string> args = {SPORTELLO_HUB_BIN, "serve", "--data", data, "--listen", "127.0.0.1:0"};
  args.insert(args.end(), db.begin(), db.end());
  for (const std::string& key : release_keys) args.insert(args.end(), {"--release-key", key});
  if (release_threshold > 0) args.insert(args.end(), {"--release-threshold", std::to_string(release_threshold)});
  args.insert(args.end(), {"--kiosk-requests-per-minute", std::to_string(kiosk_per_minute), "--kiosk-requests-per-day",
                           std::to_string(kiosk_per_day)});
  args.insert(args.end(), serve_args.begin(), serve_args.end());
  server.log_path = dir + "/hub.log";
  return !public_key.empty() && !token.empty() && !admin_token.empty() && server.start(args, "listening on 127.0.0.1:");
}

std::string Hub::add_kiosk(const std::string& id, const std::string& group, const std::string& ref_prefix) const {
  std::string prefix = ref_prefix;
  if (prefix.empty()) {  // "GR-02" -> "GR2", "BENCH-12" -> "BE12": letters, then the whole number
    std::string letters, digits;
    for (char c : id) {
      if (isalpha((unsigned char)c)) letters += (char)toupper((unsigned char)c);
      else if (isdigit((unsigned char)c) && !(digits.empty() && c == '0')) digits += c;
    }
    digits = digits.substr(0, 3);  // prefixes are at most 4 characters, and must differ per kiosk
    prefix = letters.substr(0, 4 - digits.size()) + digits;
  }
  std::vector<std::string> args = {SPORTELLO_HUB_BIN, "add-kiosk", "--data", data, "--id", id, "--group", group,
                                    "--ref-prefix", prefix};
  std::vector<std::string> db = database_args();
  args.insert(args.end(), db.begin(), db.end());
  return last_line(capture(args));
}

// The last number of psql's last line: the rows a statement changed ("UPDATE 3", "INSERT 0 1").
static int64_t changed_rows(const std::string& output) {
  size_t end = output.find_last_of("0123456789");
  if (end == std::string::npos) return 0;
  size_t begin = output.find_last_not_of("0123456789", end);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return std::atoll(output.substr(begin, end - begin + 1).c_str());
}

bool Hub::sql(const std::string& statement) const {
  if (!database.empty()) {
    std::string out;
    return psql(database, postgres_test_sql(statement), &out) && changed_rows(out) > 0;
  }
  sqlite3* db = nullptr;
  bool ok = sqlite3_open_v2((data + "/hub.db").c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK;
  if (ok) {
    sqlite3_busy_timeout(db, 5000);
    ok = sqlite3_exec(db, statement.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK && sqlite3_changes(db) > 0;
  }
  sqlite3_close(db);
  return ok;
}

std::string Hub::url(const std::string& path) const { return scheme + "://127.0.0.1:" + server.port + path; }

// Runs one query with an optional text parameter on the hub's database, read-only.
static void query_hub(const std::string& data, const char* sql, const std::string& param,
                      void (*row)(sqlite3_stmt*, void*), void* out) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2((data + "/hub.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK) {
      if (!param.empty()) sqlite3_bind_text(st, 1, param.c_str(), -1, SQLITE_TRANSIENT);
      while (sqlite3_step(st) == SQLITE_ROW) row(st, out);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
}

static void first_int(sqlite3_stmt* st, void* out) { *static_cast<int64_t*>(out) = sqlite3_column_int64(st, 0); }

// The first column of the first row of a query on PostgreSQL, -1 when it fails.
static int64_t pg_first_int(const std::string& url, const std::string& query) {
  std::string out;
  if (!psql(url, query, &out) || out.empty()) return -1;
  return std::atoll(out.substr(0, out.find_first_of("|\n")).c_str());
}

int64_t Hub::rows() const {
  if (!database.empty()) return pg_first_int(database, "SELECT count(*) FROM requests");
  int64_t n = -1;
  query_hub(data, "SELECT count(*) FROM requests", "", first_int, &n);
  return n;
}

int64_t Hub::rows_with_ref(const std::string& ref) const {
  if (!database.empty()) {
    std::string quoted;
    for (char ch : ref) quoted += ch == '\'' ? std::string("''") : std::string(1, ch);
    return pg_first_int(database, "SELECT count(*) FROM requests WHERE ref = '" + quoted + "'");
  }
  int64_t n = -1;
  query_hub(data, "SELECT count(*) FROM requests WHERE ref = ?1", ref, first_int, &n);
  return n;
}

int64_t Hub::count(const std::string& query) const {
  if (!database.empty()) return pg_first_int(database, postgres_test_sql(query));
  int64_t n = -1;
  query_hub(data, query.c_str(), "", first_int, &n);
  return n;
}

std::set<std::string> Hub::ids() const {
  std::set<std::string> out;
  if (!database.empty()) {
    std::string text;
    if (psql(database, "SELECT id FROM requests", &text)) {
      std::istringstream lines(text);
      for (std::string line; std::getline(lines, line);)
        if (!line.empty()) out.insert(line);
    }
    return out;
  }
  query_hub(data, "SELECT id FROM requests", "",
            [](sqlite3_stmt* st, void* out) {
              static_cast<std::set<std::string>*>(out)->insert((const char*)sqlite3_column_text(st, 0));
            },
            &out);
  return out;
}

Run run_raw(const std::vector<std::string>& args) { return exec(args, temp_dir("raw")); }

nlohmann::json load_dump(const Run& run, const std::string& name) {
  std::string text = read_file(run.out_dir + "/" + name + ".json");
  if (text.empty()) return nlohmann::json();
  return nlohmann::json::parse(text);
}

nlohmann::json element(const nlohmann::json& dump, const std::string& id) {
  if (!dump.contains("elements")) return nlohmann::json();
  for (const auto& e : dump["elements"])
    if (e["id"] == id) return e;
  return nlohmann::json();
}

int admin(const std::string& dir, const std::vector<std::string>& args) {
  std::string cmd = SPORTELLO_ADMIN_BIN;
  for (const std::string& a : args) cmd += " '" + a + "'";
  cmd += " >> '" + dir + "/admin.log' 2>&1";
  return system(cmd.c_str());
}

std::string build_demo_pack(const std::string& dir, int version, const std::string& title) {
  std::string sources = dir + "/content-v" + std::to_string(version);
  std::error_code ec;
  std::filesystem::copy(SPORTELLO_SOURCE_DIR "/content", sources, std::filesystem::copy_options::recursive, ec);
  auto replace = [](const std::string& path, const std::string& from, const std::string& to) {
    std::string text = read_file(path);
    size_t at = text.find(from);
    if (at == std::string::npos) return false;
    write_file(path, text.replace(at, from.size(), to));
    return true;
  };
  if (ec || !replace(sources + "/pack.txt", "content_version: 1", "content_version: " + std::to_string(version)))
    return "";
  if (!title.empty() && !replace(sources + "/procedures/permit-renewal/it.md", "title: Rinnovo del permesso di soggiorno",
                                 "title: " + title))
    return "";
  std::string pack = dir + "/v" + std::to_string(version) + ".pack";
  // The hours' window covers the headless kiosk's virtual clock (2026-11-23).
  int status = admin(dir, {"build", "--content", sources, "--locales", SPORTELLO_SOURCE_DIR "/locales", "--out", pack,
                           "--hours-from", "2026-11-01"});
  return status == 0 ? pack : "";
}

std::string random_uuid() {
  unsigned char b[16] = {};
  for (size_t got = 0; got < sizeof b;) {
    ssize_t n = getrandom(b + got, sizeof b - got, 0);
    if (n > 0) got += (size_t)n;
  }
  b[6] = (b[6] & 0x0F) | 0x40;  // version 4
  b[8] = (b[8] & 0x3F) | 0x80;  // RFC 4122 variant
  char s[37];
  snprintf(s, sizeof s, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
           b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return s;
}

}  // namespace harness
