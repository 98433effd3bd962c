// A real PostgreSQL server for a test (see postgres.h). Only Debian's own programs are used:
// initdb, pg_ctl, pg_basebackup and psql, run as `nobody` when the test runs as root.
#include "postgres.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace harness {

namespace {

constexpr uid_t kNobody = 65534;

// Runs a program to completion as the cluster's owner; its stdout into *out when given, its
// stderr (and stdout otherwise) appended to log. The exit status, or -1.
int run_as_owner(const std::vector<std::string>& args, const std::string& log, std::string* out = nullptr) {
  int fds[2] = {-1, -1};
  if (out && pipe2(fds, O_CLOEXEC) != 0) return -1;
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  pid_t pid = fork();
  if (pid == 0) {
    if (geteuid() == 0) {
      if (log_fd >= 0 && fchown(log_fd, kNobody, kNobody) != 0) _exit(126);
      if (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 || setuid(kNobody) != 0) _exit(126);
    }
    if (log_fd >= 0) {
      dup2(log_fd, 2);
      if (!out) dup2(log_fd, 1);
    }
    if (out) dup2(fds[1], 1);
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (log_fd >= 0) close(log_fd);
  if (out) {
    close(fds[1]);
    out->clear();
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
      if (n > 0) out->append(buf, (size_t)n);
    close(fds[0]);
  }
  if (pid < 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A loopback port nobody listens on now (the kernel's choice for port 0).
std::string free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  std::string port;
  if (fd >= 0 && bind(fd, (sockaddr*)&a, sizeof a) == 0 && getsockname(fd, (sockaddr*)&a, &len) == 0)
    port = std::to_string(ntohs(a.sin_port));
  if (fd >= 0) close(fd);
  return port;
}

// A fresh directory under /tmp that the cluster's owner can enter (a build tree under /root may
// not be).
std::string make_cluster_dir(const std::string& name) {
  std::string tmpl = "/tmp/sportello-pg-" + name + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) return "";
  std::string dir = buf.data();
  if (geteuid() == 0 && chown(dir.c_str(), kNobody, kNobody) != 0) return "";
  return dir;
}

bool append_settings(const std::string& conf, const std::string& port, const std::string& dir,
                     const std::vector<std::string>& settings) {
  std::ofstream f(conf, std::ios::app);
  f << "\nport = " << port << "\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '" << dir << "'\n";
  for (const std::string& s : settings) f << s << "\n";
  return (bool)f;
}

bool process_alive(int pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  // A killed postmaster whose parent does not reap it stays a zombie: dead all the same.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  size_t paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] != 'Z';
}

}  // namespace

std::string postgres_bindir() {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec))
    if (std::filesystem::exists(e.path() / "bin" / "initdb")) found.push_back(e.path().filename().string());
  if (found.empty()) return "";
  std::sort(found.begin(), found.end(), [](const std::string& a, const std::string& b) {
    return std::atoi(a.c_str()) < std::atoi(b.c_str());
  });
  return "/usr/lib/postgresql/" + found.back() + "/bin";
}

bool Postgres::start(const std::string& name, const std::vector<std::string>& settings) {
  std::string bin = postgres_bindir();
  if (bin.empty()) return error = "PostgreSQL's server is not installed (Debian package postgresql)", false;
  dir = make_cluster_dir(name);
  port = free_port();
  if (dir.empty() || port.empty()) return error = "no directory or port for the cluster", false;
  std::string log = dir + "/setup.log";
  if (run_as_owner({bin + "/initdb", "-D", dir + "/data", "-U", "postgres", "-A", "trust", "-E", "UTF8",
                    "--locale=C", "--no-sync"},
                   log) != 0)
    return error = "initdb failed, see " + log, false;
  if (!append_settings(dir + "/data/postgresql.conf", port, dir, settings))
    return error = "cannot write postgresql.conf", false;
  if (run_as_owner({bin + "/pg_ctl", "-D", dir + "/data", "-l", dir + "/server.log", "-w", "-t", "60", "start"}, log) !=
      0)
    return error = "pg_ctl start failed, see " + dir + "/server.log", false;
  return true;
}

