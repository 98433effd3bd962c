// Processes for the benchmark programs: start one with its stderr on a pipe, find the child it
// started (the kiosk's uploader), read its CPU time.
#pragma once

#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <grp.h>
#include <sstream>
#include <string>
#include <sys/types.h>
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
