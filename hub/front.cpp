// [SECTION] Front: our own accept loop in front of httplib's routing (see README, "Why this HTTP
// server"). One thread polls every connection: TLS handshakes, request heads and small bodies are
// read there, bounded in size and time, so a slow or hostile client costs a buffer, never a
// thread. Only a complete request (or the head of an authenticated-route upload) goes to a worker,
// which runs httplib's routing on it; an idle keep-alive connection goes back to the poll loop.
//
// Index
//   [SECTION] Connections: plain or TLS, non-blocking reads and writes
//   [SECTION] The stream httplib reads and writes through (workers)
//   (request heads are parsed in front_head.cpp)
//   [SECTION] The event loop: epoll, deadlines in a heap, and the workers
#include "front_internal.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>

namespace hub {

constexpr size_t kHeadMax = 16 * 1024;     // request line and headers together: beyond, 431
constexpr int kLargeSlots = 4;             // uploads read by workers at once: beyond, 503
constexpr int kRequestsPerConnection = 1000;
constexpr int kIdleSeconds = 30;           // an idle keep-alive connection is closed after this
constexpr int kWriteSeconds = 10;          // a response write that makes no progress for this long fails
constexpr uint64_t kUploadRate = 64 * 1024;  // bytes/s an upload must sustain, on average
constexpr size_t kDrainMax = 1 << 20;      // after a refusal, at most this much is read and dropped

// [SECTION] Connections ---------------------------------------------------------------------------
// Reads what is there: >0 bytes, 0 at the end of the stream, -1 would block, -2 failed.
ssize_t conn_read(Conn& c, char* p, size_t n) {
  c.want_write = false;
  if (!c.ssl) {
    ssize_t r = ::recv(c.fd, p, n, MSG_DONTWAIT);
    if (r >= 0) return r;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : -2;
  }
  ERR_clear_error();
  int r = SSL_read(c.ssl, p, (int)std::min(n, (size_t)1 << 30));
  if (r > 0) return r;
  int e = SSL_get_error(c.ssl, r);
  if (e == SSL_ERROR_WANT_READ) return -1;
  if (e == SSL_ERROR_WANT_WRITE) return c.want_write = true, -1;
  return e == SSL_ERROR_ZERO_RETURN ? 0 : -2;
}

// Writes some bytes: how many, -1 would block, -2 failed.
ssize_t conn_write(Conn& c, const char* p, size_t n) {
  c.want_write = true;
  if (!c.ssl) {
    ssize_t r = ::send(c.fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (r >= 0) return r;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : -2;
  }
  ERR_clear_error();
  int r = SSL_write(c.ssl, p, (int)std::min(n, (size_t)1 << 30));
  if (r > 0) return r;
  int e = SSL_get_error(c.ssl, r);
  if (e == SSL_ERROR_WANT_READ) return c.want_write = false, -1;
  return e == SSL_ERROR_WANT_WRITE ? -1 : -2;
}

// Waits until the connection can go on (reading, or whatever TLS wants), at most until `until`.
static bool conn_wait(const Conn& c, Clock::time_point until) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
  if (left <= 0) return false;
  pollfd p{c.fd, (short)(c.want_write ? POLLOUT : POLLIN), 0};
  int r = ::poll(&p, 1, (int)std::min<int64_t>(left, 1000));
  return r >= 0 && (r == 0 ? Clock::now() < until : true);
}

// [SECTION] Stream ------------------------------------------------------------------------------
// What httplib reads and writes through: first the bytes the loop already read, then the socket,
// never past the request's deadline.
class ConnStream : public httplib::Stream {
public:
  ConnStream(Conn& c, Clock::time_point deadline) : c_(c), deadline_(deadline) {}
  bool is_readable() const override { return pos_ < c_.buf.size() || (c_.ssl && SSL_pending(c_.ssl) > 0) || wait_in(); }
  bool is_writable() const override { return true; }  // write() waits itself, bounded
  ssize_t read(char* p, size_t n) override {
    if (pos_ < c_.buf.size()) {
      size_t k = std::min(n, c_.buf.size() - pos_);
      memcpy(p, c_.buf.data() + pos_, k);
      pos_ += k;
      consumed_ += k;
      return (ssize_t)k;
    }
    for (;;) {
      ssize_t r = conn_read(c_, p, n);
      if (r > 0) consumed_ += (uint64_t)r;
      if (r >= 0) return r;
      if (r == -2 || !conn_wait(c_, deadline_)) return -1;
    }
  }
  ssize_t write(const char* p, size_t n) override {
    size_t done = 0;
    auto until = Clock::now() + std::chrono::seconds(kWriteSeconds);
    while (done < n) {
      ssize_t r = conn_write(c_, p + done, n - done);
      if (r > 0) {
        done += (size_t)r;
        until = Clock::now() + std::chrono::seconds(kWriteSeconds);
      } else if (r == -2 || !conn_wait(c_, until)) {
        return -1;
      }
    }
    return (ssize_t)n;
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = c_.client, port = 0; }
  void get_local_ip_and_port(std::string& ip, int& port) const override { ip.clear(), port = 0; }
  socket_t socket() const override { return c_.fd; }
  uint64_t consumed() const { return consumed_; }
  // Drops what httplib consumed from the loop's buffer; the rest is the next request.
  void keep_rest() { c_.buf.erase(0, std::min(pos_, c_.buf.size())); }

private:
  bool wait_in() const { return conn_wait(c_, std::min(deadline_, Clock::now() + std::chrono::seconds(5))); }
  Conn& c_;
  Clock::time_point deadline_;
  size_t pos_ = 0;
  uint64_t consumed_ = 0;
};

// [SECTION] Loop ----------------------------------------------------------------------------------
// The loop's work per wake-up follows the connections that are ready, not all the open ones (idle
// keep-alive and slowloris connections cost nothing until they send or time out): each connection
// is registered with epoll once, its interest changed only when it changes, and deadlines wait in
// a min-heap looked at only once its earliest entry has passed.
static std::atomic<int> g_wake_fd{-1};
static std::atomic<bool> g_stop{false};
static thread_local bool t_close_after = false;  // the response said Connection: close

void front_stop() {
  g_stop = true;
  uint64_t one = 1;
  int fd = g_wake_fd;
  if (fd >= 0) (void)!::write(fd, &one, sizeof one);
}

static const char* reason(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
  }
  return "Error";
}

