// The hub across instances on PostgreSQL (cluster.h): the event bridge (LISTEN/NOTIFY) and job
// locks (session-level advisory locks), each a thread of its own with a connection of its own.
//
// Index
//   [SECTION] libpq owners, connecting without blocking, waiting
//   [SECTION] Payloads
//   [SECTION] EventBridge
//   [SECTION] JobLock
#include "cluster.h"

#include <libpq-fe.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

namespace hub {

// [SECTION] libpq owners, connecting without blocking, waiting -------------------------------------
namespace {

struct ConnFree {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnFree>;
using Result = std::unique_ptr<PGresult, ResultFree>;

using Ms = std::chrono::milliseconds;
constexpr Ms kConnectTimeout = std::chrono::seconds(10);  // libpq's connect_timeout does not apply to PQconnectPoll
constexpr Ms kBackoffFirst = Ms(100);
constexpr Ms kBackoffMax = std::chrono::seconds(5);

// An eventfd that wakes a thread out of poll(): the owner's destructor writes it.
struct Wake {
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  ~Wake() {
    if (fd >= 0) close(fd);
  }
  void ring() const {
    uint64_t one = 1;
    (void)!write(fd, &one, sizeof one);
  }
  void drain() const {
    uint64_t n;
    (void)!read(fd, &n, sizeof n);
  }
};

enum class Woke { Ready, Timeout, Rung };

// Waits until fd has `events` (fd -1: only the wake-up or the timeout), the wake-up is rung, or
// `timeout` passed (negative: no timeout).
Woke wait_for(int fd, short events, const Wake& wake, Ms timeout) {
  pollfd fds[2] = {{wake.fd, POLLIN, 0}, {fd, events, 0}};
  int n = poll(fds, fd >= 0 ? 2 : 1, timeout.count() < 0 ? -1 : (int)std::min<int64_t>(timeout.count(), 1 << 30));
  if (n > 0 && fds[0].revents) return Woke::Rung;
  if (n > 0 && fds[1].revents) return Woke::Ready;
  return n < 0 ? Woke::Ready : Woke::Timeout;  // EINTR: the caller looks again
}

// libpq's message on one line, for the log (it names hosts and ports, never a password).
std::string one_line(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

// Connects to url without ever blocking on the network (PQconnectPoll), so that the owner's stop
// is prompt even while a host does not answer. The URL's own settings win over the keepalives
// (a host that dies in silence is noticed in about 30 s) and the application name set here.
Conn connect(const std::string& url, const std::string& app, const Wake& wake, std::string* error) {
  const char* keys[] = {"keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
                        "fallback_application_name", "dbname", nullptr};
  const char* values[] = {"1", "10", "5", "4", app.c_str(), url.c_str(), nullptr};
  Conn c(PQconnectStartParams(keys, values, 1));
  if (!c) return *error = "out of memory", nullptr;
  auto deadline = std::chrono::steady_clock::now() + kConnectTimeout;
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (PQstatus(c.get()) != CONNECTION_BAD && st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
    Ms left = std::chrono::duration_cast<Ms>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return *error = "connection timed out", nullptr;
    Woke w = wait_for(PQsocket(c.get()), st == PGRES_POLLING_READING ? POLLIN : POLLOUT, wake, left);
    if (w == Woke::Rung) return *error = "stopped", nullptr;
    st = PQconnectPoll(c.get());
  }
  if (st != PGRES_POLLING_OK || PQstatus(c.get()) != CONNECTION_OK) return *error = one_line(PQerrorMessage(c.get())), nullptr;
  // The server's notices (its "terminating connection" among them) are not ours to print on stderr.
  PQsetNoticeProcessor(c.get(), [](void*, const char*) {}, nullptr);
  return c;
}

// A statement with text parameters; false when it failed (the connection may be gone).
bool exec(PGconn* c, const char* sql, std::initializer_list<const char*> params, std::string* first_value = nullptr) {
  std::vector<const char*> p(params);
  Result r(PQexecParams(c, sql, (int)p.size(), nullptr, p.data(), nullptr, nullptr, 0));
  ExecStatusType st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return false;
  if (first_value) *first_value = PQntuples(r.get()) > 0 ? PQgetvalue(r.get(), 0, 0) : "";
  return true;
}

// Reads what the server sent; false when the connection is gone.
bool consume(PGconn* c) { return PQconsumeInput(c) == 1 && PQstatus(c) == CONNECTION_OK; }

std::string random_id() {
  unsigned char b[8] = {};
  if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {  // never on Linux >= 3.17; still unique per process
    uint64_t t = (uint64_t)std::chrono::steady_clock::now().time_since_epoch().count() ^ (uint64_t)getpid();
    std::copy((unsigned char*)&t, (unsigned char*)&t + 8, b);
  }
  char hex[17];
  for (int i = 0; i < 8; i++) snprintf(hex + 2 * i, 3, "%02x", b[i]);
  return hex;
}

}  // namespace

// [SECTION] Payloads ------------------------------------------------------------------------------
Event refresh_event() { return {Event::RequestChanged, "", ""}; }

static bool is_refresh(const Event& e) { return e.kind == Event::RequestChanged && e.id.empty() && e.state.empty(); }

bool wakes_notifier(const Event& e) {
  return e.kind == Event::RequestChanged && (e.state == "received" || is_refresh(e));
}

// Request ids (UUIDs), states (fixed words), session digests (hex), staff account names
// ([a-z0-9._-]): nothing else is sent, so nothing a visitor typed can travel.
static bool plain(const std::string& s, bool may_be_empty) {
  if (s.size() > 64 || (s.empty() && !may_be_empty)) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.'; });
}

static const char* kind_name(const Event& e) {
  if (is_refresh(e)) return "refresh";
  switch (e.kind) {
    case Event::RequestChanged: return "request";
    case Event::SessionEnded: return "session";
    case Event::UserSessionsEnded: return "user";
  }
  return "";
}

std::string cluster_payload(const std::string& instance, const Event& e) {
  if (!plain(instance, false)) return {};
  if (!is_refresh(e) && (!plain(e.id, false) || !plain(e.state, e.kind != Event::RequestChanged))) return {};
  // At most 4 x 64 characters plus the keys: far below PostgreSQL's 8000-byte limit.
  return nlohmann::json{{"from", instance}, {"kind", kind_name(e)}, {"id", e.id}, {"state", e.state}}.dump();
}

bool cluster_parse(const std::string& payload, std::string* instance, Event* e) {
  if (payload.size() > 1024) return false;
  nlohmann::json j = nlohmann::json::parse(payload, nullptr, false);
  if (!j.is_object()) return false;
  for (const char* key : {"from", "kind", "id", "state"})
    if (!j.contains(key) || !j[key].is_string()) return false;
  std::string kind = j["kind"];
  Event got{Event::RequestChanged, j["id"], j["state"]};
  if (kind == "refresh") got = refresh_event();
  else if (kind == "session") got.kind = Event::SessionEnded;
  else if (kind == "user") got.kind = Event::UserSessionsEnded;
  else if (kind != "request") return false;
  if (kind != "refresh" && (!plain(got.id, false) || !plain(got.state, kind != "request"))) return false;
  std::string from = j["from"];
  if (!plain(from, false)) return false;
  *instance = from;
  *e = got;
  return true;
}

// [SECTION] EventBridge ---------------------------------------------------------------------------
struct EventBridge::Impl {
  std::string url;
  EventBus& bus;
  std::function<void(const Event&)> on_event;
  std::string instance = random_id();
  Wake wake;
  std::atomic<bool> stop{false};
  std::atomic<bool> connected{false};
  std::atomic<uint64_t> connections{0};
  std::mutex mu;
  std::deque<Event> queue;  // under mu
  bool missed = false;      // under mu: events the others did not get (queue full, connection down)
  std::string error;        // under mu
  std::thread thread;

