// bench-hub-attack: the real sportello-hub on loopback under the attacks its front and its login
// throttling are built for. Prints (it asserts nothing about time):
//   1. kiosk ingest requests/s and p99, clean and with slowloris connections open (slow header
//      senders and slow body senders, reopened as the hub cuts them), and the ratio of the two;
//   2. the hub's peak memory (VmHWM) and its thread count under that attack;
//   3. a burst of parallel wrong-password logins (a known user, then an unknown one): how many
//      Argon2id computations it cost (from the hub's log), its wall time, and the latency of the
//      right password from a fresh address right after.
// Every socket targets 127.0.0.1; the login bursts come from other loopback source addresses
// (127.0.0.10, .11, .20), which is how the hub tells clients apart without a proxy.
// Usage: bench-hub-attack [--kiosks N] [--seconds S] [--slow N] [--burst N]
//   (--slow 0 runs the clean phase twice: the ratio it prints is the machine's own noise)
//
// Index
//   [SECTION] Helpers: the hub's /proc status, percentiles, request bodies
//   [SECTION] Kiosks: ingest for a fixed time
//   [SECTION] Slowloris: slow header and body senders, reopened when cut
//   [SECTION] Logins: one exchange from a chosen address, a parallel burst
//   [SECTION] Main
#include "api_util.h"

#include <curl/curl.h>
#include <sodium.h>
#include <sqlite3.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <latch>
#include <map>
#include <thread>

namespace {

using harness::Hub;
using Clock = std::chrono::steady_clock;

// [SECTION] Helpers: the hub's /proc status, percentiles, request bodies -----------------------------
// A numeric field of /proc/PID/status (VmHWM and VmRSS in kB, Threads), -1 when unreadable.
long proc_field(int pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0 && line[strlen(field)] == ':') return std::atol(line.c_str() + strlen(field) + 1);
  return -1;
}

// The CPU time the process has used (user + system), in ms; -1 when unreadable.
double cpu_ms(int pid) {
  std::string stat = harness::read_file("/proc/" + std::to_string(pid) + "/stat");
  size_t at = stat.rfind(')');  // after the command name: fields 3 to 13, then utime and stime (proc(5))
  unsigned long user = 0, sys = 0;
  if (at == std::string::npos ||
      sscanf(stat.c_str() + at + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &user, &sys) != 2)
    return -1;
  return (double)(user + sys) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double percentile(std::vector<double> v, int p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, v.size() * (size_t)p / 100)];
}


// The hub's highest "password checks so far: N" in its log: every Argon2id it ran for a login.
long password_checks(const Hub& hub) {
  std::string log = harness::read_file(hub.dir + "/hub.log");
  const std::string mark = "(password checks so far: ";
  size_t at = log.rfind(mark);
  return at == std::string::npos ? -1 : std::atol(log.c_str() + at + mark.size());
}

// The Argon2id parameters of a mediator's stored hash ("m=65536,t=2,p=1"), read from the database.
std::string hash_params(const Hub& hub, const std::string& user) {
  sqlite3* raw = nullptr;
  sqlite3_open_v2((hub.data + "/hub.db").c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, &sqlite3_close);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db.get(), "SELECT password_hash FROM mediators WHERE user = ?", -1, &q, nullptr);
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(q, &sqlite3_finalize);
  if (!q || sqlite3_bind_text(q, 1, user.c_str(), -1, SQLITE_TRANSIENT) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW)
    return "?";
  std::string hash = (const char*)sqlite3_column_text(q, 0);
  size_t m = hash.find("$m=");
  return m == std::string::npos ? "?" : hash.substr(m + 1, hash.find('$', m + 1) - m - 1);
}

// [SECTION] Kiosks: ingest for a fixed time ---------------------------------------------------------
struct Kiosk {
  std::string id, prefix, token;
  int next = 0;  // references stay unique across phases
};

struct Ingest {
  size_t done = 0;
  int failures = 0;
  double rate = 0, p50 = 0, p99 = 0, max = 0;
  double hub_cpu_us = 0;         // the hub's CPU time per request
  long threads = 0, hwm_kb = 0;  // the hub's most threads seen, its peak memory at the end
};

