// Sportello content updates on the kiosk: poll the hub for a signed release, download its targets
// with a byte cap and resume, verify before trusting a byte, install atomically, and tell the
// screen's process which pack to open. Interrupted at any point (kill -9, power loss, full disk),
// a kiosk runs the old content or the new one, never a mix and never nothing.
//
// Index
//   [SECTION] State directory (what is installed; no network: the kiosk's process links this)
//   [SECTION] Watcher (inotify: the screen learns of an install without polling)
//   [SECTION] Updater (libcurl; runs in the network process, sportello-uploader)
//
// Libraries: sportello_update_core (state directory, watcher) does not link libcurl, so the
// screen's process never loads it; sportello_updater (Updater) does.
//
// State directory layout (STATE = Config::state_dir, e.g. /var/lib/sportello/content):
//   STATE/targets/<sha256>      installed target files, named by their hash, read-only (0444)
//   STATE/current.json         the envelope of the release the kiosk should run
//   STATE/previous.json        the one before it (the way back when the current pack fails)
//   STATE/download/<sha256>.part   a download in progress (resumed with Range after a restart)
//   STATE/bad.json             {"version":N,"sha256":"...","why":"..."}: a release the kiosk could
//                              not open; never installed again
//   STATE/.lock                held (flock) by the one updater allowed to write here, for a poll
//   STATE/.swap.lock           held briefly by the envelope swap and by roll_back()
//   STATE/download/offered.json, offered.etag   the last manifest the hub sent and its ETag
// Install order, each step durable before the next (fsync of the file, rename, fsync of the
// directory): targets/<sha256> complete and verified -> previous.json := current.json ->
// current.json := the new envelope. Targets that neither current.json nor previous.json name are
// deleted only after that. So every crash leaves current.json naming complete, verified files.
#pragma once

#include "release/release.h"

#include <cstdint>
#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace update {

// [SECTION] State directory ------------------------------------------------------------------
struct Installed {
  bool ok = false;                     // a verified release with an intact content pack
  std::string pack_path;               // STATE/targets/<sha256> of the content target
  std::string map_path;                // the map target's file, "" when the release has none
  int64_t version = 0;                 // its content_version
  std::string sha256;                  // of the content pack
  bool from_previous = false;          // current.json failed its checks; previous.json was used
  std::string error;                   // why nothing (or only the previous) could be used
};
// What the kiosk should open: current.json if its signatures verify against `trust` and its
// content target file has the manifest's size and hash (bit rot, a half-copied file); else
// previous.json under the same checks; else ok=false. Expiry is not checked here: a kiosk keeps
// running the content it has while offline. Reads and hashes the pack: call it off the frame.
Installed select_installed(const std::string& state_dir, const release::Trust& trust);
// The kiosk could not open or validate the pack of `version`: records it in bad.json and makes
// previous.json current again (atomically), so the next select_installed() returns the previous
// pack. False (with why) when there is nothing to go back to.
bool roll_back(const std::string& state_dir, int64_t version, const std::string& why, std::string* error);

// [SECTION] Watcher -------------------------------------------------------------------------
// Calls on_change (on its own thread) whenever current.json is replaced in state_dir. Creates
// state_dir when missing. Costs nothing while nothing changes (a thread blocked in read()).
class Watcher {
public:
  Watcher(std::string state_dir, std::function<void()> on_change);
  ~Watcher();                          // stops and joins
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;
  bool ok() const;                     // watching
  const std::string& error() const;

  struct Impl;
private:
  std::unique_ptr<Impl> impl_;
};

// [SECTION] Updater -------------------------------------------------------------------------
struct Config {
  std::string state_dir;
  std::string hub_url;                 // manifest from HUB/api/v1/content/manifest
  std::string token;                   // the kiosk's bearer token (sent to the hub only)
  std::string targets_url;             // "" = HUB/api/v1/content/targets; else a plain mirror
                                       // serving <url>/<sha256> (no token is sent to it)
  std::string ca_file, pinned_public_key;  // as outbox::Config
  release::Trust trust;
  int64_t base_version = 0;            // version of a pack the operator placed (--content):
                                       // nothing at or below it is installed
  uint64_t poll_interval_ms = 15 * 60 * 1000;
  double poll_jitter = 0.2;            // each wait is interval * (1 +/- jitter), spreading a fleet
  long connect_timeout_ms = 10000;
  long low_speed_limit_bytes = 64;     // a download slower than this many bytes/s ...
  long low_speed_time_s = 30;          // ... for this long is abandoned and resumed next poll
  uint64_t free_space_margin = 8 << 20;  // refuse to start a download that would leave less free
  std::function<int64_t()> wall_s;     // unix seconds (expiry); empty = the system clock
  std::function<uint64_t()> now_ms;    // monotonic; empty = platform::now_ms
};
// The Config crosses the socket to the uploader process as JSON (no functions).
std::string config_to_json(const Config& config);
bool config_from_json(const std::string& json, Config* config, std::string* error);

struct Status {
  std::string state = "idle";          // idle | checking | downloading | installing | error
  int64_t installed_version = 0;       // current.json's version (or base_version)
  int64_t offered_version = 0;         // the last manifest the hub offered
  int64_t last_check = 0;              // unix seconds of the last completed poll, 0 = never
  int64_t last_install = 0;            // unix seconds of the last install
  std::string last_error;              // "" after a clean poll; else what and why, no secrets
  std::string last_refusal;            // release::refusal_code() or "download" (transport; resumes),
                                       // "hash_mismatch", "too_large", "disk_full", "http_<code>",
                                       // "known_bad" (in bad.json), "locked", "config", "install"
  uint64_t downloaded = 0, total = 0;  // bytes of the download in progress
};
std::string status_to_json(const Status& status);   // the heartbeat's "update" object
// The other way (the screen's process reads what the network process sends); false when not a
// JSON object or a field has the wrong type.
bool status_from_json(const std::string& json, Status* out);

// One poll, start to end: fetch the manifest (If-None-Match with the last ETag), verify it, skip
// it if installed or marked bad, download what is missing (byte cap = the manifest's size,
// resume from .part), verify every target, install. Blocking; `abort` (may be null) stops it
// promptly, leaving a resumable .part. Returns the status after the poll.
Status check_once(const Config& config, const std::atomic<bool>* abort = nullptr);

// check_once() on a thread every poll_interval_ms (+/- jitter) and at once on check_now().
class Updater {
public:
  explicit Updater(Config config);
  ~Updater();                          // stop()
  Updater(const Updater&) = delete;
  Updater& operator=(const Updater&) = delete;
  bool start(std::string* error = nullptr);  // false when the state dir is unusable or locked
  void check_now();
  void stop();                         // prompt, even mid-download
  Status status() const;

  struct Impl;
private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace update
