// The log's face: the journal fields an entry carries, the target names, and the ring of recent
// warnings the staff view shows. (A real journal needs systemd as PID 1; the fields sent to it are
// built by the same function these tests call, and the kiosk's e2e test reads them in the Journal
// Export Format.)
#include "platform.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace {

bool has(const std::vector<std::string>& fields, const std::string& field) {
  return std::find(fields.begin(), fields.end(), field) != fields.end();
}

bool has_key(const std::vector<std::string>& fields, const std::string& key) {
  return std::any_of(fields.begin(), fields.end(), [&](const std::string& f) { return f.rfind(key + "=", 0) == 0; });
}

}  // namespace

TEST_CASE("an event's journal entry carries its name, the request's ref, the kiosk id and a priority", "[log]") {
  platform::log_set_kiosk_id("GR-01");
  std::vector<std::string> f = platform::log_journal_fields(platform::LogLevel::Info, "outbox", "upload_ok",
                                                            "GR1-K7P4X", "request GR1-K7P4X delivered");
  CHECK(f.front() == "MESSAGE=outbox: request GR1-K7P4X delivered");
  CHECK(has(f, "PRIORITY=6"));
  CHECK(has(f, "SPORTELLO_MODULE=outbox"));
  CHECK(has(f, "SPORTELLO_EVENT=upload_ok"));
  CHECK(has(f, "SPORTELLO_REQUEST_REF=GR1-K7P4X"));
  CHECK(has(f, "SPORTELLO_KIOSK_ID=GR-01"));
  CHECK(has_key(f, "SYSLOG_IDENTIFIER"));

  // Priorities as syslog(3) numbers them; no event and no ref: no such fields, not empty ones.
  std::vector<std::string> warn = platform::log_journal_fields(platform::LogLevel::Warn, "app", nullptr, "", "x");
  CHECK(has(warn, "PRIORITY=4"));
  CHECK_FALSE(has_key(warn, "SPORTELLO_EVENT"));
  CHECK_FALSE(has_key(warn, "SPORTELLO_REQUEST_REF"));
  CHECK(has(platform::log_journal_fields(platform::LogLevel::Error, "app", nullptr, "", "x"), "PRIORITY=3"));
  CHECK(has(platform::log_journal_fields(platform::LogLevel::Debug, "app", nullptr, "", "x"), "PRIORITY=7"));

  // A value stays on one line: a newline in a message cannot forge a second field.
  std::vector<std::string> forged =
      platform::log_journal_fields(platform::LogLevel::Info, "hub", "e", "", "bad\nSPORTELLO_EVENT=staff_login\r\n");
  CHECK(forged.front() == "MESSAGE=hub: bad SPORTELLO_EVENT=staff_login  ");
  CHECK(std::count_if(forged.begin(), forged.end(), [](const std::string& s) { return s.find('\n') != std::string::npos; }) == 0);

  platform::log_set_kiosk_id("");
  CHECK_FALSE(has_key(platform::log_journal_fields(platform::LogLevel::Info, "app", "e", "", "x"), "SPORTELLO_KIOSK_ID"));
}

TEST_CASE("log targets by name, an unknown name is refused", "[log]") {
  platform::LogTarget t = platform::LogTarget::Auto;
  CHECK(platform::log_target_from_name("journal", &t));
  CHECK(t == platform::LogTarget::Journal);
  CHECK(platform::log_target_from_name("export", &t));
  CHECK(t == platform::LogTarget::Export);
  CHECK(platform::log_target_from_name("stderr", &t));
  CHECK(t == platform::LogTarget::Stderr);
  CHECK(platform::log_target_from_name("auto", &t));
  CHECK(t == platform::LogTarget::Auto);
  CHECK_FALSE(platform::log_target_from_name("syslog", &t));
  CHECK_FALSE(platform::log_target_from_name("", &t));
  // Without JOURNAL_STREAM naming stderr, auto is stderr (tests never run as a service).
  unsetenv("JOURNAL_STREAM");
  unsetenv("SPORTELLO_LOG_TARGET");
  platform::log_set_target(platform::LogTarget::Auto);
  CHECK(platform::log_target() == platform::LogTarget::Stderr);
  setenv("JOURNAL_STREAM", "1:2", 1);  // some other stream (a parent's): still stderr
  platform::log_set_target(platform::LogTarget::Auto);
  CHECK(platform::log_target() == platform::LogTarget::Stderr);
  unsetenv("JOURNAL_STREAM");
  setenv("SPORTELLO_LOG_TARGET", "export", 1);
  platform::log_set_target(platform::LogTarget::Auto);
  CHECK(platform::log_target() == platform::LogTarget::Export);
  unsetenv("SPORTELLO_LOG_TARGET");
  platform::log_set_target(platform::LogTarget::Auto);
}

TEST_CASE("the recent-errors ring keeps the last warnings and errors, never infos", "[log]") {
  std::vector<std::string> seen;
  platform::log_set_sink([&](platform::LogLevel, const char*, const char* line) { seen.push_back(line); });
  platform::log(platform::LogLevel::Info, "app", "an info line");
  for (int i = 0; i < (int)platform::kLogRecent + 3; i++)
    platform::log_event(platform::LogLevel::Warn, "outbox", "upload_failed", "GR1-X", "warning %d", i);
  platform::log(platform::LogLevel::Error, "update", "the last error");
  platform::log_set_sink(nullptr);
  std::vector<std::string> recent = platform::log_recent();
  REQUIRE(recent.size() == platform::kLogRecent);
  CHECK(recent.back().find("update: the last error") != std::string::npos);
  CHECK(recent.front().find("outbox: warning 4") != std::string::npos);  // 0..3 fell off the front
  for (const std::string& r : recent) CHECK(r.find("an info line") == std::string::npos);
  CHECK(seen.size() == platform::kLogRecent + 5);
}
