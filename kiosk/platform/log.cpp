// [SECTION] Logging: the journal with structured fields under systemd, else one line per entry on
// stderr, or into a sink tests install. Keeps the last warnings and errors for the staff view.
#include "platform.h"

#include <systemd/sd-journal.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <mutex>
#include <sys/stat.h>
#include <sys/uio.h>

namespace platform {

static std::atomic<LogLevel> g_min_level{LogLevel::Info};
static std::mutex g_mutex;  // guards everything below
static std::function<void(LogLevel, const char*, const char*)> g_sink;
static LogTarget g_target = LogTarget::Auto;
static bool g_target_resolved = false;
static std::string g_kiosk_id;
static std::deque<std::string> g_recent;

static const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warn: return "warning";
    case LogLevel::Error: return "error";
  }
  return "?";
}

// syslog(3) priorities, as journald keeps them.
static int priority(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return 7;
    case LogLevel::Info: return 6;
    case LogLevel::Warn: return 4;
    case LogLevel::Error: return 3;
  }
  return 6;
}

bool log_target_from_name(std::string_view name, LogTarget* target) {
  if (name == "auto") *target = LogTarget::Auto;
  else if (name == "stderr") *target = LogTarget::Stderr;
  else if (name == "journal") *target = LogTarget::Journal;
  else if (name == "export") *target = LogTarget::Export;
  else return false;
  return true;
}

// JOURNAL_STREAM is "device:inode" of the stream systemd connected stdout and stderr to; it is
// inherited by children whose stderr goes elsewhere, so it counts only when it names stderr.
static bool stderr_is_journal() {
  const char* env = getenv("JOURNAL_STREAM");
  if (!env) return false;
  unsigned long long dev = 0, ino = 0;
  if (sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st;
  if (fstat(2, &st) != 0) return false;
  return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static LogTarget resolved_target() {  // g_mutex held
  if (!g_target_resolved) {
    const char* env = getenv("SPORTELLO_LOG_TARGET");
    LogTarget from_env;
    if (g_target == LogTarget::Auto && env && log_target_from_name(env, &from_env)) g_target = from_env;
    if (g_target == LogTarget::Auto) g_target = stderr_is_journal() ? LogTarget::Journal : LogTarget::Stderr;
    g_target_resolved = true;
  }
  return g_target;
}

void log_set_target(LogTarget target) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_target = target;
  g_target_resolved = false;
}

LogTarget log_target() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return resolved_target();
}

void log_set_kiosk_id(const std::string& id) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_kiosk_id = id;
}

static std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if ((unsigned char)c < 0x20 || c == 0x7f) c = ' ';
  return out;
}

static std::vector<std::string> fields(LogLevel level, const char* module, const char* event, const std::string& ref,
                                       const std::string& message, const std::string& kiosk_id) {
  std::vector<std::string> out;
  out.push_back("MESSAGE=" + one_line(std::string(module) + ": " + message));
  out.push_back("PRIORITY=" + std::to_string(priority(level)));
  out.push_back(std::string("SYSLOG_IDENTIFIER=") + program_invocation_short_name);
  out.push_back("SPORTELLO_MODULE=" + one_line(module));
  if (event && *event) out.push_back("SPORTELLO_EVENT=" + one_line(event));
  if (!ref.empty()) out.push_back("SPORTELLO_REQUEST_REF=" + one_line(ref));
  if (!kiosk_id.empty()) out.push_back("SPORTELLO_KIOSK_ID=" + one_line(kiosk_id));
  return out;
}

std::vector<std::string> log_journal_fields(LogLevel level, const char* module, const char* event,
                                            const std::string& ref, const std::string& message) {
  std::string kiosk_id;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    kiosk_id = g_kiosk_id;
  }
  return fields(level, module, event, ref, message, kiosk_id);
}

std::vector<std::string> log_recent() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return {g_recent.begin(), g_recent.end()};
}

static void emit(LogLevel level, const char* module, const char* event, const std::string& ref, const char* line) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (level >= LogLevel::Warn) {
    time_t now = (time_t)(wall_clock_unix_ms() / 1000);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[16];
    strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
    g_recent.push_back(std::string(stamp) + " " + module + ": " + one_line(line));
    if (g_recent.size() > kLogRecent) g_recent.pop_front();
  }
  if (g_sink) {
    g_sink(level, module, line);
    return;
  }
  switch (resolved_target()) {
    case LogTarget::Journal: {
      std::vector<std::string> f = fields(level, module, event, ref, line, g_kiosk_id);
      std::vector<iovec> iov;
      for (std::string& s : f) iov.push_back({s.data(), s.size()});
      if (sd_journal_sendv(iov.data(), (int)iov.size()) >= 0) return;
      break;  // the journal went away: stderr still reaches someone
    }
    case LogTarget::Export: {
      // One write per entry keeps entries whole across threads and processes.
      std::string entry;
      for (const std::string& s : fields(level, module, event, ref, line, g_kiosk_id)) entry += s + "\n";
      entry += "\n";
      fwrite(entry.data(), 1, entry.size(), stderr);
      return;
    }
    case LogTarget::Auto:
    case LogTarget::Stderr:
      break;
  }
  // journald (when stderr is its stream) adds its own timestamp; one write per line keeps lines
  // whole across threads.
  fprintf(stderr, "sportello[%s] %s: %s\n", module, level_name(level), line);
}

void log(LogLevel level, const char* module, const char* fmt, ...) {
  if (level < g_min_level.load(std::memory_order_relaxed)) return;
  char line[1024];
  va_list args;
  va_start(args, fmt);
  vsnprintf(line, sizeof line, fmt, args);
  va_end(args);
  emit(level, module, nullptr, std::string(), line);
}

void log_event(LogLevel level, const char* module, const char* event, const std::string& ref, const char* fmt, ...) {
  if (level < g_min_level.load(std::memory_order_relaxed)) return;
  char line[1024];
  va_list args;
  va_start(args, fmt);
  vsnprintf(line, sizeof line, fmt, args);
  va_end(args);
  emit(level, module, event, ref, line);
}

void log_set_min_level(LogLevel level) { g_min_level.store(level); }

void log_set_sink(std::function<void(LogLevel, const char*, const char*)> sink) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_sink = std::move(sink);
}

}  // namespace platform