void print(const char* name, const Ingest& r) {
  printf("  %-10s %6.0f requests/s   p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms  hub CPU %4.0f us/request"
         "  (%zu requests, %d failures)\n", name, r.rate, r.p50, r.p99, r.max, r.hub_cpu_us, r.done, r.failures);
}

// Every kiosk posts requests back to back on its own keep-alive connection for `seconds`, while
// the hub's thread count is sampled.
Ingest ingest(const Hub& hub, std::vector<Kiosk>& kiosks, double seconds) {
  std::vector<std::vector<double>> ms(kiosks.size());
  std::atomic<int> failures{0};
  const std::string url = hub.url("/api/v1/requests");
  const int pid = hub.server.pid;
  double cpu0 = cpu_ms(pid);
  std::atomic<bool> running{true};
  std::atomic<long> threads_max{0};
  std::thread sampler([&] {
    for (; running; std::this_thread::sleep_for(std::chrono::milliseconds(50)))  // a sampling period
      threads_max = std::max(threads_max.load(), proc_field(pid, "Threads"));
  });
  auto t0 = Clock::now();
  auto until = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> threads;
  for (size_t k = 0; k < kiosks.size(); k++)
    threads.emplace_back([&, k] {
      Kiosk& kiosk = kiosks[k];
      std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), &curl_easy_cleanup);
      while (Clock::now() < until) {
        std::string id = harness::random_uuid();
        char ref[16];
        snprintf(ref, sizeof ref, "%s-%06d", kiosk.prefix.c_str(), kiosk.next++);
        std::string body = hub_test::body_for(hub, id, ref, "{\"name\":\"Bench\",\"phone\":\"000\"}", kiosk.id);
        curl_slist* h = curl_slist_append(nullptr, ("Authorization: Bearer " + kiosk.token).c_str());
        h = curl_slist_append(h, ("Idempotency-Key: " + id).c_str());
        h = curl_slist_append(h, "Content-Type: application/json");
        curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
        curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, hub_test::collect);
        std::string reply;
        curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &reply);
        curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, 30L);
        auto s = Clock::now();
        long status = 0;
        if (curl_easy_perform(c.get()) == CURLE_OK) curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
        ms[k].push_back(ms_since(s));
        if (status != 201) failures++;
        curl_slist_free_all(h);
      }
    });
  for (std::thread& t : threads) t.join();
  running = false;
  sampler.join();
  Ingest r;
  r.threads = threads_max;
  r.hwm_kb = proc_field(pid, "VmHWM");
  std::vector<double> all;
  for (auto& v : ms) all.insert(all.end(), v.begin(), v.end());
  r.done = all.size();
  r.failures = failures;
  r.rate = all.size() / std::chrono::duration<double>(Clock::now() - t0).count();
  r.p50 = percentile(all, 50);
  r.p99 = percentile(all, 99);
  r.max = percentile(all, 100);
  r.hub_cpu_us = all.empty() ? 0 : (cpu_ms(pid) - cpu0) * 1000.0 / (double)all.size();
  return r;
}

// [SECTION] Slowloris: slow header and body senders, reopened when cut -------------------------------
// Even-numbered connections send a request head one header line at a time, odd ones a head that
// announces a body and then one body byte at a time; each sends every `interval`. A connection the
// hub closes (408 at its request deadline) is reopened at once, so `count` stay open. The
// connections open in the constructor; a thread keeps them going until stop().
class Slowloris {
public:
  Slowloris(const std::string& port, int count, std::chrono::milliseconds interval)
      : port_((uint16_t)std::stoi(port)), interval_(interval), conns_((size_t)count) {
    for (size_t i = 0; i < conns_.size(); i++)  // first lines spread over one interval
      reopen(i, Clock::now() + interval_ * (int64_t)i / (int64_t)conns_.size());
    thread_ = std::thread([this] {
      while (!done_) tick();
    });
  }
  ~Slowloris() {
    stop();
    for (Conn& c : conns_)
      if (c.fd >= 0) ::close(c.fd);
  }
  void stop() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int open() const { return open_; }
  int reopened() const { return reopened_; }
  int timeouts() const { return timeouts_; }

private:
  struct Conn {
    int fd = -1;
    Clock::time_point next;
    int sent = 0;
  };

