// Lockdown and watchdog of the real kiosk: no key combination or quit request leaves the screen,
// and the service manager's watchdog is fed only while the loop goes round (a fake NOTIFY_SOCKET
// stands in for systemd).
#include "harness.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

using harness::element;

extern char** environ;

TEST_CASE("the key matrix, a quit request, a long press and three fingers leave the kiosk on its screen",
          "[e2e][lockdown]") {
  std::vector<std::string> keys = {"alt+f4", "alt+tab", "ctrl+alt+backspace", "super", "ctrl+w", "ctrl+q",
                                   "ctrl+n", "ctrl+p", "f11", "escape", "super+d", "alt+shift+tab"};
  for (int f = 1; f <= 12; f++) keys.push_back("ctrl+alt+f" + std::to_string(f));
  std::string script = "tap home.start\ndump start\n";
  for (size_t i = 0; i < keys.size(); i++) script += "key " + keys[i] + "\ndump k" + std::to_string(i) + "\n";
  script += "quit\ndump quit\n";
  script += "drag 960 20 960 20 2500\ndump long\n";          // a long press on the top edge
  script += "fingers 3 700 600 0 -300 400\ndump three\n";    // a three-finger swipe up
  harness::Run run = harness::run_kiosk(script);
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);  // still running at the end of the script: nothing closed it
  nlohmann::json start = harness::load_dump(run, "start");
  REQUIRE(start["screen"] == "languages");
  for (size_t i = 0; i < keys.size(); i++) {
    INFO(keys[i]);
    nlohmann::json d = harness::load_dump(run, "k" + std::to_string(i));
    CHECK(d["screen"] == "languages");
    CHECK(d["lang"] == start["lang"]);
    CHECK(d["idle_prompt"] == false);
  }
  CHECK(harness::load_dump(run, "quit")["screen"] == "languages");
  CHECK(run.stderr_text.find("quit request ignored") != std::string::npos);
  CHECK(harness::load_dump(run, "long")["screen"] == "languages");
  CHECK(harness::load_dump(run, "three")["screen"] == "languages");
}

TEST_CASE("script keys must name real keys", "[e2e][lockdown]") {
  harness::Run run = harness::run_kiosk("key ctrl+nokey\n");
  CHECK(run.exit_code == 1);
  CHECK(run.stderr_text.find("script.txt:1: unknown key \"nokey\"") != std::string::npos);
}

// [SECTION] Watchdog --------------------------------------------------------------------------
// A datagram socket bound where the kiosk's NOTIFY_SOCKET points: what systemd would receive.
struct NotifySocket {
  int fd = -1;
  std::string path;
  explicit NotifySocket(const std::string& dir) : path(dir + "/notify.sock") {
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof addr.sun_path);
    memcpy(addr.sun_path, path.c_str(), path.size());
    REQUIRE(bind(fd, (sockaddr*)&addr, sizeof addr) == 0);
  }
  ~NotifySocket() { close(fd); }
  // The next message within timeout_ms, or "" when none came.
  std::string next(int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return "";
    char buf[256];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, (size_t)n) : "";
  }
  // Waits (bounded) for a message containing `what`.
  bool wait_for(const std::string& what, int timeout_ms) {
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < end) {
      int left = (int)std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count();
      if (next(std::max(1, left)).find(what) != std::string::npos) return true;
    }
    return false;
  }
};

// The kiosk in the background with the service manager's variables; killed at the end of a test.
struct Kiosk {
  pid_t pid = -1;
  Kiosk(const std::vector<std::string>& args, const std::vector<std::string>& env_extra, const std::string& log) {
    std::vector<std::string> env;
    for (char** e = environ; *e; e++) {
      std::string v = *e;
      if (v.rfind("DISPLAY=", 0) == 0 || v.rfind("WAYLAND_DISPLAY=", 0) == 0 || v.rfind("NOTIFY_SOCKET=", 0) == 0 ||
          v.rfind("WATCHDOG_", 0) == 0 || v.rfind("SDL_VIDEODRIVER=", 0) == 0)
        continue;
      env.push_back(v);
    }
    env.insert(env.end(), env_extra.begin(), env_extra.end());
    std::vector<std::string> all = {SPORTELLO_KIOSK_BIN};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv, envp;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  bool running() { return pid > 0 && waitpid(pid, nullptr, WNOHANG) == 0; }
  int stop(int sig) {  // the exit code, or 128 + signal
    if (pid <= 0) return -1;
    kill(pid, sig);
    int status = 0;
    for (int i = 0; i < 200; i++) {  // 10 s at most, then SIGKILL
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    pid = -1;
    return 128 + SIGKILL;
  }
  ~Kiosk() {
    if (pid > 0) stop(SIGKILL);
  }
};

TEST_CASE("the interactive loop keeps feeding the watchdog while idle, and stops cleanly on SIGTERM",
          "[e2e][watchdog]") {
  std::string dir = harness::temp_dir("watchdog-run");
  NotifySocket sock(dir);
  // The real interactive loop on SDL's offscreen driver, idle on the home screen. WATCHDOG_PID
  // names the parent, as systemd names cage, the unit's main process, when cage runs the kiosk.
  Kiosk kiosk({"--windowed", "800x600"},
              {"NOTIFY_SOCKET=" + sock.path, "WATCHDOG_USEC=200000", "WATCHDOG_PID=" + std::to_string(getpid()),
               "SDL_VIDEODRIVER=offscreen"},
              dir + "/stderr.txt");
  REQUIRE(kiosk.pid > 0);
  INFO(harness::read_file(dir + "/stderr.txt"));
  REQUIRE(sock.wait_for("READY=1", 60000));
  int pings = 0;
  for (int i = 0; i < 5; i++) pings += sock.wait_for("WATCHDOG=1", 5000) ? 1 : 0;
  CHECK(pings == 5);
  CHECK(kiosk.running());
  CHECK(kiosk.stop(SIGTERM) == 0);
  CHECK(sock.wait_for("STOPPING=1", 1000));
}

TEST_CASE("a loop that hangs stops feeding the watchdog", "[e2e][watchdog]") {
  std::string dir = harness::temp_dir("watchdog-hang");
  NotifySocket sock(dir);
  harness::write_file(dir + "/script.txt", "tap home.start\ndump before\nhang\n");
  Kiosk kiosk({"--headless", "--size", "800x600", "--script", dir + "/script.txt", "--out", dir},
              {"NOTIFY_SOCKET=" + sock.path, "WATCHDOG_USEC=200000"}, dir + "/stderr.txt");
  REQUIRE(kiosk.pid > 0);
  REQUIRE(sock.wait_for("READY=1", 60000));
  // Messages may still come until the script reaches the hang; then none for many periods (the
  // kiosk pings every 100 ms while it runs). Bounded: a quiet second must come within 20 s.
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool quiet = false;
  while (!quiet && std::chrono::steady_clock::now() < end) quiet = sock.next(1000).empty();
  INFO(harness::read_file(dir + "/stderr.txt"));
  CHECK(quiet);
  CHECK(harness::read_file(dir + "/stderr.txt").find("script step hang") != std::string::npos);
  CHECK(kiosk.running());   // hung, not exited: only the watchdog can catch it
  CHECK(sock.next(1000).empty());
  CHECK(kiosk.stop(SIGTERM) == 128 + SIGTERM);
}
