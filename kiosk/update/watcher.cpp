// The Watcher: inotify on the state directory, so the screen learns of an install (or a roll
// back) the moment current.json is renamed into place, without polling. One thread blocked in
// poll() on the inotify descriptor and an eventfd that stops it.
#include "update_internal.h"

#include "platform.h"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <thread>
#include <unistd.h>

namespace update {

struct Watcher::Impl {
  std::string state_dir;
  std::function<void()> on_change;
  Fd inotify, stop;
  std::thread thread;
  std::string error;
};

// Reads what inotify has; true when one of the events names current.json.
static bool current_changed(int fd) {
  alignas(inotify_event) char buf[4096];
  bool changed = false;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return changed;
    for (char* at = buf; at < buf + n;) {
      inotify_event* e = (inotify_event*)at;
      if (e->len && strcmp(e->name, "current.json") == 0) changed = true;
      at += sizeof(inotify_event) + e->len;
    }
  }
}

static void watch(Watcher::Impl& w) {
  for (;;) {
    pollfd fds[2] = {{w.inotify.get(), POLLIN, 0}, {w.stop.get(), POLLIN, 0}};
    int rc = poll(fds, 2, -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0 || fds[1].revents) return;
    if ((fds[0].revents & POLLIN) && current_changed(w.inotify.get()) && w.on_change) w.on_change();
  }
}

Watcher::Watcher(std::string state_dir, std::function<void()> on_change) : impl_(std::make_unique<Impl>()) {
  Impl& w = *impl_;
  w.state_dir = std::move(state_dir);
  w.on_change = std::move(on_change);
  if (!make_dir(w.state_dir, &w.error)) return;
  w.inotify = Fd(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  w.stop = Fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!w.inotify.ok() || !w.stop.ok()) {
    w.error = std::string("inotify: ") + strerror(errno);
    return;
  }
  // A rename into place (every install and roll back) or a file written in place (by hand).
  if (inotify_add_watch(w.inotify.get(), w.state_dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    w.error = "inotify " + w.state_dir + ": " + strerror(errno);
    return;
  }
  w.thread = std::thread([&w] { watch(w); });
}

Watcher::~Watcher() {
  Impl& w = *impl_;
  if (w.thread.joinable()) {
    uint64_t one = 1;
    if (write(w.stop.get(), &one, sizeof one) < 0)
      platform::log(platform::LogLevel::Error, "update", "cannot stop the watcher: %s", strerror(errno));
    w.thread.join();
  }
}

bool Watcher::ok() const { return impl_->thread.joinable(); }

const std::string& Watcher::error() const { return impl_->error; }

}  // namespace update
