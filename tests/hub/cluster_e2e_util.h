// The cluster end-to-end tests' helpers: more `sportello-hub serve` processes on one hub's data
// directory and PostgreSQL database, kill -9, and which instance holds a job lock (found through
// PostgreSQL's lock table and the instances' own TCP sockets in /proc).
#pragma once

#include "live_util.h"
#include "notify_util.h"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <sys/wait.h>

namespace hub_test {

// Another instance beside `a`: the same data directory, database, keys and kiosks; its stderr in
// a.dir/<name>.log. nullptr when it does not come up.
inline std::unique_ptr<Hub> instance(const Hub& a, const std::string& name, const std::vector<std::string>& extra = {}) {
  auto b = std::make_unique<Hub>();
  b->dir = a.dir, b->data = a.data, b->database = a.database;
  b->public_key = a.public_key, b->token = a.token, b->admin_token = a.admin_token, b->ref_prefix = a.ref_prefix;
  std::vector<std::string> args = {SPORTELLO_HUB_BIN, "serve", "--data", a.data, "--listen", "127.0.0.1:0",
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

}  // namespace hub_test