// Stops reading requests: shuts the write side and reads (and drops) what the client still sends
// for a short while, so it sees our answer instead of a reset, and no leftover byte is parsed.
void start_drain(Conn& c) {
  if (c.ssl) {
    ERR_clear_error();
    SSL_shutdown(c.ssl);
  }
  ::shutdown(c.fd, SHUT_WR);
  c.state = Conn::Drain;
  c.drained = 0;
  c.deadline = Clock::now() + std::chrono::seconds(2);
}

// Answers a request the front refuses (before its body is read) and closes the connection.
void refuse(Front& f, Conn& c, int status, const char* code) {
  std::string body = std::string("{\"error\":\"") + code + "\"}";
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
                    "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n";
  if (status == 503) out += "Retry-After: 5\r\n";
  if (f.tls) out += std::string("Strict-Transport-Security: ") + kHsts + "\r\n";
  out += "\r\n" + body;
  conn_write(c, out.data(), out.size());  // small: fits the socket buffer, or the client is gone
  log_event("refused " + std::to_string(status) + " " + code, c.client);
  start_drain(c);
}

// Gives a request to the workers: its head (and small body) are in c.buf. The worker waits on the
// socket itself, so the loop stops watching it until it comes back.
static void hand(Front& f, ConnPtr c, bool large, Clock::time_point deadline) {
  if (c->events) epoll_ctl(f.ep, EPOLL_CTL_DEL, c->fd, nullptr);
  c->events = 0;
  c->state = Conn::Busy;
  c->large = large;
  c->deadline = deadline;
  f.inflight++;
  if (large) f.large++;
  std::lock_guard<std::mutex> lock(f.mu);
  f.jobs.push_back(std::move(c));
  f.cv.notify_one();
}