bool Postgres::start_standby(const std::string& name, const Postgres& primary, const std::string& application_name) {
  std::string bin = postgres_bindir();
  if (bin.empty()) return error = "PostgreSQL's server is not installed (Debian package postgresql)", false;
  dir = make_cluster_dir(name);
  port = free_port();
  if (dir.empty() || port.empty()) return error = "no directory or port for the standby", false;
  std::string log = dir + "/setup.log";
  // -R writes standby.signal and a primary_conninfo; ours, appended after, adds the name the
  // primary's synchronous_standby_names knows it by.
  if (run_as_owner({bin + "/pg_basebackup", "-h", "127.0.0.1", "-p", primary.port, "-U", "postgres", "-D",
                    dir + "/data", "-R", "-X", "stream", "-c", "fast"},
                   log) != 0)
    return error = "pg_basebackup failed, see " + log, false;
  std::vector<std::string> settings = {"primary_conninfo = 'host=127.0.0.1 port=" + primary.port +
                                       " user=postgres application_name=" + application_name + "'"};
  if (!append_settings(dir + "/data/postgresql.auto.conf", port, dir, settings))
    return error = "cannot write the standby's settings", false;
  if (run_as_owner({bin + "/pg_ctl", "-D", dir + "/data", "-l", dir + "/server.log", "-w", "-t", "60", "start"}, log) !=
      0)
    return error = "the standby did not start, see " + dir + "/server.log", false;
  return true;
}

bool Postgres::require_synchronous(const std::string& application_name) {
  if (!psql("ALTER SYSTEM SET synchronous_standby_names = '" + application_name + "'") ||
      !psql("SELECT pg_reload_conf()"))
    return false;
  std::string state;
  for (int waited = 0; waited < 20000; waited += 50) {
    if (psql("SELECT coalesce(max(sync_state), '') FROM pg_stat_replication WHERE application_name = '" +
                 application_name + "'",
             &state) &&
        state == "sync")
      return true;
    usleep(50000);
  }
  return error = "the standby " + application_name + " did not become synchronous within 20 s", false;
}

bool Postgres::promote() {
  if (run_as_owner({postgres_bindir() + "/pg_ctl", "-D", dir + "/data", "-w", "-t", "60", "promote"},
                   dir + "/setup.log") != 0)
    return error = "pg_ctl promote failed, see " + dir + "/server.log", false;
  return true;
}

int Postgres::postmaster_pid() const {
  std::ifstream f(dir + "/data/postmaster.pid");
  int pid = -1;
  if (!(f >> pid) || !process_alive(pid)) return -1;
  return pid;
}

bool Postgres::running() const { return postmaster_pid() > 0; }

void Postgres::kill9() {
  int pid = postmaster_pid();
  if (pid <= 0) return;
  kill(pid, SIGKILL);
  for (int waited = 0; process_alive(pid) && waited < 10000; waited += 10) usleep(10000);
}

void Postgres::stop() {
  if (!running()) return;
  run_as_owner({postgres_bindir() + "/pg_ctl", "-D", dir + "/data", "-m", "fast", "-w", "-t", "30", "stop"},
               dir + "/setup.log");
}

std::string Postgres::url(const std::string& db) const { return "postgresql://postgres@127.0.0.1:" + port + "/" + db; }

bool Postgres::psql(const std::string& sql, std::string* out, const std::string& db) {
  std::string text;
  int rc = run_as_owner({"/usr/bin/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-d", url(db), "-c", sql},
                        dir + "/psql.log", &text);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (out) *out = text;
  if (rc != 0) return error = "psql failed (" + sql.substr(0, 80) + "), see " + dir + "/psql.log", false;
  return true;
}

bool Postgres::create_database(const std::string& db) { return psql("CREATE DATABASE \"" + db + "\""); }

Postgres::~Postgres() {
  if (dir.empty()) return;
  stop();
  if (!getenv("SPORTELLO_KEEP_POSTGRES")) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
}

}  // namespace harness
