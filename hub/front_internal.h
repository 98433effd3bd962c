// Shared by the front's files (front.cpp: connections, the loop, the workers; front_events.cpp:
// the live consoles' Server-Sent-Events streams parked in that loop). Nothing else includes it.
#pragma once

#include "server_internal.h"

#include <openssl/ssl.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <queue>
#include <unordered_map>
#include <unordered_set>

namespace hub {

using Clock = std::chrono::steady_clock;

// [SECTION] Connections ---------------------------------------------------------------------------
struct Conn {
  // Live: a console's event stream, parked in the loop (front_events.cpp); never back to Head.
  enum State { Handshake, Head, Body, Busy, Drain, Live };
  int fd = -1;
  SSL* ssl = nullptr;
  std::string peer, client;   // TCP peer; client as logged (X-Forwarded-For from the trusted proxy)
  std::string buf;            // bytes read and not yet consumed
  State state = Head;
  bool want_write = false;    // TLS needs the socket writable to go on
  bool reject = false;        // over the connection limit: answer 503 once the head is in
  Clock::time_point deadline;
  size_t head_len = 0, drained = 0;
  uint64_t body_len = 0;
  bool large = false, started = false;
  bool live = false;          // a GET of the event stream: the worker opens it (live_open)
  int requests = 0;
  // A live stream: what is still to be written, whose session it is, and when that session ends.
  std::string out, user, session;
  Clock::time_point session_end;
  // The loop's bookkeeping: what epoll watches for it (0: not registered, e.g. while a worker has
  // it), the deadline its timer entry was pushed for, its serial (an fd is reused once closed).
  uint32_t events = 0;
  Clock::time_point armed;
  uint64_t serial = 0;
  std::atomic<int>* open = nullptr;  // the count of open connections, wherever this one is
  std::atomic<int>* lives = nullptr; // the count of live streams (opening or open), while this is one
  ~Conn() {
    if (ssl) SSL_free(ssl);
    if (fd >= 0) ::close(fd);
    if (open) (*open)--;
    if (lives) (*lives)--;
  }
};
using ConnPtr = std::unique_ptr<Conn>;

// Reads what is there: >0 bytes, 0 at the end of the stream, -1 would block, -2 failed.
ssize_t conn_read(Conn& c, char* p, size_t n);
// Writes some bytes: how many, -1 would block, -2 failed.
ssize_t conn_write(Conn& c, const char* p, size_t n);

// [SECTION] The loop's state ---------------------------------------------------------------------
struct Timer {
  Clock::time_point at;
  int fd;
  uint64_t serial;
  bool operator>(const Timer& o) const { return at > o.at; }
};

class Front {
public:
  Front(Server& s, Routes& routes) : s(s), routes(routes) {}
  ~Front() {
    if (listen_fd >= 0) ::close(listen_fd);
    if (wake_fd >= 0) ::close(wake_fd);
    if (events_fd >= 0) ::close(events_fd);
    if (ep >= 0) ::close(ep);
  }
  Server& s;
  Routes& routes;
  int listen_fd = -1, wake_fd = -1, events_fd = -1, ep = -1, port = 0;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> tls{nullptr, SSL_CTX_free};
  // Before the connections: they count themselves in `open` and `lives`.
  std::atomic<int> open{0}, inflight{0}, large{0}, lives{0};
  // Owned by the loop thread: the connections it watches, by fd, and their deadlines. A timer
  // entry whose connection is gone or whose deadline moved is stale and skipped.
  std::unordered_map<int, ConnPtr> conns;
  std::unordered_set<int> live;             // the fds in conns that are live streams
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers;
  uint64_t serials = 0;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<ConnPtr> jobs, returned;       // loop -> workers -> loop, under mu
  bool stopping = false;                    // under mu
  std::chrono::seconds request_time{10};
};

// Answers a request the front refuses (before its body is read) and closes the connection.
void refuse(Front& f, Conn& c, int status, const char* code);
// Stops reading requests: shuts the write side and drains what the client still sends.
void start_drain(Conn& c);
// Brings epoll and the timers up to date with a connection the loop keeps.
void watch(Front& f, Conn& c);

// [SECTION] Live streams (front_events.cpp) -------------------------------------------------------
// Is this request head a GET of the event stream? (checked by the loop before handing it over)
bool is_live_request(const Head& h);
// On a worker: checks who asks (same origin, a live mediator session) and answers with the
// stream's head, or refuses; the connection then goes back to the loop (Live or Drain).
void live_open(Front& f, Conn& c);
// On the loop: a live stream came back from its worker, is ready, or reached its deadline
// (a heartbeat, or its session's end). Return false when the connection is to be closed.
bool live_ready(Front& f, Conn& c);
bool live_deadline(Front& f, Conn& c, Clock::time_point now);
// On the loop: the bus woke it; every request event goes to every live stream.
void live_broadcast(Front& f);

}  // namespace hub
