// A TCP fault proxy on 127.0.0.1 between the kiosk and the hub (fault tests).
// Its mode is switched in process by the test; every switch drops the connections already open,
// so a kept-alive connection cannot carry traffic past a fault.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace outbox_test {

enum class Fault {
  Pass,        // forward to the hub
  Down,        // nothing listens: connection refused
  Http500,     // answer 500 without asking the hub
  Http503,     // 503 + Retry-After: 1
  Http429,     // 429 + Retry-After: 1
  Html200,     // a captive portal's 200 HTML page
  Stall,       // read the request, never answer
  ResetMid,    // forward to the hub, send half its answer, then RST
  Impostor,    // forward to the impostor backend (another TLS server: wrong certificate or pin)
};
const char* fault_name(Fault f);

class FaultProxy {
public:
  FaultProxy(int hub_port, int impostor_port = 0);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  void set(Fault f);
  int accepted() const { return accepted_.load(); }  // connections accepted so far

private:
  void accept_loop();
  void handle(int fd, Fault f, unsigned generation);
  bool open_listener();

  int port_ = 0, hub_port_, impostor_port_;
  int listen_fd_ = -1;
  std::atomic<Fault> mode_{Fault::Pass};
  std::atomic<unsigned> generation_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
};

}  // namespace outbox_test
