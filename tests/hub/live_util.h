// Live consoles in tests and benches: a console session's cookie, and event-stream clients: over
// a plain socket (so a test can also be a slow reader, or hold hundreds of streams), and through
// libcurl on a thread (TLS: a console behind nginx).
#pragma once

#include "api_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace hub_test {

// The Set-Cookie "name=value" of a login's answer, or "" when the login failed.
inline std::string cookie_of(const Reply& r) {
  size_t at = r.headers.find("Set-Cookie: ");
  if (r.status != 302 || at == std::string::npos) return {};
  at += 12;
  return r.headers.substr(at, r.headers.find(';', at) - at);
}

// The Set-Cookie "name=value" of a login to a realm ("console" or "admin"), or "".
inline std::string session_cookie(const Hub& hub, const std::string& user, const std::string& password,
                                  const std::string& realm = "console") {
  std::string path = realm == "admin" ? "/console/admin/login" : "/console/login";
  return cookie_of(http("POST", hub.url(path), "user=" + user + "&password=" + password, {}));
}

// One GET of /console/events on its own socket. rcvbuf > 0 shrinks the receive buffer first (a
// slow reader's small window).
struct Stream {
  int fd = -1;
  std::string head, data;  // the answer's head, and the stream bytes read so far
  Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  Stream(Stream&& o) noexcept : fd(o.fd), head(std::move(o.head)), data(std::move(o.data)) { o.fd = -1; }
  ~Stream() {
    if (fd >= 0) ::close(fd);
  }
  int status() const { return head.size() > 12 ? std::atoi(head.c_str() + 9) : 0; }

  // Connects and sends the request; false when it cannot connect.
  bool open(int port, const std::vector<std::string>& headers, int rcvbuf = 0) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, (sockaddr*)&sa, sizeof sa) != 0) return false;
    std::string req = "GET /console/events HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                      "\r\nAccept: text/event-stream\r\n";
    for (const std::string& h : headers) req += h + "\r\n";
    req += "\r\n";
    return ::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == (ssize_t)req.size();
  }

  // Reads what arrives within ms milliseconds (at most); false once the server closed the stream.
  bool read_for(int ms) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      int left = (int)std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
      if (left <= 0) return true;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, left) <= 0) return true;
      char buf[65536];
      ssize_t r = ::recv(fd, buf, sizeof buf, 0);
      if (r <= 0) return false;
      data.append(buf, (size_t)r);
      size_t end = data.find("\r\n\r\n");
      if (head.empty() && end != std::string::npos) head = data.substr(0, end + 4), data.erase(0, end + 4);
    }
  }

  // Waits (at most ms) until the head arrived; its status, or 0.
  int wait_head(int ms = 10000) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (head.empty() && std::chrono::steady_clock::now() < until)
      if (!read_for(50) && head.empty()) break;
    return status();
  }

  // Waits (at most ms) until the stream holds this text; false on timeout or close. Looks again
  // after every read, so it returns as soon as the text is in.
  bool wait_for(const std::string& text, int ms = 10000) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (data.find(text) == std::string::npos) {
      int left = (int)std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
      if (left <= 0) return false;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, left) <= 0) continue;
      char buf[65536];
      ssize_t r = ::recv(fd, buf, sizeof buf, 0);
      if (r <= 0) return data.find(text) != std::string::npos;
      data.append(buf, (size_t)r);
    }
    return true;
  }

  // Waits (at most ms) until the server closes the stream; true when it did.
  bool wait_closed(int ms = 10000) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < until)
      if (!read_for(50)) return true;
    return false;
  }
};

// One GET of an event stream through libcurl, read on a thread of its own until destruction
// (which takes up to a second: libcurl's progress callback ends the transfer).
struct CurlStream {
  std::mutex mu;
  std::condition_variable cv;
  std::string head, data;  // under mu
  bool head_done = false, ended = false;
  std::atomic<bool> stop{false};
  std::thread thread;

  CurlStream() = default;
  CurlStream(const CurlStream&) = delete;
  CurlStream& operator=(const CurlStream&) = delete;
  ~CurlStream() {
    stop = true;
    if (thread.joinable()) thread.join();
  }
  // Starts the GET; `ca` checks the server's certificate.
  void open(const std::string& url, const std::vector<std::string>& headers, const std::string& ca) {
    thread = std::thread([this, url, headers, ca] { run(url, headers, ca); });
  }
  // Waits (at most ms) until the head arrived; its status, or 0.
  int wait_head(int ms = 10000) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return head_done || ended; });
    return head_done && head.size() > 12 ? std::atoi(head.c_str() + 9) : 0;
  }
  // Waits (at most ms) until the stream holds this text; false on timeout or when it ended without.
  bool wait_for(const std::string& text, int ms = 10000) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::milliseconds(ms),
                       [&] { return data.find(text) != std::string::npos || ended; }) &&
           data.find(text) != std::string::npos;
  }
  std::string text() {
    std::lock_guard<std::mutex> lock(mu);
    return data;
  }

private:
  static size_t on_head(char* p, size_t size, size_t n, void* self) {
    auto* s = static_cast<CurlStream*>(self);
    std::lock_guard<std::mutex> lock(s->mu);
    s->head.append(p, size * n);
    if (size * n == 2 && p[0] == '\r') s->head_done = true;
    s->cv.notify_all();
    return size * n;
  }
  static size_t on_data(char* p, size_t size, size_t n, void* self) {
    auto* s = static_cast<CurlStream*>(self);
    std::lock_guard<std::mutex> lock(s->mu);
    s->data.append(p, size * n);
    s->cv.notify_all();
    return size * n;
  }
  static int on_progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<CurlStream*>(self)->stop ? 1 : 0;
  }
  void run(const std::string& url, const std::vector<std::string>& headers, const std::string& ca) {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), &curl_easy_cleanup);
    curl_slist* list = curl_slist_append(nullptr, "Accept: text/event-stream");
    for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
    curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c.get(), CURLOPT_CAINFO, ca.c_str());
    curl_easy_setopt(c.get(), CURLOPT_HEADERFUNCTION, on_head);
    curl_easy_setopt(c.get(), CURLOPT_HEADERDATA, this);
    curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, this);
    curl_easy_setopt(c.get(), CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c.get(), CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c.get(), CURLOPT_XFERINFODATA, this);
    curl_easy_perform(c.get());
    curl_slist_free_all(list);
    std::lock_guard<std::mutex> lock(mu);
    ended = true;
    cv.notify_all();
  }
};

// A stored request from GR-01 with this index in its id and reference (distinct per index);
// true on 201. Its id is returned in *id when given.
inline bool upload(const Hub& hub, int index, std::string* id = nullptr) {
  char rid[40], ref[16];
  snprintf(rid, sizeof rid, "%08x-8f9a-4b1c-9d2e-3f4a5b6c7d8e", index);
  const char* digits = "BCDFGHJKLMNPQRSTVWXZ23456789";
  std::string code;
  for (int n = index, i = 0; i < 6; i++, n /= 28) code += digits[n % 28];
  snprintf(ref, sizeof ref, "GR1-%s", code.c_str());
  if (id) *id = rid;
  return http("POST", hub.url("/api/v1/requests"), body_for(hub, rid, ref, "{}"), headers(hub, rid)).status == 201;
}

}  // namespace hub_test