  void reopen(size_t i, Clock::time_point first) {
    Conn& c = conns_[i];
    if (c.fd >= 0) {
      ::close(c.fd);
      open_--;
    }
    c = Conn{socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), first, 0};
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (c.fd >= 0 && connect(c.fd, (sockaddr*)&a, sizeof a) == 0) {
      open_++;
      std::string head = i % 2 == 0 ? "GET /console/login HTTP/1.1\r\nHost: hub\r\n"
                                    : "POST /api/v1/requests HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
                                      "Content-Length: 8000\r\n\r\n";
      (void)!::send(c.fd, head.data(), head.size(), MSG_NOSIGNAL);
    } else if (c.fd >= 0) {
      ::close(c.fd);
      c.fd = -1;
    }
  }

  void tick() {
    std::vector<pollfd> fds(conns_.size());
    for (size_t i = 0; i < conns_.size(); i++) fds[i] = {conns_[i].fd, POLLIN, 0};
    ::poll(fds.data(), fds.size(), 100);
    auto now = Clock::now();
    for (size_t i = 0; i < conns_.size() && !done_; i++) {
      Conn& c = conns_[i];
      bool cut = c.fd < 0;
      if (!cut && fds[i].revents) {
        char buf[4096];
        ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 12 && memcmp(buf, "HTTP/1.1 408", 12) == 0) timeouts_++;
        cut = n >= 0 || (errno != EAGAIN && errno != EINTR);  // any answer means the hub ended it
      }
      if (!cut && now >= c.next) {
        std::string line = i % 2 == 0 ? "X-Slow-" + std::to_string(c.sent) + ": " + std::to_string(i) + "\r\n" : "x";
        cut = ::send(c.fd, line.data(), line.size(), MSG_NOSIGNAL) <= 0;
        c.sent++;
        c.next = now + interval_;
      }
      if (cut) {
        reopened_++;
        reopen(i, now + interval_);
      }
    }
  }

  uint16_t port_;
  std::chrono::milliseconds interval_;
  std::vector<Conn> conns_;
  std::atomic<int> open_{0}, reopened_{0}, timeouts_{0};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// [SECTION] Logins: one exchange from a chosen address, a parallel burst ----------------------------
struct Login {
  long status = 0;
  CURLcode code = CURLE_OK;
  double ms = 0;
};

// One POST /console/login from the loopback source address `from` (302 means logged in).
Login login(const Hub& hub, const std::string& user, const std::string& password, const std::string& from) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), &curl_easy_cleanup);
  std::string form = "user=" + user + "&password=" + password, reply, url = hub.url("/console/login");
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_INTERFACE, ("host!" + from).c_str());
  curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, form.c_str());
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, hub_test::collect);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, 60L);
  Login r;
  auto t0 = Clock::now();
  r.code = curl_easy_perform(c.get());
  r.ms = ms_since(t0);
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

// `n` wrong passwords for `user` from `from`, all released at once; prints what they cost.
void burst(const Hub& hub, const std::string& user, const std::string& from, int n) {
  long before = password_checks(hub);
  std::vector<Login> got((size_t)n);
  std::latch go(1);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; i++)
    threads.emplace_back([&, i] {
      go.wait();
      got[(size_t)i] = login(hub, user, "wrong-password-" + std::to_string(i), from);
    });
  auto t0 = Clock::now();
  go.count_down();
  for (std::thread& t : threads) t.join();
  double wall = ms_since(t0);
  std::map<std::string, int> answers;
  std::vector<double> ms;
  for (const Login& l : got) {
    answers[l.code == CURLE_OK ? std::to_string(l.status) : curl_easy_strerror(l.code)]++;
    ms.push_back(l.ms);
  }
  long after = password_checks(hub);
  printf("  %3d wrong passwords for %-8s from %-11s  argon2id ran %s   wall %.0f ms  (slowest answer %.0f ms)\n    answers:",
         n, user.c_str(), from.c_str(), after < 0 ? "n/a (no hash log)" : std::to_string(after - std::max(0L, before)).c_str(),
         wall, percentile(ms, 100));
  for (const auto& [status, count] : answers) printf(" %s x%d", status.c_str(), count);
  printf("\n");
}

}  // namespace

