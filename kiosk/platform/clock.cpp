// [SECTION] Clocks: a monotonic one for timers and a virtual one that only scripts move.
#include "platform.h"

#include <atomic>
#include <chrono>

namespace platform {

static std::atomic<bool> g_virtual{false};
static std::atomic<uint64_t> g_virtual_ms{0};
// The virtual wall clock starts at a fixed instant so headless runs are reproducible:
// 2026-11-23 (a Monday) 10:00 Europe/Rome = 09:00 UTC.
static std::atomic<int64_t> g_virtual_epoch_unix_ms{1795424400000};

uint64_t now_ms() {
  if (g_virtual.load(std::memory_order_relaxed)) return g_virtual_ms.load(std::memory_order_relaxed);
  using namespace std::chrono;
  return (uint64_t)duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

void clock_use_virtual(bool on) {
  g_virtual_ms.store(0);
  g_virtual.store(on);
}

void clock_advance(uint64_t ms) { g_virtual_ms.fetch_add(ms); }

bool clock_is_virtual() { return g_virtual.load(); }

int64_t wall_clock_unix_ms() {
  if (g_virtual.load(std::memory_order_relaxed)) return g_virtual_epoch_unix_ms.load() + (int64_t)g_virtual_ms.load();
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void clock_set_virtual_wall(int64_t unix_ms) { g_virtual_epoch_unix_ms.store(unix_ms); }

}  // namespace platform
