// Runs a child process (the kiosk side under test) with its stdout on a pipe and its stderr
// appended to a log file; the test can kill it with SIGKILL at any moment.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

extern char** environ;

namespace outbox_test {

class Child {
public:
  Child(const std::vector<std::string>& argv, const std::string& stderr_log) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, stderr_log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    out_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0 && !reaped_) kill9();
    if (out_ >= 0) close(out_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool ok() const { return pid_ > 0; }
  // Reads what the child printed, waiting up to ms for more.
  void read_for(int ms) {
    pollfd p{out_, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0) return;
    char buf[4096];
    ssize_t n = read(out_, buf, sizeof buf);
    if (n > 0) output_.append(buf, (size_t)n);
    else eof_ = true;
  }
  // True once the child has exited by itself (reaps it without blocking).
  bool exited() {
    if (reaped_) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
    reaped_ = true;
    status_ = status;
    return true;
  }
  // Kills and reaps; like wait(), -1 when the kill did it, the exit status when the child had
  // already ended by itself.
  int kill9() {
    if (!reaped_) kill(pid_, SIGKILL);
    return wait();
  }
  int wait() {  // exit status; -1 when killed by a signal
    int status = 0;
    if (!reaped_) waitpid(pid_, &status, 0), reaped_ = true, status_ = status;
    while (!eof_) read_for(1000);  // whatever it wrote before it died is still in the pipe
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }
  const std::string& output() const { return output_; }
  // Complete lines only: a line cut by the kill was never "on screen".
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    size_t at = 0, nl;
    while ((nl = output_.find('\n', at)) != std::string::npos) {
      out.push_back(output_.substr(at, nl - at));
      at = nl + 1;
    }
    return out;
  }

private:
  pid_t pid_ = -1;
  int out_ = -1;
  bool reaped_ = false, eof_ = false;
  int status_ = 0;
  std::string output_;
};

}  // namespace outbox_test
