// [SECTION] Staff PIN: the screen after the hidden gesture, the Argon2id check on the worker,
// and the lockout after repeated wrong PINs, kept in a small file so a restart does not reset it.
#include "app.h"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

namespace app {

// [SECTION] Hashes ----------------------------------------------------------------------------
bool pin_hash_valid(const std::string& hash) {
  if (sodium_init() < 0) return false;
  if (hash.rfind(crypto_pwhash_argon2id_STRPREFIX, 0) != 0 || hash.size() >= crypto_pwhash_STRBYTES) return false;
  // -1 when the string is not a well-formed hash; its cost parameters may be any.
  return crypto_pwhash_str_needs_rehash(hash.c_str(), crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN) != -1;
}

static bool pin_well_formed(const std::string& pin) {
  return pin.size() >= 4 && pin.size() <= 12 && std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int hash_pin_command() {
  std::string pin;
  std::getline(std::cin, pin);
  if (!pin.empty() && pin.back() == '\r') pin.pop_back();
  if (!pin_well_formed(pin)) {
    wipe(pin);
    fprintf(stderr, "sportello: the PIN must be 4 to 12 digits\n");
    return 2;
  }
  char hash[crypto_pwhash_STRBYTES];
  // Interactive cost: a check takes a fraction of a second and 64 MiB on the kiosk's worker.
  int rc = sodium_init() < 0 ? -1
                             : crypto_pwhash_str(hash, pin.c_str(), pin.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                                 crypto_pwhash_MEMLIMIT_INTERACTIVE);
  wipe(pin);
  if (rc != 0) {
    fprintf(stderr, "sportello: cannot hash the PIN (out of memory?)\n");
    return 1;
  }
  printf("staff-pin-hash = %s\n", hash);
  return 0;
}

// [SECTION] Lock file -------------------------------------------------------------------------
int64_t staff_lockout_ms(int lockouts) {
  int64_t ms = kStaffFirstLockoutMs;
  for (int i = 1; i < lockouts && ms < kStaffMaxLockoutMs; i++) ms *= 2;
  return std::min(ms, kStaffMaxLockoutMs);
}

std::string staff_lock_path(const Options& o) {
  if (!o.staff_lock_file.empty()) return o.staff_lock_file;
  // Not inside the state directory: the content watcher would take every write for a release.
  std::filesystem::path base = !o.outbox_db.empty() ? std::filesystem::path(o.outbox_db).parent_path()
                               : !o.state_dir.empty() ? std::filesystem::path(o.state_dir).lexically_normal().parent_path()
                                                      : std::filesystem::path();
  if (o.outbox_db.empty() && o.state_dir.empty()) return "";
  return (base.empty() ? std::filesystem::path(".") : base).append("staff-lock.json").string();
}

static bool read_lock(const std::string& path, StaffLock* lock, std::string* error) {
  *lock = StaffLock{};
  std::ifstream in(path);
  if (!in) return errno == ENOENT || (*error = path + ": " + strerror(errno), false);
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (!j.is_object() || !j.value("failures", nlohmann::json()).is_number_integer() ||
      !j.value("lockouts", nlohmann::json()).is_number_integer() ||
      !j.value("locked_until_unix_ms", nlohmann::json()).is_number_integer()) {
    *error = path + ": not a staff lock file";
    return false;
  }
  lock->failures = std::clamp(j["failures"].get<int>(), 0, kStaffPinAttempts);
  lock->lockouts = std::clamp(j["lockouts"].get<int>(), 0, 64);
  lock->locked_until_unix_ms = std::max<int64_t>(0, j["locked_until_unix_ms"].get<int64_t>());
  return true;
}

// Written beside, flushed to disk and renamed over: a power cut leaves the old state or the new.
static bool write_lock(const std::string& path, const StaffLock& lock, std::string* error) {
  std::string data = nlohmann::json{{"failures", lock.failures},
                                    {"lockouts", lock.lockouts},
                                    {"locked_until_unix_ms", lock.locked_until_unix_ms}}.dump() + "\n";
  std::string part = path + ".part";
  int fd = open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0 && write(fd, data.data(), data.size()) == (ssize_t)data.size() && fsync(fd) == 0;
  if (fd >= 0) ok = close(fd) == 0 && ok;
  ok = ok && rename(part.c_str(), path.c_str()) == 0;
  if (!ok) {
    *error = path + ": " + strerror(errno);
    unlink(part.c_str());
    return false;
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return true;
}

// A clock set back (a lost RTC) must not turn a lockout into one of years: never longer than it was.
static void clamp_lock(StaffLock* lock, int64_t now) {
  int64_t longest = staff_lockout_ms(std::max(1, lock->lockouts));
  if (lock->locked_until_unix_ms > now + longest) lock->locked_until_unix_ms = now + longest;
}

void Kiosk::load_staff_lock() {
  staff_lock_path_ = staff_lock_path(options_);
  if (options_.staff_pin_hash.empty()) {
    platform::log(platform::LogLevel::Warn, "staff", "no staff-pin-hash configured: the staff view cannot be opened");
    return;
  }
  if (staff_lock_path_.empty()) {
    platform::log(platform::LogLevel::Warn, "staff", "no outbox-db, state-dir or staff-lock-file: a PIN lockout lasts until a restart");
    return;
  }
  if (!services_.tasks) return;
  std::string path = staff_lock_path_;
  services_.tasks->run([this, path]() -> Tasks::Done {
    StaffLock lock;
    std::string error;
    bool ok = read_lock(path, &lock, &error);
    return [this, ok, lock, error]() {
      if (!ok) {
        // A damaged file counts as a lockout: failing open would hand out fresh attempts.
        platform::log(platform::LogLevel::Error, "staff", "%s: treated as a lockout", error.c_str());
        staff_lock_ = StaffLock{kStaffPinAttempts, 1, platform::wall_clock_unix_ms() + kStaffFirstLockoutMs};
        return;
      }
      staff_lock_ = lock;
      if (lock.failures > 0 || lock.locked_until_unix_ms > 0)
        platform::log(platform::LogLevel::Info, "staff", "%d wrong PIN(s) recorded, %d lockout(s)", lock.failures, lock.lockouts);
    };
  });
}

// [SECTION] PIN screen ------------------------------------------------------------------------
static std::string minutes_left(int64_t ms) {
  int64_t min = std::max<int64_t>(1, (ms + 59999) / 60000);
  return min == 1 ? "1 minuto" : std::to_string(min) + " minuti";
}

void Kiosk::submit_staff_pin() {
  int64_t now = platform::wall_clock_unix_ms();
  clamp_lock(&staff_lock_, now);
  if (staff_pin_checking_ || staff_pin_.empty() || !services_.tasks) return;
  if (staff_lock_.locked_until_unix_ms > now) {
    wipe(staff_pin_);
    return;
  }
  if (staff_lock_.locked_until_unix_ms > 0) {  // the lockout is over: five more attempts
    staff_lock_.locked_until_unix_ms = 0;
    staff_lock_.failures = 0;
  }
  // The attempt counts before the check: cutting the power during it does not win a free try.
  StaffLock counted = staff_lock_;
  counted.failures++;
  if (counted.failures >= kStaffPinAttempts) {
    counted.lockouts++;
    counted.locked_until_unix_ms = now + staff_lockout_ms(counted.lockouts);
  }
  staff_pin_checking_ = true;
  staff_pin_message_ = "Verifica in corso…";
  std::string pin = staff_pin_, hash = options_.staff_pin_hash, path = staff_lock_path_;
  wipe(staff_pin_);
  staff_lock_ = counted;
  uint64_t serial = session_serial_;
  services_.tasks->run([this, pin, hash, path, counted, serial]() mutable -> Tasks::Done {
    std::string error;
    if (!path.empty() && !write_lock(path, counted, &error))
      platform::log(platform::LogLevel::Error, "staff", "cannot record a PIN attempt: %s", error.c_str());
    bool right = crypto_pwhash_str_verify(hash.c_str(), pin.c_str(), pin.size()) == 0;
    wipe(pin);
    StaffLock after = right ? StaffLock{} : counted;
    if (right && !path.empty() && !write_lock(path, after, &error))
      platform::log(platform::LogLevel::Error, "staff", "cannot clear the PIN attempts: %s", error.c_str());
    return [this, right, after, serial]() {
      staff_pin_checking_ = false;
      staff_lock_ = after;
      if (right) platform::log_event(platform::LogLevel::Info, "staff", "staff_login", "", "staff view opened");
      else if (after.locked_until_unix_ms > 0)
        platform::log_event(platform::LogLevel::Warn, "staff", "staff_locked", "", "wrong staff PIN: staff view locked for %lld min",
                            (long long)(staff_lockout_ms(after.lockouts) / 60000));
      else
        platform::log_event(platform::LogLevel::Warn, "staff", "staff_login_failed", "", "wrong staff PIN (%d of %d)", after.failures,
                            kStaffPinAttempts);
      if (serial != session_serial_ || screen_ != Screen::StaffPin) return;  // the visitor left meanwhile
      if (right) {
        staff_pin_message_.clear();
        screen_ = Screen::Staff;  // Back from the staff view goes home, not to the PIN
        ui_.focused_field = nullptr;
        staff_exit_confirm_ = false;
        staff_.sync_asked = false;
        staff_next_refresh_ = platform::now_ms() + kStaffRefreshMs;
        refresh_staff();
      } else if (after.locked_until_unix_ms > 0) {
        staff_pin_message_.clear();  // the lockout line says it
      } else {
        int left = kStaffPinAttempts - after.failures;
        staff_pin_message_ = "PIN errato: " + std::to_string(left) + (left == 1 ? " tentativo rimasto" : " tentativi rimasti");
      }
    };
  });
}

void Kiosk::draw_staff_pin() {
  const ui::Metrics& m = ui_.m();
  float y = 0;
  nav_bar(&y);
  const std::string lang = "it";
  float cw = std::min(ui_.width() - 2 * m.pad, m.px_per_mm * 120), x = (ui_.width() - cw) * 0.5f;
  y += ui_.text("staff.pin.title", "Accesso del personale", lang, {x, y, cw, 0}, m.heading, ui_.theme().primary, true,
                text::Align::Center, "heading") + m.pad;
  // Only digits, whatever a hardware keyboard typed.
  std::erase_if(staff_pin_, [](char c) { return c < '0' || c > '9'; });
  if (staff_pin_.size() > 12) staff_pin_.resize(12);
  ui_.focused_field = &staff_pin_;
  std::string dots;
  for (size_t i = 0; i < staff_pin_.size(); i++) dots += "•";
  ui_.outline({x, y, cw, m.button_h}, ui_.theme().outline, 8);
  ui_.text("staff.pin.field", dots, lang, {x, y + m.pad * 0.3f, cw, 0}, m.heading, ui_.theme().ink, false,
           text::Align::Center, "field");
  y += m.button_h + m.pad * 0.5f;
  int64_t now = platform::wall_clock_unix_ms();
  clamp_lock(&staff_lock_, now);
  bool locked = staff_lock_.locked_until_unix_ms > now;
  std::string message = locked ? "Troppi PIN errati: riprova tra " + minutes_left(staff_lock_.locked_until_unix_ms - now)
                        : !staff_pin_message_.empty() ? staff_pin_message_
                                                      : "Inserisci il PIN";
  y += ui_.text(locked ? "staff.pin.locked" : "staff.pin.message", message, lang, {x, y, cw, 0}, m.body,
                locked || !staff_pin_message_.empty() ? ui_.theme().danger : ui_.theme().muted, false,
                text::Align::Center) + m.pad;
  staff_keypad_.layout = staff_keypad_.native = ui::KeyboardLayout::Phone;
  ui::KeyboardLabels labels{"", "Cancella", "Conferma", "", lang};
  float kh = std::min(ui_.height() - y - m.pad, m.min_target * 6);
  if (ui::keyboard(ui_, staff_keypad_, {x, y, cw, kh}, &staff_pin_, labels, 12)) submit_staff_pin();
}

}  // namespace app
