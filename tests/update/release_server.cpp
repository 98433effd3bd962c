// The hostile release server: one thread per connection, one request per connection
// (Connection: close), every answer written by hand.
#include "release_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>

namespace update_test {

static std::string lower(std::string s) {
  for (char& c : s) c = (char)tolower((unsigned char)c);
  return s;
}

ReleaseServer::ReleaseServer() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(listen_fd_, (sockaddr*)&a, sizeof a) != 0 || listen(listen_fd_, 64) != 0 ||
      getsockname(listen_fd_, (sockaddr*)&a, &len) != 0)
    return;
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

ReleaseServer::~ReleaseServer() {
  stop_.store(true);
  if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    workers.swap(workers_);
  }
  for (std::thread& t : workers) t.join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

void ReleaseServer::accept_loop() {
  while (!stop_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    workers_.emplace_back([this, fd] {
      handle(fd);
      close(fd);
    });
  }
}

// [SECTION] Settings ------------------------------------------------------------------------------
void ReleaseServer::set_manifest(const std::string& envelope) {
  std::lock_guard<std::mutex> lock(mu_);
  envelope_ = envelope;
  etag_ = "\"" + std::to_string(std::hash<std::string>{}(envelope)) + "\"";
}

void ReleaseServer::add_target(const std::string& sha256, const std::string& bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  targets_[sha256] = bytes;
}

void ReleaseServer::set_manifest_mode(ManifestMode m) {
  std::lock_guard<std::mutex> lock(mu_);
  manifest_mode_ = m;
}

void ReleaseServer::set_target_mode(TargetMode m) {
  std::lock_guard<std::mutex> lock(mu_);
  target_mode_ = m;
}

void ReleaseServer::set_truncate_at(size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  truncate_at_ = bytes;
}

void ReleaseServer::set_swap(const std::string& sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  swap_ = sha256;
}

void ReleaseServer::set_rate(uint64_t bytes_per_s) { rate_.store(bytes_per_s); }

void ReleaseServer::set_midway_hook(size_t after_bytes, std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  hook_after_ = after_bytes;
  hook_ = std::move(hook);
}

std::vector<SeenRequest> ReleaseServer::seen() {
  std::lock_guard<std::mutex> lock(mu_);
  return seen_;
}

void ReleaseServer::clear_seen() {
  std::lock_guard<std::mutex> lock(mu_);
  seen_.clear();
  answered_.clear();
}

int ReleaseServer::count(const std::string& prefix, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  int n = 0;
  for (auto& [path, code] : answered_)
    if (path.rfind(prefix, 0) == 0 && (status == 0 || code == status)) n++;
  return n;
}

// [SECTION] Requests ------------------------------------------------------------------------------
static bool send_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= (size_t)n;
  }
  return true;
}

static bool send_text(int fd, const std::string& s) { return send_all(fd, s.data(), s.size()); }

bool ReleaseServer::send_paced(int fd, const char* data, size_t size) {
  while (size > 0 && !stop_.load()) {
    uint64_t rate = rate_.load();
    size_t chunk = rate ? std::max<size_t>(1, (size_t)(rate / 50)) : size;
    chunk = std::min(chunk, size);
    if (!send_all(fd, data, chunk)) return false;
    data += chunk;
    size -= chunk;
    if (rate) std::this_thread::sleep_for(std::chrono::milliseconds(20));   // the pace of a slow link
  }
  return size == 0;
}