// Looks at what a connection has read: refuses, waits for more, or hands the request over.
// Returns the connection when the loop keeps it.
static ConnPtr examine(Front& f, ConnPtr c) {
  Clock::time_point now = Clock::now();
  if (c->state == Conn::Head) {
    size_t end = c->buf.find("\r\n\r\n");
    if (end == std::string::npos || end + 4 > kHeadMax) {
      if (c->buf.size() > kHeadMax) refuse(f, *c, 431, "head_too_large");
      return c;
    }
    c->head_len = end + 4;
    Head h;
    auto [status, code] = parse_head(c->buf, c->head_len, &h);
    if (status) return refuse(f, *c, status, code), std::move(c);
    c->client = c->peer;
    if (!f.s.config.trust_proxy.empty() && c->peer == f.s.config.trust_proxy && valid_ip(h.forwarded))
      c->client = h.forwarded;
    c->body_len = h.length;
    if (is_live_request(h)) {  // a console's event stream: a worker checks the session, then it is parked here
      if (f.lives >= f.s.config.max_live) return refuse(f, *c, 503, "live_full"), std::move(c);
      if (f.inflight >= f.s.config.max_inflight) return refuse(f, *c, 503, "busy"), std::move(c);
      c->live = true;
      c->lives = &f.lives;
      f.lives++;
      hand(f, std::move(c), false, now + f.request_time);
      return nullptr;
    }
    size_t cap = body_cap(f.s, h.path);
    if (h.length > cap) return refuse(f, *c, 413, "too_large"), std::move(c);
    // Load shedding happens here, before a body byte is read.
    if (f.inflight >= f.s.config.max_inflight) return refuse(f, *c, 503, "busy"), std::move(c);
    if (cap > kAdminJsonMax && h.length > 0) {  // an upload: read by the worker, after its route authenticated it
      if (f.large >= kLargeSlots) return refuse(f, *c, 503, "busy"), std::move(c);
      hand(f, std::move(c), true, now + f.request_time + std::chrono::seconds(h.length / kUploadRate));
      return nullptr;
    }
    if (h.expect) {  // we read the body here: answer the Expect ourselves, and hide it from httplib
      c->buf[h.expect_at] = 'X';
      const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
      conn_write(*c, cont, sizeof cont - 1);
      c->want_write = false;  // small, written or not: what we wait for next is the body
    }
    c->state = Conn::Body;
  }
  if (c->state == Conn::Body && c->buf.size() >= c->head_len + c->body_len) {
    hand(f, std::move(c), false, now + f.request_time);
    return nullptr;
  }
  return c;
}

// Reads what a connection has for us and acts on it; null when the connection is gone or handed over.
static ConnPtr progress(Front& f, ConnPtr c) {
  if (c->state == Conn::Handshake) {
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r != 1) {
      int e = SSL_get_error(c->ssl, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return nullptr;
      c->want_write = e == SSL_ERROR_WANT_WRITE;
      return c;
    }
    c->state = Conn::Head;
    if (c->reject) return refuse(f, *c, 503, "busy"), std::move(c);
  }
  if (c->state == Conn::Drain) {
    char tmp[16384];
    ssize_t r;
    while ((r = ::recv(c->fd, tmp, sizeof tmp, MSG_DONTWAIT)) > 0)
      if ((c->drained += (size_t)r) > kDrainMax) return nullptr;
    return r < 0 && (errno == EAGAIN || errno == EINTR) ? std::move(c) : nullptr;
  }
  for (;;) {
    size_t limit = c->state == Conn::Head ? kHeadMax + 1 : c->head_len + c->body_len;
    if (c->buf.size() >= limit) break;
    char tmp[16384];
    ssize_t r = conn_read(*c, tmp, std::min(sizeof tmp, limit - c->buf.size()));
    if (r == 0 || r == -2) return nullptr;
    if (r == -1) break;
    if (!c->started) {
      c->started = true;
      c->deadline = Clock::now() + f.request_time;  // the whole request, head and body, from its first byte
    }
    c->buf.append(tmp, (size_t)r);
  }
  return examine(f, std::move(c));
}

