// The notification tests' helpers: a real SMTP server on loopback (tests/hub/smtp_sink.py, on
// Debian's python3-aiosmtpd) whose accepted mails are files, the hub's notifications file, extra
// mediators and their profiles through the real CLI, bounded waits.
#pragma once

#include "api_util.h"
#include "harness.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

namespace hub_test {

// Waits (polling every 20 ms) until cond() holds, for at most `seconds`.
inline bool wait_until(const std::function<bool()>& cond, double seconds = 30) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

struct Sink {
  std::string dir;
  harness::Server server;
  // Starts the sink in a fresh directory; with cert/key, STARTTLS and AUTH are required.
  bool start(const std::string& name, const std::string& cert = "", const std::string& key = "",
             const std::string& user = "", const std::string& password = "") {
    dir = harness::temp_dir(name);
    std::vector<std::string> args = {"/usr/bin/python3", SPORTELLO_SOURCE_DIR "/tests/hub/smtp_sink.py", "--dir", dir};
    if (!cert.empty()) args.insert(args.end(), {"--tls", cert, key, "--user", user, "--password", password});
    server.log_path = dir + "/sink.log";
    return server.start(args, "smtp listening on ");
  }
  // Written, then renamed: the sink reads the file at each message, and a read between the
  // truncation and the write would find no mode, which means accept.
  void mode(const std::string& m) const {
    harness::write_file(dir + "/mode.tmp", m + "\n");
    std::filesystem::rename(dir + "/mode.tmp", dir + "/mode");
  }
  // The accepted mails, in the order the sink took them.
  std::vector<std::string> mails() const {
    std::vector<std::string> out;
    for (int n = 1; std::filesystem::exists(dir + "/mail-" + std::to_string(n) + ".eml"); n++)
      out.push_back(harness::read_file(dir + "/mail-" + std::to_string(n) + ".eml"));
    return out;
  }
  std::string rcpt(int n) const { return harness::read_file(dir + "/mail-" + std::to_string(n) + ".rcpt"); }
};

// The hub's notifications file for a plain loopback relay; `extra` lines are appended.
inline std::string notify_config(const std::string& dir, const Sink& sink, const std::string& extra = "") {
  std::string path = dir + "/notify.conf";
  harness::write_file(path, "smtp-url = smtp://127.0.0.1:" + sink.server.port +
                                "\nsmtp-tls = none\nsmtp-from = sportello@hub.test\nconsole-url = https://console.test\n"
                                "smtp-timeout = 3\nretry-base = 1\nretry-max = 2\n" + extra);
  return path;
}

// Runs the hub's CLI subcommand on the hub's data directory; its stdout.
inline std::string hub_cli(const Hub& hub, const std::string& cmd, const std::vector<std::string>& rest) {
  std::vector<std::string> args = {SPORTELLO_HUB_BIN, cmd, "--data", hub.data};
  args.insert(args.end(), rest.begin(), rest.end());
  return harness::capture(args);
}

inline bool add_mediator(const Hub& hub, const std::string& user) {
  std::string out = harness::capture({"/bin/sh", "-c", "echo 'password-" + user + "' | SPORTELLO_TEST_CHEAP_HASH=1 " +
                                                           std::string(SPORTELLO_HUB_BIN) + " add-mediator --data '" +
                                                           hub.data + "' --user " + user + " --cheap-hash"});
  return out.find("added") != std::string::npos;
}

// A request body as a kiosk sends it, in this language, from this kiosk.
inline std::string request_body(const Hub& hub, const std::string& id, const std::string& ref, const std::string& plain,
                                const std::string& kiosk, const std::string& lang) {
  std::string body = body_for(hub, id, ref, plain, kiosk);
  size_t at = body.find("\"lang\":\"ar\"");
  return body.replace(at, 11, "\"lang\":\"" + lang + "\"");
}

inline Reply post_request(const Hub& hub, const std::string& token, const std::string& id, const std::string& body) {
  std::vector<std::string> h = headers(hub, id);
  h[0] = "Authorization: Bearer " + token;
  return http("POST", hub.url("/api/v1/requests"), body, h);
}

// A v4 UUID that differs in its first digits (n < 65536).
inline std::string uuid(int n) {
  char buf[40];
  snprintf(buf, sizeof buf, "%08x-8f9a-4b1c-9d2e-3f4a5b6c7d8e", n);
  return buf;
}

}  // namespace hub_test
