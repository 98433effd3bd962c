// [SECTION] The service manager: sd_notify(3) through libsystemd. READY=1 once the first frame
// is up, WATCHDOG=1 from the loop each time it has gone round, STOPPING=1 on the way out.
#include "platform.h"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace platform {

// The watchdog runs on real time even when the screen runs on the virtual clock: systemd kills
// on real time.
static uint64_t real_ms() {
  using namespace std::chrono;
  return (uint64_t)duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

static uint64_t g_interval_ms = ~0ull;  // ~0: not read yet
static uint64_t g_next_ping_ms = 0;

void notify_ready() { sd_notify(0, "READY=1"); }
void notify_stopping() { sd_notify(0, "STOPPING=1"); }

uint64_t watchdog_interval_ms() {
  if (g_interval_ms == ~0ull) {
    uint64_t usec = 0;
    int enabled = sd_watchdog_enabled(0, &usec);
    // Under cage the service's main process is the compositor, our parent: systemd named it in
    // WATCHDOG_PID, but the loop that must prove it runs is ours (the unit has NotifyAccess=all).
    const char* pid = getenv("WATCHDOG_PID");
    if (enabled == 0 && pid && strtol(pid, nullptr, 10) == (long)getppid()) {
      setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
      enabled = sd_watchdog_enabled(0, &usec);
    }
    // Ping twice per period, as sd_watchdog_enabled(3) recommends.
    g_interval_ms = enabled > 0 ? std::max<uint64_t>(1, usec / 2000) : 0;
  }
  return g_interval_ms;
}

void watchdog_kick() {
  uint64_t interval = watchdog_interval_ms();
  if (!interval) return;
  uint64_t now = real_ms();
  if (now < g_next_ping_ms) return;
  sd_notify(0, "WATCHDOG=1");
  g_next_ping_ms = now + interval;
}

uint64_t watchdog_due_ms() {
  uint64_t interval = watchdog_interval_ms();
  if (!interval) return ~0ull;
  uint64_t now = real_ms();
  return g_next_ping_ms > now ? g_next_ping_ms - now : 0;
}

}  // namespace platform
