// Live consoles in tests and benches: a console session's cookie, and an event-stream client over
// a plain socket (so a test can also be a slow reader, or hold hundreds of streams).
#pragma once

#include "api_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace hub_test {

// The Set-Cookie "name=value" of a login to a realm ("console" or "admin"), or "".
inline std::string session_cookie(const Hub& hub, const std::string& user, const std::string& password,
                                  const std::string& realm = "console") {
  std::string path = realm == "admin" ? "/console/admin/login" : "/console/login";
  Reply r = http("POST", hub.url(path), "user=" + user + "&password=" + password, {});
  size_t at = r.headers.find("Set-Cookie: ");
  if (r.status != 302 || at == std::string::npos) return {};
  at += 12;
  return r.headers.substr(at, r.headers.find(';', at) - at);
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