// Brings epoll and the timers up to date with a connection the loop keeps: called after every
// change to it. Draining only reads; otherwise TLS may need the socket writable to go on.
void watch(Front& f, Conn& c) {
  uint32_t want = c.state != Conn::Drain && c.want_write ? EPOLLOUT : EPOLLIN;
  if (c.state == Conn::Live) want = EPOLLIN | (c.out.empty() && !c.want_write ? 0u : (uint32_t)EPOLLOUT);
  if (c.events != want) {
    epoll_event ev{};
    ev.events = want;
    ev.data.fd = c.fd;
    epoll_ctl(f.ep, c.events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c.fd, &ev);
    c.events = want;
  }
  if (c.armed != c.deadline) {
    f.timers.push({c.deadline, c.fd, c.serial});
    c.armed = c.deadline;
  }
}

// Keeps a connection in the loop, or lets it go (closed, or handed to a worker) when null.
static void keep(Front& f, ConnPtr c) {
  if (!c) return;
  watch(f, *c);
  int fd = c->fd;
  if (c->state == Conn::Live) f.live.insert(fd);
  f.conns[fd] = std::move(c);
}

static void accept_all(Front& f) {
  for (;;) {
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    int fd = ::accept4(f.listen_fd, (sockaddr*)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    // Beyond the limit a few more are answered 503; beyond those, closed at once.
    if (f.open >= f.s.config.max_connections + 64) {
      ::close(fd);
      continue;
    }
    int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    auto c = std::make_unique<Conn>();
    c->fd = fd;
    char host[INET6_ADDRSTRLEN] = "";
    if (sa.ss_family == AF_INET) inet_ntop(AF_INET, &((sockaddr_in*)&sa)->sin_addr, host, sizeof host);
    if (sa.ss_family == AF_INET6) inet_ntop(AF_INET6, &((sockaddr_in6*)&sa)->sin6_addr, host, sizeof host);
    c->peer = c->client = host;
    c->reject = f.open >= f.s.config.max_connections;
    c->started = true;
    c->deadline = Clock::now() + f.request_time;
    c->serial = ++f.serials;
    c->open = &f.open;
    f.open++;
    if (f.tls) {
      c->ssl = SSL_new(f.tls.get());
      SSL_set_fd(c->ssl, fd);
      SSL_set_accept_state(c->ssl);
      c->state = Conn::Handshake;
    } else if (c->reject) {
      refuse(f, *c, 503, "busy");
    }
    keep(f, std::move(c));
  }
}

// A worker: runs httplib's routing on one request, then gives the connection back to the loop.
static void work(Front& f) {
  for (;;) {
    ConnPtr c;
    {
      std::unique_lock<std::mutex> lock(f.mu);
      f.cv.wait(lock, [&] { return !f.jobs.empty() || f.stopping; });
      if (f.jobs.empty()) return;
      c = std::move(f.jobs.front());
      f.jobs.pop_front();
    }
    if (c->live) {  // no routing: the stream's head, or a refusal, is written by live_open
      live_open(f, *c);
      f.inflight--;
      std::lock_guard<std::mutex> lock(f.mu);
      f.returned.push_back(std::move(c));
      uint64_t one = 1;
      (void)!::write(f.wake_fd, &one, sizeof one);
      continue;
    }
    ConnStream stream(*c, c->deadline);
    bool close = g_stop || ++c->requests >= kRequestsPerConnection, closed = false;
    t_close_after = false;
    bool ok = f.routes.serve_one(stream, close, &closed);
    // A request whose body was not read to its end (an early refusal) ends its connection:
    // the unread bytes must never be taken for the next request.
    bool all_read = stream.consumed() >= c->head_len + c->body_len;
    stream.keep_rest();
    f.inflight--;
    if (c->large) f.large--;
    bool keep = ok && !closed && !close && !t_close_after && all_read;
    if (keep) {
      c->state = Conn::Head;
      c->want_write = false;  // left over from writing the response: next, the loop reads
      c->started = false;
      c->head_len = 0;
      c->body_len = 0;
      c->deadline = Clock::now() + std::chrono::seconds(kIdleSeconds);
    } else {
      start_drain(*c);
    }
    std::lock_guard<std::mutex> lock(f.mu);
    f.returned.push_back(std::move(c));
    uint64_t one = 1;
    (void)!::write(f.wake_fd, &one, sizeof one);
  }
}

// Reads a ready connection and acts on it.
static void step(Front& f, int fd) {
  auto it = f.conns.find(fd);
  if (it == f.conns.end()) return;
  if (it->second->state == Conn::Live) {
    if (live_ready(f, *it->second)) return watch(f, *it->second);
    f.live.erase(fd);
    return (void)f.conns.erase(it);
  }
  ConnPtr c = progress(f, std::move(it->second));  // touches no other connection: `it` stays valid
  if (!c) return (void)f.conns.erase(it);
  watch(f, *c);
  it->second = std::move(c);
}

// Ends or answers the connections whose deadline has passed: only the heap's expired entries are
// looked at. Too slow: a partly sent request is told so; an idle or draining connection just ends.
static void expire(Front& f, Clock::time_point now) {
  while (!f.timers.empty() && f.timers.top().at <= now) {
    Timer t = f.timers.top();
    f.timers.pop();
    auto it = f.conns.find(t.fd);
    if (it == f.conns.end() || it->second->serial != t.serial || it->second->deadline != t.at) continue;
    Conn& c = *it->second;
    if (c.state == Conn::Live) {  // a heartbeat is due, or the session is over
      if (live_deadline(f, c, now)) watch(f, c);
      else f.live.erase(t.fd), f.conns.erase(it);
    } else if ((c.state == Conn::Head && c.started && !c.buf.empty()) || c.state == Conn::Body) {
      refuse(f, c, 408, "request_timeout");
      watch(f, c);
    } else {
      f.conns.erase(it);
    }
  }
  // Stale entries wait for their time; past a bound, the heap is rebuilt from the live deadlines.
  if (f.timers.size() > 2 * f.conns.size() + 1024) {
    f.timers = {};
    for (auto& [fd, c] : f.conns) f.timers.push({c->deadline, fd, c->serial}), c->armed = c->deadline;
  }
}

// Takes back the connections the workers are done with.
static void take_back(Front& f) {
  uint64_t n;
  (void)!::read(f.wake_fd, &n, sizeof n);
  std::deque<ConnPtr> back;
  {
    std::lock_guard<std::mutex> lock(f.mu);
    back.swap(f.returned);
  }
  for (ConnPtr& c : back) {
    // A pipelined request may already be buffered: look at it now, not on the next wake-up.
    if (c->state == Conn::Head && (!c->buf.empty() || (c->ssl && SSL_pending(c->ssl) > 0))) c = progress(f, std::move(c));
    if (c && c->state == Conn::Live && !live_ready(f, *c)) continue;  // flushes the stream's head
    keep(f, std::move(c));
  }
}

// How long the loop may sleep: until the earliest deadline, or until woken (an idle hub with
// no deadline pending sleeps; a stop, a worker and the event bus wake it through their eventfds).
static int wait_ms(const Front& f) {
  if (f.timers.empty()) return -1;
  Clock::time_point now = Clock::now();
  int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(f.timers.top().at - now).count();
  return (int)std::clamp<int64_t>(ms + 1, 0, 3600 * 1000);
}

void front_run(Front& f) {
  std::vector<std::thread> workers;
  for (int i = 0; i < f.s.config.workers; i++) workers.emplace_back(work, std::ref(f));
  epoll_event ready[256];
  while (!g_stop) {
    int n = epoll_wait(f.ep, ready, 256, wait_ms(f));
    if (n < 0 && errno != EINTR) break;
    Clock::time_point now = Clock::now();
    bool accept = false, wake = false, events = false;
    for (int i = 0; i < n; i++) {
      int fd = ready[i].data.fd;
      if (fd == f.listen_fd) accept = true;
      else if (fd == f.wake_fd) wake = true;
      else if (fd == f.events_fd) events = true;
      else step(f, fd);
    }
    expire(f, now);
    if (accept) accept_all(f);
    if (wake) take_back(f);
    if (events) live_broadcast(f);
  }
  f.s.events.set_wake(nullptr);
  f.routes.set_listening(INVALID_SOCKET);  // responses still streaming stop
  {
    std::lock_guard<std::mutex> lock(f.mu);
    f.stopping = true;
  }
  f.cv.notify_all();
  for (std::thread& t : workers) t.join();
  f.conns.clear();
  f.returned.clear();
  f.jobs.clear();
}

// [SECTION] Opening -------------------------------------------------------------------------------
// TLS 1.2 at least; for TLS 1.2 only ECDHE key exchange with AEAD ciphers (TLS 1.3's are all AEAD).
static bool make_tls(Front& f, const ServeConfig& config, std::string* error) {
  f.tls.reset(SSL_CTX_new(TLS_server_method()));
  SSL_CTX* ctx = f.tls.get();
  bool ok = ctx && SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 &&
            SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") == 1 &&
            SSL_CTX_use_certificate_chain_file(ctx, config.tls_cert.c_str()) == 1 &&
            SSL_CTX_use_PrivateKey_file(ctx, config.tls_key.c_str(), SSL_FILETYPE_PEM) == 1 &&
            SSL_CTX_check_private_key(ctx) == 1;
  if (!ok) {
    *error = "cannot use the TLS certificate " + config.tls_cert + " / key " + config.tls_key;
    return false;
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return true;
}

static bool listen_on(Front& f, const std::string& host, int port, std::string* error) {
  addrinfo hints{}, *found = nullptr;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) {
    *error = "cannot resolve " + host;
    return false;
  }
  for (addrinfo* a = found; a && f.listen_fd < 0; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    int yes = 1;
    if (fd < 0) continue;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 511) == 0) f.listen_fd = fd;
    else ::close(fd);
  }
  freeaddrinfo(found);
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  if (f.listen_fd < 0 || getsockname(f.listen_fd, (sockaddr*)&sa, &len) != 0) {
    *error = "cannot listen on " + host + ":" + std::to_string(port);
    return false;
  }
  f.port = ntohs(sa.ss_family == AF_INET6 ? ((sockaddr_in6*)&sa)->sin6_port : ((sockaddr_in*)&sa)->sin_port);
  return true;
}

