// [SECTION] Live consoles: Server-Sent Events parked in the front's loop (see README, "Why this
// HTTP server"). GET /console/events is authenticated on a worker (a live mediator session, a
// same-origin browser), then the connection goes back to the loop for good: it costs a file
// descriptor, a small buffer and a timer entry, never a thread. The event bus (events.h) wakes the
// loop, which writes each event to every stream without blocking; a stream whose client reads too
// slowly to keep within kOutMax is dropped, the others never wait for it. A comment line every
// 45-60 s (on a 15 s grid, so the heartbeats of many streams share one wake-up) keeps proxies from
// closing an idle stream; nothing else runs while no event comes. The stream ends with its session:
// at its idle or maximum age, on logout, and when the user's sessions are ended.
//
// Index
//   [SECTION] Opening a stream (worker)
//   [SECTION] Writing, heartbeats, the end of a session (loop)
#include "console_internal.h"
#include "front_internal.h"

#include <sys/socket.h>

#include <algorithm>

namespace hub {

constexpr size_t kOutMax = 16 * 1024;        // our buffer per stream, beyond the socket's: then dropped
constexpr int kSendBuffer = 16 * 1024;       // the kernel's per stream (it doubles it for its bookkeeping)
constexpr auto kHeartbeat = std::chrono::seconds(45);
constexpr auto kHeartbeatGrid = std::chrono::seconds(15);
constexpr char kPath[] = "/console/events";
constexpr long kBurst = 32;                  // events in one wake-up beyond which they are sent as one

bool is_live_request(const Head& h) { return h.method == "GET" && h.path == kPath; }

// [SECTION] Opening a stream (worker) --------------------------------------------------------------
// The value of a header in the head buf[0, len), or "" (the first one of that name).
static std::string header_of(const std::string& buf, size_t len, const std::string& name) {
  for (size_t at = buf.find("\r\n") + 2; at < len;) {
    size_t end = buf.find("\r\n", at);
    if (end == std::string::npos || end > len) break;
    size_t colon = buf.find(':', at);
    if (colon < end && colon - at == name.size() &&
        std::equal(name.begin(), name.end(), buf.begin() + (long)at,
                   [](char a, char b) { return tolower((unsigned char)a) == tolower((unsigned char)b); })) {
      size_t v = buf.find_first_not_of(" \t", colon + 1);
      size_t e = buf.find_last_not_of(" \t", end - 1);
      return v < end && e >= v ? buf.substr(v, e - v + 1) : std::string();
    }
    at = end + 2;
  }
  return {};
}

// The next heartbeat: 45 s from now, rounded up to the grid so that many streams share a wake-up.
static Clock::time_point next_heartbeat(Clock::time_point now) {
  auto grid = std::chrono::duration_cast<Clock::duration>(kHeartbeatGrid).count();
  auto at = (now + kHeartbeat).time_since_epoch().count();
  return Clock::time_point(Clock::duration((at + grid - 1) / grid * grid));
}

static void refuse_live(Front& f, Conn& c, int status, const char* code) {
  c.live = false;
  c.lives = nullptr;
  f.lives--;
  refuse(f, c, status, code);
}

void live_open(Front& f, Conn& c) {
  Server& s = f.s;
  std::string site = header_of(c.buf, c.head_len, "Sec-Fetch-Site");
  std::string origin = header_of(c.buf, c.head_len, "Origin"), host = header_of(c.buf, c.head_len, "Host");
  size_t scheme = origin.find("://");
  bool same_site = site.empty() ? origin.empty() || (scheme != std::string::npos && origin.substr(scheme + 3) == host)
                                : site == "same-origin";
  if (!same_site) return refuse_live(f, c, 403, "cross_site");
  httplib::Request req;
  req.headers.emplace("Cookie", header_of(c.buf, c.head_len, "Cookie"));
  std::string token = cookie_value(req, cookie_name(s, "console"));
  std::optional<ConsoleSession> session;
  int64_t now = unix_now();
  if (!token.empty() && token.size() <= 128) session = s.store->touch_session("console", sha256_hex(token), now, kSessionIdleS);
  if (!session) return refuse_live(f, c, 401, "no_session");
  if (session->role != "mediator") return refuse_live(f, c, 403, "forbidden_role");
  c.state = Conn::Live;
  c.user = session->user;
  c.session = sha256_hex(token);
  // Past the idle time (the stream does not keep a session alive) or the session's end: closed.
  // A browser then reconnects, and is let in only if the session lives on through other use.
  int64_t left = std::min(session->expires - now, kSessionIdleS) + 2;
  Clock::time_point steady = Clock::now();
  c.session_end = steady + std::chrono::seconds(std::max<int64_t>(left, 1));
  c.deadline = std::min(next_heartbeat(steady), c.session_end);
  c.buf.clear();
  int size = kSendBuffer;
  setsockopt(c.fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  c.out = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-store\r\n"
          "X-Content-Type-Options: nosniff\r\nX-Accel-Buffering: no\r\n";
  if (s.tls || s.config.tls_proxy) c.out += std::string("Strict-Transport-Security: ") + kHsts + "\r\n";
  c.out += "\r\nretry: 5000\n\n";
  log_event("GET " + std::string(kPath) + " 200", c.client, "user=" + c.user);
}

// [SECTION] Writing, heartbeats, the end of a session (loop) ----------------------------------------
// Writes what the stream has pending, as far as the socket takes it. False: the client is gone.
static bool flush(Conn& c) {
  while (!c.out.empty()) {
    ssize_t r = conn_write(c, c.out.data(), c.out.size());
    if (r == -1) return true;  // the socket is full: the loop waits for EPOLLOUT
    if (r <= 0) return false;
    c.out.erase(0, (size_t)r);
  }
  c.want_write = false;
  return true;
}

bool live_ready(Front& f, Conn& c) {
  (void)f;
  char tmp[4096];
  for (;;) {  // a client has nothing to say on a stream: what it sends is dropped; its end ends it
    ssize_t r = conn_read(c, tmp, sizeof tmp);
    if (r == 0 || r == -2) return false;
    if (r == -1) break;
  }
  return flush(c);
}

bool live_deadline(Front& f, Conn& c, Clock::time_point now) {
  (void)f;
  if (now >= c.session_end) {
    log_event("live_end session_over", c.client, "user=" + c.user);
    return false;
  }
  if (c.out.size() < kOutMax) c.out += ":\n\n";
  c.deadline = std::min(next_heartbeat(now), c.session_end);
  return flush(c);
}

void live_broadcast(Front& f) {
  uint64_t n;
  (void)!::read(f.events_fd, &n, sizeof n);
  std::string text;
  std::vector<int> gone;
  for (const Event& e : f.s.events.take()) {
    if (e.kind == Event::RequestChanged) {
      text += sse_text(e);
      continue;
    }
    for (int fd : f.live) {  // a session ended: its streams end too
      Conn& c = *f.conns.at(fd);
      if ((e.kind == Event::SessionEnded && c.session == e.id) || (e.kind == Event::UserSessionsEnded && c.user == e.id))
        gone.push_back(fd);
    }
  }
  // A burst (a kiosk's backlog arriving) becomes one "queue changed": consoles re-fetch anyway.
  if (std::count(text.begin(), text.end(), '\n') > 3 * kBurst) text = "event: queue\ndata: {}\n\n";
  if (!text.empty()) {
    for (int fd : f.live) {
      Conn& c = *f.conns.at(fd);
      if (c.out.size() + text.size() > kOutMax) {
        log_event("live_dropped slow_consumer", c.client, "user=" + c.user);
        gone.push_back(fd);
        continue;
      }
      c.out += text;
      if (flush(c)) watch(f, c);
      else gone.push_back(fd);
    }
  }
  for (int fd : gone) {
    if (!f.live.erase(fd)) continue;
    f.conns.erase(fd);
  }
}

}  // namespace hub
