// [SECTION] Tasks: one worker thread, continuations handed back to the frame loop.
#include "tasks.h"

#include <SDL.h>

namespace app {

Tasks::Tasks() : worker_([this] { loop(); }) {}

Tasks::~Tasks() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void Tasks::run(Job job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_all();
}

void Tasks::loop() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stop_ with nothing left: a queued request is never dropped
      job = std::move(jobs_.front());
      jobs_.pop_front();
      running_++;
    }
    Done done = job();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (done) done_.push_back(std::move(done));
      running_--;
    }
    cv_.notify_all();
    SDL_Event wake{};
    wake.type = SDL_USEREVENT;  // the frame loop sleeps in SDL_WaitEventTimeout: wake it
    SDL_PushEvent(&wake);
  }
}

bool Tasks::drain() {
  std::deque<Done> ready;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ready.swap(done_);
  }
  for (Done& d : ready) d();
  return !ready.empty();
}

bool Tasks::busy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return !jobs_.empty() || running_ > 0 || !done_.empty();
}

}  // namespace app