void FrontDeleter::operator()(Front* f) const { delete f; }

FrontPtr front_open(Server& s, Routes& routes, std::string* error) {
  FrontPtr f(new Front(s, routes));
  f->request_time = std::chrono::seconds(std::max(1, s.config.request_timeout_s));
  if (!s.config.tls_cert.empty() && !make_tls(*f, s.config, error)) return nullptr;
  if (!listen_on(*f, s.config.host, s.config.port, error)) return nullptr;
  f->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  f->events_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  f->ep = epoll_create1(EPOLL_CLOEXEC);
  if (f->wake_fd < 0 || f->events_fd < 0 || f->ep < 0) {
    *error = std::string("cannot create the event loop: ") + strerror(errno);
    return nullptr;
  }
  for (int fd : {f->listen_fd, f->wake_fd, f->events_fd}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(f->ep, EPOLL_CTL_ADD, fd, &ev);
  }
  routes.set_listening(f->listen_fd);
  g_wake_fd = f->wake_fd;
  s.events.set_wake([fd = f->events_fd] {
    uint64_t one = 1;
    (void)!::write(fd, &one, sizeof one);
  });
  g_stop = false;
  // One line per exchange: method, path (escaped), status, client. Never a body: it may hold
  // sealed personal data.
  routes.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    if (res.get_header_value("Connection") == "close") t_close_after = true;
    log_event(req.method + " " + req.path + " " + std::to_string(res.status), req.remote_addr);
  });
  routes.set_keep_alive_timeout(kIdleSeconds);
  routes.set_keep_alive_max_count(kRequestsPerConnection);
  return f;
}

int front_port(const Front& f) { return f.port; }

// [SECTION] Log -----------------------------------------------------------------------------------
std::string log_escape(const std::string& text) {
  std::string out;
  char hex[5];
  for (unsigned char ch : text) {
    if (ch < 0x20 || ch >= 0x7f || ch == '\\') snprintf(hex, sizeof hex, "\\x%02x", ch), out += hex;
    else out += (char)ch;
  }
  return out;
}

void log_event(const std::string& event, const std::string& client, const std::string& detail) {
  std::string line = "sportello-hub: " + log_escape(event) + " client=" + log_escape(client);
  if (!detail.empty()) line += " " + log_escape(detail);
  line += "\n";
  fputs(line.c_str(), stderr);
}

}  // namespace hub
