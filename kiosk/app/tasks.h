// Background work off the frame (STYLE.md: never block a frame on SQLite, curl or the disk).
// One worker thread runs jobs in order; each job returns a continuation that the main thread
// runs at the start of the next frame. The loop is woken with an SDL user event when one is ready.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace app {

class Tasks {
public:
  using Done = std::function<void()>;          // runs on the main thread
  using Job = std::function<Done()>;           // runs on the worker
  Tasks();
  ~Tasks();                                    // finishes queued jobs, then joins
  void run(Job job);
  bool drain();                                // main thread: run ready continuations; true if any
  bool busy() const;                           // jobs queued, running, or continuations not drained

private:
  void loop();
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  std::deque<Done> done_;
  int running_ = 0;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace app
