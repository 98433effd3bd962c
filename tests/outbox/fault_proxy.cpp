// The fault proxy: plain sockets and poll(), one thread per connection, joined at the end.
#include "fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace outbox_test {

const char* fault_name(Fault f) {
  switch (f) {
    case Fault::Pass: return "pass";
    case Fault::Down: return "down";
    case Fault::Http500: return "500";
    case Fault::Http503: return "503";
    case Fault::Http429: return "429";
    case Fault::Html200: return "html200";
    case Fault::Stall: return "stall";
    case Fault::ResetMid: return "reset-mid";
    case Fault::Impostor: return "impostor";
  }
  return "?";
}

static int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (sockaddr*)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void reset_close(int fd) {  // RST instead of FIN
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
}

static bool send_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

FaultProxy::FaultProxy(int hub_port, int impostor_port) : hub_port_(hub_port), impostor_port_(impostor_port) {
  if (!open_listener()) return;
  acceptor_ = std::thread([this] { accept_loop(); });
}

bool FaultProxy::open_listener() {  // with mu_ held, or before the acceptor starts
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port_);  // 0 the first time, then the same port again
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (sockaddr*)&a, sizeof a) != 0 || listen(fd, 64) != 0) {
    close(fd);
    return false;
  }
  socklen_t len = sizeof a;
  getsockname(fd, (sockaddr*)&a, &len);
  port_ = ntohs(a.sin_port);
  listen_fd_ = fd;
  return true;
}

FaultProxy::~FaultProxy() {
  stop_ = true;
  generation_++;
  if (acceptor_.joinable()) acceptor_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (std::thread& t : workers_) t.join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

// Synchronous: when set() returns, new connections see the new mode; Down has closed the port.
void FaultProxy::set(Fault f) {
  std::lock_guard<std::mutex> lock(mu_);
  mode_ = f;
  generation_++;  // workers of the old mode close their connections
  if (f == Fault::Down && listen_fd_ >= 0) {
    // close() alone leaves the socket listening while the acceptor's poll() still holds it (up
    // to 20 ms, longer on a loaded machine): a connection made then is accepted by the kernel and
    // reset when the socket goes, a failure after connecting rather than "connection refused".
    // shutdown() takes the socket out of LISTEN at once (Linux: inet_csk_listen_stop).
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    listen_fd_ = -1;
  } else if (f != Fault::Down && listen_fd_ < 0) {
    open_listener();
  }
}

void FaultProxy::accept_loop() {
  while (!stop_) {
    int fd_seen;
    {
      std::lock_guard<std::mutex> lock(mu_);
      fd_seen = listen_fd_;
    }
    if (fd_seen < 0) {
      usleep(5000);
      continue;
    }
    pollfd p{fd_seen, POLLIN, 0};
    poll(&p, 1, 20);
    std::lock_guard<std::mutex> lock(mu_);
    if (listen_fd_ != fd_seen || listen_fd_ < 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    accepted_++;
    Fault f = mode_.load();
    unsigned gen = generation_.load();
    workers_.emplace_back([this, fd, f, gen] { handle(fd, f, gen); });
  }
}

// Reads one HTTP request (headers + Content-Length body). False on close, stop or mode switch.
static bool read_request(int fd, const std::atomic<unsigned>& gen, unsigned mine, std::string* out) {
  while (gen.load() == mine) {
    size_t end = out->find("\r\n\r\n");
    if (end != std::string::npos) {
      size_t need = end + 4;
      const char* cl = strcasestr(out->c_str(), "\r\ncontent-length:");
      if (cl && (size_t)(cl - out->c_str()) < end) need += (size_t)atol(cl + 17);
      if (out->size() >= need) return true;
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    char buf[8192];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    out->append(buf, (size_t)n);
  }
  return false;
}

static std::string canned(Fault f) {
  std::string status, extra, body, type = "application/json";
  switch (f) {
    case Fault::Http500: status = "500 Internal Server Error", body = "{\"error\":\"internal\"}"; break;
    case Fault::Http503: status = "503 Service Unavailable", extra = "Retry-After: 1\r\n", body = "{\"error\":\"maintenance\"}"; break;
    case Fault::Http429: status = "429 Too Many Requests", extra = "Retry-After: 1\r\n", body = "{\"error\":\"busy\"}"; break;
    default:
      status = "200 OK", type = "text/html";
      body = "<html><body><h1>Welcome to City WiFi</h1><a href=\"/login\">Accept terms</a></body></html>";
  }
  return "HTTP/1.1 " + status + "\r\nContent-Type: " + type + "\r\n" + extra +
         "Connection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Copies bytes both ways until a side closes, the mode changes, or the proxy stops.
static void pump(int a, int b, const std::atomic<unsigned>& gen, unsigned mine) {
  pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  char buf[16384];
  while (gen.load() == mine) {
    if (poll(p, 2, 20) <= 0) continue;
    for (int i = 0; i < 2; i++) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = recv(p[i].fd, buf, sizeof buf, 0);
      if (n <= 0 || !send_all(p[1 - i].fd, buf, (size_t)n)) return;
    }
  }
}

void FaultProxy::handle(int fd, Fault f, unsigned gen) {
  std::string req;
  switch (f) {
    case Fault::Pass:
    case Fault::Impostor: {
      int up = connect_to(f == Fault::Pass ? hub_port_ : impostor_port_);
      if (up >= 0) {
        pump(fd, up, generation_, gen);
        close(up);
      }
      break;
    }
    case Fault::Http500:
    case Fault::Http503:
    case Fault::Http429:
    case Fault::Html200:
      if (read_request(fd, generation_, gen, &req)) {
        std::string r = canned(f);
        send_all(fd, r.data(), r.size());
      }
      break;
    case Fault::Stall:
      read_request(fd, generation_, gen, &req);
      while (generation_.load() == gen) {  // hold the socket open, say nothing
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 20) > 0) {
          char c;
          if (recv(fd, &c, 1, 0) <= 0) break;
        }
      }
      break;
    case Fault::ResetMid: {
      int up = connect_to(hub_port_);
      if (up >= 0 && read_request(fd, generation_, gen, &req) && send_all(up, req.data(), req.size())) {
        std::string resp;
        pollfd p{up, POLLIN, 0};
        if (poll(&p, 1, 5000) > 0) {
          char buf[8192];
          ssize_t n = recv(up, buf, sizeof buf, 0);
          if (n > 0) resp.assign(buf, (size_t)n);
        }
        send_all(fd, resp.data(), resp.size() / 2);
      }
      if (up >= 0) close(up);
      reset_close(fd);
      return;
    }
    case Fault::Down:
      break;
  }
  close(fd);
}

}  // namespace outbox_test
