// A stand-in hub for the uploader's unit tests: protocol v1's idempotent store, in process, on
// loopback, over HTTP or TLS (cpp-httplib). It counts how often each id was answered 201 and can
// answer with another token, so the unit tests (run under ASan/UBSan, no child processes) can
// assert "exactly once" and the auth failures. Every e2e test (faults, crash, privacy, requests)
// uses the real sportello-hub through tests/harness.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace outbox_test {

class TestHub {
public:
  // cert/key empty = plain HTTP. token -> kiosk id is the only provisioned kiosk.
  TestHub(std::string token, std::string kiosk, std::string cert = "", std::string key = "");
  ~TestHub();
  TestHub(const TestHub&) = delete;
  TestHub& operator=(const TestHub&) = delete;

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  size_t stored() const;                    // distinct ids stored
  int times_stored(const std::string& id) const;  // 201 answers for this id (must be <= 1)
  int max_times_stored() const;
  std::string body_of(const std::string& id) const;
  int heartbeats() const;
  std::string last_heartbeat() const;
  void set_status(const std::string& ref, const std::string& status);

private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::string token_, kiosk_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> bodies_;    // id -> body
  std::map<std::string, int> stores_;            // id -> 201 count
  std::map<std::string, std::string> ref_status_;  // ref -> status
  int heartbeats_ = 0;
  std::string last_heartbeat_;
};

}  // namespace outbox_test
