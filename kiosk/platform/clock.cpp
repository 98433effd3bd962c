// [SECTION] Clocks: a monotonic one for timers and a virtual one that only scripts move.
#include "platform.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <time.h>
#include <unistd.h>

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

// [SECTION] Start-up trace: the origin is the kernel's start time of the process (exec, before
// the dynamic loader), in clock ticks since boot (10 ms steps); on the real monotonic clock
// whatever the virtual one says. Without /proc, the moment our static objects are built.
static std::chrono::steady_clock::time_point process_start() {
  auto now = std::chrono::steady_clock::now();
  std::string stat;
  if (FILE* f = fopen("/proc/self/stat", "r")) {
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    stat.assign(buf, n);
  }
  size_t paren = stat.rfind(')');  // the command name may hold spaces and parentheses
  unsigned long long ticks = 0;
  timespec boot{};
  // Field 22 (starttime) is the 20th after the name's closing parenthesis.
  if (paren == std::string::npos || clock_gettime(CLOCK_BOOTTIME, &boot) != 0 ||
      sscanf(stat.c_str() + paren + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
             &ticks) != 1)
    return now;
  double since_boot_ms = boot.tv_sec * 1e3 + boot.tv_nsec / 1e6, started_ms = ticks * 1e3 / sysconf(_SC_CLK_TCK);
  double age_ms = since_boot_ms - started_ms;
  if (age_ms < 0 || age_ms > 60000) return now;
  return now - std::chrono::microseconds((int64_t)(age_ms * 1000));
}
static const std::chrono::steady_clock::time_point g_process_start = process_start();
static std::atomic<bool> g_trace{false};

void trace_enable(bool on) { g_trace.store(on); }

void trace(const char* phase) {
  if (!g_trace.load(std::memory_order_relaxed)) return;
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - g_process_start).count();
  fprintf(stderr, "sportello[startup] %8.1f ms  %s\n", ms, phase);  // one call: lines never interleave
}

}  // namespace platform
