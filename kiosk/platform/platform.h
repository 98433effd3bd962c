// Sportello platform layer: logging, clocks, configuration, and the SDL window/GL context with
// its event loop. The bottom of the kiosk: every other module may use it, it uses none of them.
//
// Two libraries are built from this one header:
//   sportello_platform_core  logging, clock, config  (no SDL: tools, hub and tests link it)
//   sportello_platform       + window, GL context, event loop, screenshots (links SDL2)
#pragma once

#include <cstdarg>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace platform {

// [SECTION] Logging ---------------------------------------------------------------------------
// One line per event to stderr (journald takes it from there). Never pass personal data: a
// visitor's name or phone must not reach a log, whatever the level.
enum class LogLevel : uint8_t { Debug, Info, Warn, Error };
void log(LogLevel level, const char* module, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
void log_set_min_level(LogLevel level);
void log_set_sink(std::function<void(LogLevel, const char* module, const char* line)> sink);  // tests

// [SECTION] Clock -----------------------------------------------------------------------------
// Monotonic milliseconds. Headless runs use a virtual clock that only moves when the script says
// "wait", so idle timers and inertia are testable without real waiting.
uint64_t now_ms();
void clock_use_virtual(bool on);            // switch to the virtual clock (starts at 0)
void clock_advance(uint64_t ms);            // virtual clock only
bool clock_is_virtual();
int64_t wall_clock_unix_ms();               // real time of day (for dates shown and stored)

}  // namespace platform