  Impl(std::string u, EventBus& b, std::function<void(const Event&)> f)
      : url(std::move(u)), bus(b), on_event(std::move(f)) {}
  void deliver(const Event& e) {
    bus.deliver(e);
    if (on_event) on_event(e);
  }
  void run();
  bool serve(PGconn* c);
  bool notify(PGconn* c, const Event& e);
  void receive(PGconn* c);
  void set_error(std::string e) {
    std::lock_guard<std::mutex> lock(mu);
    error = std::move(e);
  }
};

void EventBridge::Impl::run() {
  Ms backoff = kBackoffFirst;
  while (!stop) {
    std::string err;
    Conn c = connect(url, "sportello-hub events " + instance, wake, &err);
    if (c && !exec(c.get(), (std::string("LISTEN ") + kChannel).c_str(), {})) c.reset(), err = "LISTEN failed";
    if (!c) {
      set_error(err);
      if (stop || wait_for(-1, 0, wake, backoff) == Woke::Rung) continue;
      backoff = std::min(backoff * 2, kBackoffMax);
      continue;
    }
    backoff = kBackoffFirst;
    bool again = connections++ > 0;
    connected = true;
    // Out of touch for a while: what the others published meanwhile never came, and what this
    // instance published (marked missed) never left. Both sides' consoles re-fetch.
    if (again) deliver(refresh_event());
    if (!serve(c.get())) set_error(one_line(PQerrorMessage(c.get())));
    connected = false;
    std::lock_guard<std::mutex> lock(mu);
    if (!queue.empty()) missed = true;
    queue.clear();
  }
}

// Listens and sends on one connection until it is lost (false) or the bridge stops (true).
bool EventBridge::Impl::serve(PGconn* c) {
  for (;;) {
    std::deque<Event> out;
    bool tell_missed;
    {
      std::lock_guard<std::mutex> lock(mu);
      out.swap(queue);
      tell_missed = missed;
      missed = false;
    }
    if (tell_missed) out.push_front(refresh_event());
    for (const Event& e : out) {
      if (notify(c, e)) continue;
      std::lock_guard<std::mutex> lock(mu);
      missed = true;  // this one and the rest: the others re-fetch once the bridge is back
      return false;
    }
    receive(c);  // what came while the statements ran
    if (PQstatus(c) != CONNECTION_OK) return false;
    Woke w = wait_for(PQsocket(c), POLLIN, wake, Ms(-1));
    if (stop) return true;
    if (w == Woke::Rung) wake.drain();
    if (w == Woke::Ready) {
      if (!consume(c)) return false;
      receive(c);
    }
  }
}

bool EventBridge::Impl::notify(PGconn* c, const Event& e) {
  std::string payload = cluster_payload(instance, e);
  if (payload.empty()) return true;
  return exec(c, "SELECT pg_notify($1, $2)", {kChannel, payload.c_str()});
}

void EventBridge::Impl::receive(PGconn* c) {
  while (PGnotify* n = PQnotifies(c)) {
    std::string from;
    Event e;
    if (cluster_parse(n->extra, &from, &e) && from != instance) deliver(e);
    PQfreemem(n);
  }
}

EventBridge::EventBridge(std::string url, EventBus& bus, std::function<void(const Event&)> on_event)
    : impl_(std::make_unique<Impl>(std::move(url), bus, std::move(on_event))) {
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

EventBridge::~EventBridge() {
  impl_->stop = true;
  impl_->wake.ring();
  impl_->thread.join();
}

void EventBridge::send(const Event& e) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (!impl_->connected || impl_->queue.size() >= kMaxQueued) {
      impl_->missed = true;
      return;
    }
    impl_->queue.push_back(e);
  }
  impl_->wake.ring();
}

const std::string& EventBridge::instance() const { return impl_->instance; }
bool EventBridge::connected() const { return impl_->connected; }
uint64_t EventBridge::connections() const { return impl_->connections; }

std::string EventBridge::last_error() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->error;
}

// [SECTION] JobLock -------------------------------------------------------------------------------
struct JobLock::Impl {
  std::string url, job;
  Ms retry;
  std::function<void(bool)> on_change;
  std::string key_text = std::to_string(JobLock::key(job));
  std::string instance = random_id();
  Wake wake;
  std::atomic<bool> stop{false};
  std::atomic<bool> held{false};
  std::thread thread;

