// [SECTION] Logging: one line per event on stderr, or into a sink tests install.
#include "platform.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace platform {

static std::atomic<LogLevel> g_min_level{LogLevel::Info};
static std::mutex g_sink_mutex;
static std::function<void(LogLevel, const char*, const char*)> g_sink;

static const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warn: return "warning";
    case LogLevel::Error: return "error";
  }
  return "?";
}

void log(LogLevel level, const char* module, const char* fmt, ...) {
  if (level < g_min_level.load(std::memory_order_relaxed)) return;
  char line[1024];
  va_list args;
  va_start(args, fmt);
  vsnprintf(line, sizeof line, fmt, args);
  va_end(args);
  std::lock_guard<std::mutex> lock(g_sink_mutex);
  if (g_sink) {
    g_sink(level, module, line);
    return;
  }
  // journald adds its own timestamp; one write per line keeps lines whole across threads.
  fprintf(stderr, "sportello[%s] %s: %s\n", module, level_name(level), line);
}

void log_set_min_level(LogLevel level) { g_min_level.store(level); }

void log_set_sink(std::function<void(LogLevel, const char*, const char*)> sink) {
  std::lock_guard<std::mutex> lock(g_sink_mutex);
  g_sink = std::move(sink);
}

}  // namespace platform
