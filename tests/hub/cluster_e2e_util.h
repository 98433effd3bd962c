// The cluster end-to-end tests' helpers: more `sportello-hub serve` processes on one hub's data
// directory and PostgreSQL database, kill -9, which instance holds a job lock (found through
// PostgreSQL's lock table and the instances' own TCP sockets in /proc), instances behind Debian's
// nginx with the example site, and a claim race between two mediators.
#pragma once

#include "live_util.h"
#include "nginx_util.h"
#include "notify_util.h"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <latch>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <thread>

namespace hub_test {

// Another instance beside `a`: the same data directory, database, keys and kiosks; its stderr in
// a.dir/<name>.log; on `listen` (a free port by default). nullptr when it does not come up.
inline std::unique_ptr<Hub> instance(const Hub& a, const std::string& name, const std::vector<std::string>& extra = {},
                                     const std::string& listen = "127.0.0.1:0") {
  auto b = std::make_unique<Hub>();
  b->dir = a.dir, b->data = a.data, b->database = a.database;
  b->public_key = a.public_key, b->token = a.token, b->admin_token = a.admin_token, b->ref_prefix = a.ref_prefix;
  std::vector<std::string> args = {SPORTELLO_HUB_BIN, "serve", "--data", a.data, "--listen", listen,
                                   "--database", a.database, "--kiosk-requests-per-minute", "0",
                                   "--kiosk-requests-per-day", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  b->server.log_path = a.dir + "/" + name + ".log";
  if (!b->server.start(args, "listening on 127.0.0.1:")) return nullptr;
  return b;
}

// A host that dies: SIGKILL, reaped; the Server's destructor then leaves it alone.
inline void kill9(harness::Server& s) {
  if (s.pid <= 0) return;
  kill(s.pid, SIGKILL);
  waitpid(s.pid, nullptr, 0);
  s.pid = -1;
}

// The harness's own instance steps aside (SIGTERM, reaped): the instances under test are started
// (and restarted) by the test, on its data and database.
inline void stand_aside(Hub& a) {
  kill(a.server.pid, SIGTERM);
  waitpid(a.server.pid, nullptr, 0);
  a.server.pid = -1;
}

inline int port_of(const Hub& hub) { return std::atoi(hub.server.port.c_str()); }

// The first column of a query's first row on the hub's database, -1 when it fails.
inline int64_t pg_int(const Hub& hub, const std::string& sql) {
  std::string out;
  if (!harness::psql(hub.database, sql, &out) || out.empty()) return -1;
  return std::atoll(out.c_str());
}

// How many instances' event bridges listen on the database (their connection ran LISTEN, and
// perhaps has sent since): before that, an instance would miss what the others publish.
inline int64_t bridges_listening(const Hub& hub) {
  return pg_int(hub, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name "
                     "LIKE 'sportello-hub events %' AND (query LIKE 'LISTEN%' OR query LIKE 'SELECT pg_notify%')");
}

// The local ports of a process's IPv4 TCP sockets: its descriptors' socket inodes, looked up in
// /proc/net/tcp.
inline std::set<int> tcp_ports_of(int pid) {
  std::set<std::string> inodes;
  std::error_code ec;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::string link = std::filesystem::read_symlink(fd.path(), ec).string();
    if (!ec && link.rfind("socket:[", 0) == 0) inodes.insert(link.substr(8, link.size() - 9));
  }
  std::set<int> ports;
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  std::getline(tcp, line);  // the header
  while (std::getline(tcp, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
    size_t colon = local.find(':');
    if (colon != std::string::npos && inodes.count(inode))
      ports.insert((int)std::strtol(local.c_str() + colon + 1, nullptr, 16));
  }
  return ports;
}

// Which of these hub processes holds the job lock `job` ("notifier", "retention"): the one whose
// socket is the client end of the PostgreSQL backend holding the lock. -1 while none does.
inline int job_holder(const Hub& hub, const std::string& job, const std::vector<int>& pids) {
  int64_t port = pg_int(hub, "SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                             "WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() "
                             "AND a.application_name LIKE 'sportello-hub job " + job + " %'");
  if (port <= 0) return -1;
  for (int pid : pids)
    if (pid > 0 && tcp_ports_of(pid).count((int)port)) return pid;
  return -1;
}

// A kiosk's request: one id, one body, sent again unchanged until the hub acknowledges it.
struct Upload {
  std::string id, body;
};

// The index-th request of kiosk GR-01 (reference GR1-<six letters from index>).
inline Upload make_upload(const Hub& hub, int index) {
  char ref[16];
  const char* digits = "BCDFGHJKLMNPQRSTVWXZ23456789";
  std::string code;
  for (int n = index, i = 0; i < 6; i++, n /= 28) code += digits[n % 28];
  snprintf(ref, sizeof ref, "GR1-%s", code.c_str());
  Upload u;
  u.id = uuid(index);
  u.body = body_for(hub, u.id, ref, "{}");
  return u;
}

// Instances behind Debian's nginx with the example site (nginx_util.h's cluster_site): each on a
// fixed loopback port (one killed comes back where nginx looks for it), over TLS with the
// certificate the site checks, trusting nginx's X-Forwarded-For as in production.
struct Front {
  std::string dir, https;
  std::vector<std::string> ports;  // the instances', in the upstream's order
  Nginx nginx;

  // Renders the site for `count` instances and starts nginx; false (nginx's words or the line
  // the example lost in *problem) when it does not come up.
  bool start(int count, std::string* problem) {
    dir = harness::temp_dir("nginx-front");
    if (!make_test_certificate(dir) ||
        !make_certificate(dir, "instance-", "sportello-hub-instance", "DNS:sportello-hub-instance"))
      return *problem = "openssl failed", false;
    for (int i = 0; i < count; i++) ports.push_back(free_port());
    https = free_port();
    std::string missing, site = cluster_site(dir, https, free_port(), ports, &missing);
    if (site.empty()) return *problem = "the example lost " + missing, false;
    nginx.configure(dir, site);
    bool up = nginx.check() && nginx.start(https);
    if (!up) *problem = harness::read_file(dir + "/error.log");
    return up;
  }
  std::string url(const std::string& path = "") const { return "https://127.0.0.1:" + https + path; }
  std::string ca() const { return dir + "/cert.pem"; }
  // Instance i beside `a`, on its port (see instance()).
  std::unique_ptr<Hub> instance(const Hub& a, int i, const std::string& name, std::vector<std::string> extra = {}) const {
    extra.insert(extra.end(), {"--tls-cert", dir + "/instance-cert.pem", "--tls-key", dir + "/instance-key.pem",
                               "--trust-proxy", "127.0.0.1"});
    auto b = hub_test::instance(a, name, extra, "127.0.0.1:" + ports[(size_t)i]);
    if (b) b->scheme = "https";
    return b;
  }
  // A console login through nginx; the session's cookie, or "".
  std::string login(const std::string& user) const {
    return cookie_of(http("POST", url("/console/login"), "user=" + user + "&password=password-" + user, {}, ca()));
  }
  // The access log's lines of requests whose line contains `what` (e.g. "POST /api/v1/requests").
  std::vector<std::string> logged(const std::string& what) const {
    std::vector<std::string> out;
    std::istringstream in(harness::read_file(dir + "/access.log"));
    for (std::string line; std::getline(in, line);)
      if (line.find(what) != std::string::npos) out.push_back(line);
    return out;
  }
};

// The instance(s) nginx sent a logged request to ("127.0.0.1:PORT", then ", 127.0.0.1:PORT" per
// retry): the access log's upstream= field.
inline std::string upstream_of(const std::string& line) {
  size_t at = line.find(" upstream=");
  if (at == std::string::npos) return {};
  at += 10;
  return line.substr(at, line.find(" upstream_status=", at) - at);
}

// The redirect's outcome of a claim ("claimed", "taken", ...), or the status when there is none.
inline std::string claim_outcome(const Reply& r) {
  size_t at = r.headers.find("?m=");
  if (at == std::string::npos) return "status " + std::to_string(r.status);
  at += 3;
  return r.headers.substr(at, r.headers.find_first_of("\r\n", at) - at);
}

// Two mediators claim one request at once, each through its own base URL (an instance, or nginx
// with `ca`) with its session cookie: both forms are fetched first, both claims released together.
// Their outcomes, anna's first; "no form" when a page had no form to claim with.
inline std::pair<std::string, std::string> claim_race(const std::string& id, const std::string& anna_base,
                                                      const std::string& anna, const std::string& bruno_base,
                                                      const std::string& bruno, const std::string& ca = "") {
  std::string path = "/console/request/" + id;
  std::string anna_csrf = csrf_of(http("GET", anna_base + path, "", {"Cookie: " + anna}, ca).body);
  std::string bruno_csrf = csrf_of(http("GET", bruno_base + path, "", {"Cookie: " + bruno}, ca).body);
  if (anna_csrf.empty() || bruno_csrf.empty()) return {"no form", "no form"};
  std::latch go(2);
  Reply anna_claim, bruno_claim;
  std::thread ta([&] {
    go.arrive_and_wait();
    anna_claim = http("POST", anna_base + path + "/claim", "csrf=" + anna_csrf, {"Cookie: " + anna}, ca);
  });
  std::thread tb([&] {
    go.arrive_and_wait();
    bruno_claim = http("POST", bruno_base + path + "/claim", "csrf=" + bruno_csrf, {"Cookie: " + bruno}, ca);
  });
  ta.join();
  tb.join();
  return {claim_outcome(anna_claim), claim_outcome(bruno_claim)};
}

// Whether the database agrees on a claim race's end: the request in progress with the winner,
// one claim in the audit log, the winner's, and the loser's attempt logged as refused.
inline bool one_claim_recorded(const Hub& a, const std::string& id, const std::string& winner,
                               const std::string& loser) {
  return a.count("SELECT count(*) FROM requests WHERE id = '" + id + "' AND status = 'in_progress' AND mediator = '" +
                 winner + "'") == 1 &&
         a.count("SELECT count(*) FROM audit WHERE request_id = '" + id + "' AND action = 'claim'") == 1 &&
         a.count("SELECT count(*) FROM audit WHERE request_id = '" + id + "' AND action = 'claim' AND user = '" +
                 winner + "'") == 1 &&
         a.count("SELECT count(*) FROM audit WHERE request_id = '" + id + "' AND action = 'claim_refused' AND user = '" +
                 loser + "'") == 1;
}

}  // namespace hub_test