  Impl(std::string u, std::string j, Ms r, std::function<void(bool)> f)
      : url(std::move(u)), job(std::move(j)), retry(r), on_change(std::move(f)) {}
  void set_held(bool now) {
    if (held.exchange(now) != now && on_change) on_change(now);
  }
  void run();
  void hold(PGconn* c);
};

void JobLock::Impl::run() {
  Ms backoff = kBackoffFirst;
  while (!stop) {
    std::string err;
    Conn c = connect(url, "sportello-hub job " + job + " " + instance, wake, &err);
    if (c) {
      backoff = kBackoffFirst;
      hold(c.get());
      c.reset();  // closed before anyone is told: the lock is the server's to give again
      if (!stop) set_held(false);
    }
    if (stop || wait_for(-1, 0, wake, std::min(backoff, retry)) == Woke::Rung) continue;
    backoff = std::min(backoff * 2, kBackoffMax);
  }
  held = false;
}

// Tries the lock every retry while not held; once held, waits for the connection's end only.
void JobLock::Impl::hold(PGconn* c) {
  for (;;) {
    if (!held) {
      std::string got;
      if (!exec(c, "SELECT pg_try_advisory_lock($1::bigint)", {key_text.c_str()}, &got)) return;
      if (got == "t") set_held(true);
    }
    if (PQstatus(c) != CONNECTION_OK) return;
    Woke w = wait_for(PQsocket(c), POLLIN, wake, held ? Ms(-1) : retry);
    if (stop) return;
    if (w == Woke::Rung) wake.drain();
    if (w == Woke::Ready && !consume(c)) return;
    while (PGnotify* n = PQnotifies(c)) PQfreemem(n);
  }
}

JobLock::JobLock(std::string url, std::string job, Ms retry, std::function<void(bool)> on_change)
    : impl_(std::make_unique<Impl>(std::move(url), std::move(job), retry, std::move(on_change))) {
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

JobLock::~JobLock() {
  impl_->stop = true;
  impl_->wake.ring();
  impl_->thread.join();
}

bool JobLock::held() const { return impl_->held; }
const std::string& JobLock::job() const { return impl_->job; }

int64_t JobLock::key(const std::string& job) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a: the same key in every instance and every version
  for (unsigned char c : "sportello-hub job " + job) h = (h ^ c) * 1099511628211ull;
  return (int64_t)h;
}

}  // namespace hub
