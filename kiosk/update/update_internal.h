// Internals of kiosk/update shared by its files, its tool and its tests. Screens never include this.
//
// Index
//   [SECTION] File descriptors and durable writes
//   [SECTION] State directory paths and steps
//   [SECTION] Polls
//   [SECTION] Small helpers
#pragma once

#include "update.h"

#include <cstdint>
#include <set>
#include <string>

namespace update {

// [SECTION] File descriptors and durable writes -----------------------------------------------
class Fd {  // move-only owner of a file descriptor
public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

private:
  int fd_ = -1;
};

bool fsync_dir(const std::string& dir, std::string* error);
// Writes bytes to path.tmp, fsyncs it, renames it over path and fsyncs the directory.
bool write_file_durable(const std::string& path, const std::string& bytes, std::string* error);
// The whole file, at most max_bytes; false when missing, unreadable or larger.
bool read_file(const std::string& path, std::string* bytes, size_t max_bytes, std::string* error);
bool make_dir(const std::string& path, std::string* error);   // mkdir -p, 0755
int64_t file_size(const std::string& path);                   // -1 when missing

// An exclusive flock on a file, released when the owner goes out of scope (or the process dies).
class FileLock {
public:
  // wait=false: fails at once when another holder has it.
  bool lock(const std::string& path, bool wait, std::string* error);
  bool held() const { return fd_.ok(); }

private:
  Fd fd_;
};

// [SECTION] State directory paths and steps ---------------------------------------------------
std::string join(const std::string& dir, const std::string& name);
std::string target_path(const std::string& state_dir, const std::string& sha256);
std::string part_path(const std::string& state_dir, const std::string& sha256);
bool ensure_layout(const std::string& state_dir, std::string* error);   // STATE, targets/, download/

struct BadRelease {
  int64_t version = 0;
  std::string sha256, why;
};
bool read_bad(const std::string& state_dir, BadRelease* out);          // false when there is none

// The install steps, in order: the verified part becomes targets/<sha256> (0444, fsync, rename,
// fsync of targets/); then previous.json := current.json (unless keep_previous: the current one
// is broken and the previous is what runs); then current.json := envelope. Holds STATE/.swap.lock
// for the envelope swap, the lock roll_back() takes too.
bool install_target(const std::string& state_dir, const std::string& sha256, std::string* error);
bool install_envelope(const std::string& state_dir, const std::string& envelope, bool keep_previous,
                      std::string* error);
// Deletes targets named by neither current.json nor previous.json nor `keep`, .part files whose
// hash is not in `keep`, and leftover .tmp files.
void collect_garbage(const std::string& state_dir, const release::Trust& trust, const std::set<std::string>& keep);

// [SECTION] Polls -----------------------------------------------------------------------------
struct WireBytes {                     // of one manifest exchange: request and response (headers + body)
  uint64_t sent = 0, received = 0;
};
// check_once() with a starting status (the Updater's, so last_install survives), a callback that
// sees every change (progress) and, when wire is not null, the manifest exchange's bytes.
Status poll_once(const Config& config, const std::atomic<bool>* abort, Status start,
                 const std::function<void(const Status&)>& publish, WireBytes* wire);

// [SECTION] Small helpers ---------------------------------------------------------------------
uint64_t cfg_now_ms(const Config& c);
int64_t cfg_wall_s(const Config& c);

}  // namespace update
