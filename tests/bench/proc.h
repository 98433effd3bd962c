// Processes for the benchmark programs: start one with its stderr on a pipe, wait for a line of
// it, find the child it started (the kiosk's uploader), read its CPU time and memory, start an
// X server (Xvfb) for it.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <grp.h>
#include <sstream>
#include <string>
#include <sys/select.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

// Starts argv with stderr on a pipe; returns pid and the read end. display and video_driver, when
// set, become DISPLAY and SDL_VIDEODRIVER.
inline pid_t spawn(const std::vector<std::string>& args, int* err_fd, const char* display = nullptr,
                   const char* video_driver = nullptr) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 2);
    close(fds[0]);
    if (display) setenv("DISPLAY", display, 1);
    if (video_driver) setenv("SDL_VIDEODRIVER", video_driver, 1);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  *err_fd = fds[0];
  return pid;
}

// Reads fd (a child's stderr) until a line contains `needle` or the deadline passes; what was
// read goes to `out`.
inline bool wait_for(int fd, const char* needle, double timeout_ms, std::string* out = nullptr) {
  std::string local;
  std::string& seen = out ? *out : local;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double, std::milli>(timeout_ms);
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    fd_set set;
    FD_ZERO(&set);
    FD_SET(fd, &set);
    timeval tv{0, 50000};
    if (select(fd + 1, &set, nullptr, nullptr, &tv) > 0) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) return false;
      seen.append(buf, (size_t)n);
      if (seen.find(needle) != std::string::npos) return true;
    }
  }
  return false;
}

inline void stop(pid_t pid) {
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
}

// Xvfb on display :number with one screen of `screen` (WxHxDEPTH); its pid once its socket is
// there (within 10 s), else -1.
inline pid_t start_xvfb(int number, const char* screen) {
  const std::string display = ":" + std::to_string(number), socket = "/tmp/.X11-unix/X" + std::to_string(number);
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    dup2(null, 1);
    execlp("Xvfb", "Xvfb", display.c_str(), "-screen", "0", screen, "-nolisten", "tcp", nullptr);
    _exit(127);
  }
  if (pid < 0) return -1;
  for (int i = 0; i < 500 && access(socket.c_str(), F_OK) != 0; i++) usleep(20000);
  if (access(socket.c_str(), F_OK) == 0) return pid;
  stop(pid);
  return -1;
}

// A field of /proc/PID/FILE in kB ("VmRSS:" of status, "Pss:" of smaps_rollup), -1 if absent.
inline long proc_kb(pid_t pid, const char* file, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + strlen(field));
  return -1;
}

// User + system CPU seconds of a process so far (/proc/PID/stat utime + stime), 0 when it is gone.
inline double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close_paren + 2));
  std::string f;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; i++) {
    if (i == 14) utime = std::stoul(f);
    if (i == 15) stime = std::stoul(f);
  }
  return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

// The first child process of pid (the uploader the kiosk started from its worker thread), -1 if none.
inline pid_t first_child(pid_t pid) {
  std::error_code ec;   // the kiosk may have exited: no child, not an exception
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(task.path() / "children");
    long child = -1;
    if (in >> child) return (pid_t)child;
  }
  return -1;
}

// Starts argv with exactly the environment env (NAME=value strings), stderr on a pipe, in a
// process group of its own, as the user uid (and its group) when uid >= 0. Returns pid and the
// read end; without err_fd, stderr goes to /dev/null (nothing reads it, and a full pipe would
// stop the process).
inline pid_t spawn_as(const std::vector<std::string>& args, const std::vector<std::string>& env, int uid,
                      int* err_fd) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    int err = err_fd ? fds[1] : open("/dev/null", O_WRONLY);
    dup2(err, 2);
    if (uid >= 0 && (setgroups(0, nullptr) != 0 || setgid((gid_t)uid) != 0 || setuid((uid_t)uid) != 0)) _exit(126);
    std::vector<char*> argv, envp;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(fds[1]);
  if (err_fd) *err_fd = fds[0];
  else close(fds[0]);
  return pid;
}