void ReleaseServer::handle(int fd) {
  std::string in;
  char buf[4096];
  size_t head_end;
  while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
    if (stop_.load() || in.size() > 65536) return;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    in.append(buf, (size_t)n);
  }
  SeenRequest r;
  std::string head = in.substr(0, head_end);
  size_t line_end = head.find("\r\n");
  std::string first = head.substr(0, line_end);
  size_t sp1 = first.find(' '), sp2 = first.find(' ', sp1 + 1);
  r.method = first.substr(0, sp1);
  r.path = first.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t content_length = 0;
  for (size_t at = line_end + 2; at < head.size();) {
    size_t end = head.find("\r\n", at);
    if (end == std::string::npos) end = head.size();
    std::string line = head.substr(at, end - at);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = lower(line.substr(0, colon)), value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      if (name == "range") r.range = value;
      if (name == "authorization") r.authorization = value;
      if (name == "if-none-match") r.if_none_match = value;
      if (name == "content-length") content_length = (size_t)atoll(value.c_str());
    }
    at = end + 2;
  }
  r.body = in.substr(head_end + 4);
  while (r.body.size() < content_length && !stop_.load()) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    r.body.append(buf, (size_t)n);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.push_back(r);
  }
  if (r.path == "/api/v1/content/manifest") serve_manifest(fd, r);
  else if (r.path.rfind("/api/v1/content/targets/", 0) == 0 || r.path.rfind("/mirror/", 0) == 0) serve_target(fd, r);
  else {   // the outbox's heartbeat and anything else: accepted, nothing to say
    int code = r.path == "/api/v1/heartbeat" ? 204 : 404;
    {
      std::lock_guard<std::mutex> lock(mu_);
      answered_.push_back({r.path, code});
    }
    send_text(fd, "HTTP/1.1 " + std::to_string(code) + " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  }
}

static const char kPortal[] =
    "<!DOCTYPE html><html><head><title>Wi-Fi login</title></head><body><h1>Welcome to Free Wi-Fi</h1>"
    "<p>Accept the terms to continue.</p></body></html>";

void ReleaseServer::serve_manifest(int fd, const SeenRequest& r) {
  std::string envelope, etag;
  ManifestMode mode;
  {
    std::lock_guard<std::mutex> lock(mu_);
    envelope = envelope_;
    etag = etag_;
    mode = manifest_mode_;
  }
  int code = 200;
  std::string out;
  if (mode == ManifestMode::Html) {
    out = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + std::to_string(sizeof kPortal - 1) +
          "\r\nConnection: close\r\n\r\n" + kPortal;
  } else if (mode == ManifestMode::Status500) {
    code = 500;
    out = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  } else if (mode == ManifestMode::Huge) {   // a megabyte of "manifest", chunked: no length to refuse early
    out = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    std::string chunk(65536, ' ');
    char size_line[32];
    snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
    for (int i = 0; i < 16; i++) out += size_line + chunk + "\r\n";
    out += "0\r\n\r\n";
  } else if (envelope.empty()) {
    code = 404;
    out = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  } else if (!r.if_none_match.empty() && r.if_none_match == etag) {
    code = 304;
    out = "HTTP/1.1 304 Not Modified\r\nETag: " + etag + "\r\nConnection: close\r\n\r\n";
  } else {
    out = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: " + etag +
          "\r\nContent-Length: " + std::to_string(envelope.size()) + "\r\nConnection: close\r\n\r\n" + envelope;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    answered_.push_back({r.path, code});
  }
  send_text(fd, out);
}

void ReleaseServer::serve_target(int fd, const SeenRequest& r) {
  std::string sha = r.path.substr(r.path.rfind('/') + 1), bytes;
  TargetMode mode;
  size_t truncate_at, hook_after;
  std::function<void()> hook;
  bool found;
  {
    std::lock_guard<std::mutex> lock(mu_);
    mode = target_mode_;
    truncate_at = truncate_at_;
    auto it = targets_.find(mode == TargetMode::Swap ? swap_ : sha);
    found = it != targets_.end();
    if (found) bytes = it->second;
    hook_after = hook_after_;
    hook = hook_;
    hook_ = nullptr;   // once
  }
  auto answered = [&](int code) {
    std::lock_guard<std::mutex> lock(mu_);
    answered_.push_back({r.path, code});
  };
  if (mode == TargetMode::Html) {
    answered(200);
    send_text(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + std::to_string(sizeof kPortal - 1) +
                      "\r\nConnection: close\r\n\r\n" + kPortal);
    return;
  }
  if (!found) {
    answered(404);
    send_text(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    return;
  }
  if (mode == TargetMode::Endless) {   // no length, and ten times the bytes
    answered(200);
    if (!send_text(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")) return;
    for (int i = 0; i < 10 && !stop_.load(); i++)
      if (!send_paced(fd, bytes.data(), bytes.size())) return;
    return;
  }
  size_t from = 0;
  if (r.range.rfind("bytes=", 0) == 0) from = (size_t)atoll(r.range.c_str() + 6);
  if (from > bytes.size()) {
    answered(416);
    send_text(fd, "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    return;
  }
  int code = from > 0 ? 206 : 200;
  answered(code);
  std::string head = "HTTP/1.1 " + std::string(code == 206 ? "206 Partial Content" : "200 OK") +
                     "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + std::to_string(bytes.size() - from);
  if (code == 206)
    head += "\r\nContent-Range: bytes " + std::to_string(from) + "-" + std::to_string(bytes.size() - 1) + "/" +
            std::to_string(bytes.size());
  head += "\r\nConnection: close\r\n\r\n";
  if (!send_text(fd, head)) return;
  size_t end = bytes.size();
  if (mode == TargetMode::Truncate) end = std::min(end, std::max(from, truncate_at));
  if (mode == TargetMode::Drip) {   // one byte a second until the client gives up
    for (size_t at = from; at < end && !stop_.load(); at++) {
      if (!send_all(fd, bytes.data() + at, 1)) return;
      for (int i = 0; i < 20 && !stop_.load(); i++) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return;
  }
  size_t at = from;
  if (hook && hook_after > from && hook_after < end) {
    if (!send_paced(fd, bytes.data() + at, hook_after - from)) return;
    at = hook_after;
    hook();
  }
  send_paced(fd, bytes.data() + at, end - at);
}

}  // namespace update_test
