// Shared by the cluster tests: an event bus that records what reaches it, an instance's bus and
// bridge wired as the server wires them, and bounded waits.
#pragma once

#include "cluster.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace cluster_test {

// A hub instance's bus as the front would drain it: every event delivered here is recorded.
struct Bus {
  hub::EventBus bus;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<hub::Event> got;

  Bus() {
    bus.set_wake([this] {
      std::vector<hub::Event> events = bus.take();
      std::lock_guard<std::mutex> lock(mu);
      got.insert(got.end(), events.begin(), events.end());
      cv.notify_all();
    });
  }
  ~Bus() { bus.set_wake(nullptr); }
  // How many recorded events have this id and state.
  size_t count(const std::string& id, const std::string& state) {
    std::lock_guard<std::mutex> lock(mu);
    size_t n = 0;
    for (const hub::Event& e : got) n += e.id == id && e.state == state;
    return n;
  }
  // Waits (at most `seconds`) until an event with this id and state was recorded.
  bool wait_for(const std::string& id, const std::string& state, int seconds = 10) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(seconds), [&] {
      for (const hub::Event& e : got)
        if (e.id == id && e.state == state) return true;
      return false;
    });
  }
};

// An instance: its bus and its bridge, wired as the server wires them (server.cpp).
struct Instance {
  Bus bus;
  std::atomic<int> woken{0};  // how often the notifier would be woken: others' new requests, refreshes
  hub::EventBridge bridge;
  explicit Instance(const std::string& url)
      : bridge(url, bus.bus, [this](const hub::Event& e) { woken += hub::wakes_notifier(e); }) {
    bus.bus.set_relay([this](const hub::Event& e) { bridge.send(e); });
  }
  ~Instance() { bus.bus.set_relay(nullptr); }
};

// Polls a condition every 20 ms for at most `seconds`.
template <class F>
bool eventually(F f, int seconds = 10) {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!f()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace cluster_test