// [SECTION] Main -------------------------------------------------------------------------------------
int main(int argc, char** argv) {
  int kiosks_n = 50, slow_n = 500, burst_n = 100;
  double seconds = 5;
  for (int i = 1; i + 1 < argc; i++) {
    if (!strcmp(argv[i], "--kiosks")) kiosks_n = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[++i]);
    else if (!strcmp(argv[i], "--slow")) slow_n = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--burst")) burst_n = atoi(argv[++i]);
  }
  if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return 1;
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;  // the slow sockets and the kiosks' connections, with room
    setrlimit(RLIMIT_NOFILE, &files);
  }
  std::string dir;
  {
    Hub hub;
    if (!hub.start("bench-hub-attack")) return fprintf(stderr, "bench-hub-attack: the hub did not start\n"), 1;
    dir = hub.dir;
    std::vector<Kiosk> kiosks;
    for (int k = 1; k <= kiosks_n; k++) {
      Kiosk kiosk{"BK-" + std::to_string(k), "B" + std::to_string(k), ""};
      kiosk.token = hub.add_kiosk(kiosk.id, "default", kiosk.prefix);
      if (kiosk.token.empty()) return fprintf(stderr, "bench-hub-attack: cannot add kiosk %s\n", kiosk.id.c_str()), 1;
      kiosks.push_back(kiosk);
    }
    printf("bench-hub-attack: real sportello-hub on 127.0.0.1, default limits (request deadline 10 s, 1024 connections,"
           " 32 workers); %u cores, load average %s\n",
           std::thread::hardware_concurrency(), harness::read_file("/proc/loadavg").substr(0, 14).c_str());

    printf("1. kiosk ingest, %d kiosks on keep-alive connections, %.0f s per phase\n", kiosks_n, seconds);
    Ingest clean = ingest(hub, kiosks, seconds);
    print("clean", clean);
    Slowloris slow(hub.server.port, slow_n, std::chrono::milliseconds(2000));
    // The kiosks start once the hub's request deadline (10 s from a request's first byte) is less
    // than half a phase away, so the phase sees both: all of them open, then all cut and reopened.
    std::this_thread::sleep_for(std::chrono::duration<double>(std::max(1.0, 10.0 - seconds / 2)));
    int open_at_start = slow.open();
    Ingest attacked = ingest(hub, kiosks, seconds);
    int open_at_end = slow.open();
    slow.stop();
    print("slowloris", attacked);
    printf("  attack: %d slow connections (half send a header line, half a body byte, every 2 s); open %d at start,"
           " %d at end; %d cut by the hub and reopened (%d answered 408)\n",
           slow_n, open_at_start, open_at_end, slow.reopened(), slow.timeouts());
    printf("  ratio under attack: %.2f of the clean requests/s (goal >= 0.80), p99 x%.2f\n",
           clean.rate > 0 ? attacked.rate / clean.rate : 0.0, clean.p99 > 0 ? attacked.p99 / clean.p99 : 0.0);
    printf("2. hub process: peak memory (VmHWM) %ld kB after the clean phase, %ld kB after the attack;"
           " threads at most %ld clean, %ld under attack\n",
           clean.hwm_kb, attacked.hwm_kb, clean.threads, attacked.threads);

    printf("3. logins to /console/login under a %d-attempt burst\n", burst_n);
    std::string cheap = hash_params(hub, "anna");
    Login first = login(hub, "anna", "password-anna", "127.0.0.1");
    std::string real = hash_params(hub, "anna");
    printf("  anna's hash: %s (test provisioning) -> %s after one successful login (%ld, %.0f ms);"
           " Argon2id v1.3, m in KiB\n", cheap.c_str(), real.c_str(), first.status, first.ms);
    if (real == cheap) printf("  (this hub does not upgrade hashes: the burst below pays the cheap cost)\n");
    burst(hub, "anna", "127.0.0.10", burst_n);
    Login fresh = login(hub, "anna", "password-anna", "127.0.0.20");
    printf("  then the right password from a fresh address (127.0.0.20): %ld in %.0f ms%s\n", fresh.status, fresh.ms,
           fresh.code == CURLE_OK ? "" : (std::string(" (") + curl_easy_strerror(fresh.code) + ")").c_str());
    burst(hub, "nobody", "127.0.0.11", burst_n);
    printf("  hub peak memory after the bursts: %ld kB (a few Argon2id at once, 64 MiB each)\n", proc_field(hub.server.pid, "VmHWM"));
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  curl_global_cleanup();
  return 0;
}
