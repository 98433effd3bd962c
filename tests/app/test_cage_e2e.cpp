// The kiosk as its unit starts it: the unit's ExecStart= (cage -s -- sportello --config ...) run
// with cage on wlroots' headless backend (no GPU, no seat, no input devices), in the unit's
// environment: no SDL_VIDEODRIVER, so the kiosk itself must choose Wayland over the X display
// cage also offers (Xwayland, slower to start and to draw through).
// The test waits (bounded) for the kiosk's first frame, then stops the unit's processes as
// systemd would (SIGTERM to the group). cage refuses to run as root (it checks that it cannot
// regain root after dropping it), so under root it runs as the user nobody, as the unit runs it as
// the user sportello. Without cage or Xwayland (cage 0.1.4 starts Xwayland and fails without
// it) the test says why and passes: it cannot run here.
#include "harness.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// The words of ExecStart= in the kiosk's unit.
std::vector<std::string> unit_exec_start() {
  std::istringstream unit(harness::read_file(std::string(SPORTELLO_SOURCE_DIR) + "/systemd/sportello-kiosk.service"));
  std::string line;
  while (std::getline(unit, line))
    if (line.rfind("ExecStart=", 0) == 0) {
      std::istringstream words(line.substr(10));
      std::vector<std::string> out;
      for (std::string w; words >> w;) out.push_back(w);
      return out;
    }
  return {};
}

}  // namespace

TEST_CASE("the kiosk unit's command line shows a first frame under cage on the headless backend", "[e2e][cage]") {
  for (const char* tool : {"/usr/bin/cage", "/usr/bin/Xwayland", "/usr/bin/setpriv"})
    if (access(tool, X_OK) != 0) {
      WARN(std::string(tool) + " is not installed: the kiosk cannot be started under cage here");
      return;
    }
  std::vector<std::string> exec = unit_exec_start();
  REQUIRE(exec.size() >= 5);
  REQUIRE(exec[0] == "/usr/bin/cage");
  // The unit's programs, with the build's sportello and a config of the test's.
  std::string dir = harness::temp_dir("cage");
  chmod(dir.c_str(), 0777);
  std::string runtime = dir + "/runtime";
  std::filesystem::create_directories(runtime);
  harness::write_file(dir + "/kiosk.conf", "lang = ar\nlocales = " SPORTELLO_SOURCE_DIR "/locales\n");
  std::vector<std::string> args;
  for (std::string w : exec) {
    if (w == "/usr/bin/sportello") w = SPORTELLO_KIOSK_BIN;
    else if (w == "/etc/sportello/kiosk.conf") w = dir + "/kiosk.conf";
    args.push_back(w);
  }
  args.push_back("--trace-startup");
  if (geteuid() == 0) {
    chown(runtime.c_str(), 65534, 65534);
    args.insert(args.begin(), {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
  }
  chmod(runtime.c_str(), 0700);

  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string env_runtime = "XDG_RUNTIME_DIR=" + runtime;
  std::vector<std::string> env_strings = {env_runtime, "WLR_BACKENDS=headless", "WLR_LIBINPUT_NO_DEVICES=1",
                                          "WLR_RENDERER=pixman", "PATH=/usr/bin:/bin",
                                          "HOME=" + dir, "XDG_CACHE_HOME=" + dir + "/cache"};
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);  // the unit's processes as one group, as systemd's cgroup holds them
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(fds[1]);
  REQUIRE(pid > 0);
  setpgid(pid, pid);

  // Read cage's and the kiosk's output until the first frame, for at most 90 s.
  std::string seen;
  bool first_frame = false, ended = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (!first_frame && !ended && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      char buf[4096];
      ssize_t n = read(fds[0], buf, sizeof buf);
      if (n <= 0) ended = true;
      else seen.append(buf, (size_t)n);
    }
    first_frame = seen.find("first frame presented") != std::string::npos;
  }
  // Stop as systemd stops a unit: SIGTERM to every process of it, then wait (bounded).
  kill(-pid, SIGTERM);
  int status = 0;
  bool reaped = false;
  for (int i = 0; i < 200 && !reaped; i++) {
    reaped = waitpid(pid, &status, WNOHANG) == pid;
    if (!reaped) usleep(50 * 1000);
  }
  if (!reaped) {
    kill(-pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  for (char buf[4096]; read(fds[0], buf, sizeof buf) > 0;) seen.append(buf);
  close(fds[0]);
  INFO(seen);
  CHECK(first_frame);
  CHECK(seen.find("(wayland driver)") != std::string::npos);
  CHECK(reaped);
}
