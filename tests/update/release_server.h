// A hostile release server for the updater's tests: serves a manifest and target bytes over plain
// HTTP on 127.0.0.1 and can misbehave in every way an attacker, a captive portal or a bad network
// can (wrong bytes, endless bytes, cut transfers, a drip of one byte a second, HTML pages).
// Raw sockets, not cpp-httplib: its server answers Range requests by itself, and these tests must
// decide exactly which status, headers and bytes go out, and see the Range each request carried.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace update_test {

enum class ManifestMode { Normal, Html, Huge, Status500 };
enum class TargetMode {
  Normal,     // 200, or 206 from the Range asked
  Endless,    // 200 without a length, streaming far more than the target's size
  Truncate,   // Content-Length of the whole, then the connection closes after truncate_at bytes
  Drip,       // one byte a second
  Html,       // a captive portal's 200 HTML page
  Swap,       // the bytes of swap_sha256's target instead of the one asked for
};

struct SeenRequest {
  std::string method, path, range, authorization, if_none_match, body;
};

class ReleaseServer {
public:
  ReleaseServer();
  ~ReleaseServer();
  ReleaseServer(const ReleaseServer&) = delete;
  ReleaseServer& operator=(const ReleaseServer&) = delete;

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // What it serves. Everything may be changed while it runs.
  void set_manifest(const std::string& envelope);   // ETag: a hash of the bytes
  void add_target(const std::string& sha256, const std::string& bytes);
  void set_manifest_mode(ManifestMode m);
  void set_target_mode(TargetMode m);
  void set_truncate_at(size_t bytes);
  void set_swap(const std::string& sha256);
  void set_rate(uint64_t bytes_per_s);               // 0 = as fast as possible
  // Called (on the server's thread) once after `after_bytes` bytes of a target went out.
  void set_midway_hook(size_t after_bytes, std::function<void()> hook);

  std::vector<SeenRequest> seen();                   // every request so far
  void clear_seen();
  int count(const std::string& path_prefix, int status = 0);   // requests (answered with status)

private:
  void accept_loop();
  void handle(int fd);
  void serve_manifest(int fd, const SeenRequest& r);
  void serve_target(int fd, const SeenRequest& r);
  bool send_paced(int fd, const char* data, size_t size);

  int port_ = 0, listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
  std::string envelope_, etag_;
  std::map<std::string, std::string> targets_;
  ManifestMode manifest_mode_ = ManifestMode::Normal;
  TargetMode target_mode_ = TargetMode::Normal;
  size_t truncate_at_ = 0;
  std::string swap_;
  std::atomic<uint64_t> rate_{0};
  size_t hook_after_ = 0;
  std::function<void()> hook_;
  std::vector<SeenRequest> seen_;
  std::vector<std::pair<std::string, int>> answered_;
};

}  // namespace update_test
