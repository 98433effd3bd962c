// The state directory: durable file steps, what is installed, the way back, garbage collection.
// No network: the kiosk's screen process links this file.
//
// Index
//   [SECTION] File descriptors and durable writes
//   [SECTION] Locks
//   [SECTION] Paths and bad.json
//   [SECTION] What is installed
//   [SECTION] Install steps and the way back
//   [SECTION] Garbage collection
#include "update_internal.h"

#include "platform.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace update {

// [SECTION] File descriptors and durable writes -------------------------------------------------
Fd::~Fd() {
  if (fd_ >= 0) close(fd_);
}

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

static std::string errno_text(const std::string& what) { return what + ": " + strerror(errno); }

bool fsync_dir(const std::string& dir, std::string* error) {
  Fd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.ok() || fsync(fd.get()) != 0) {
    *error = errno_text("fsync " + dir);
    return false;
  }
  return true;
}

static std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// Writes all of bytes, retrying short writes and EINTR.
static bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= (size_t)n;
  }
  return true;
}

bool write_file_durable(const std::string& path, const std::string& bytes, std::string* error) {
  std::string tmp = path + ".tmp";
  {
    Fd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.ok()) return *error = errno_text("create " + tmp), false;
    if (!write_all(fd.get(), bytes.data(), bytes.size()) || fsync(fd.get()) != 0) {
      *error = errno_text("write " + tmp);
      unlink(tmp.c_str());
      return false;
    }
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    *error = errno_text("rename " + tmp);
    unlink(tmp.c_str());
    return false;
  }
  return fsync_dir(parent_of(path), error);
}

bool read_file(const std::string& path, std::string* bytes, size_t max_bytes, std::string* error) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.ok()) return *error = errno_text("open " + path), false;
  bytes->clear();
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return *error = errno_text("read " + path), false;
    if (n == 0) return true;
    if (bytes->size() + (size_t)n > max_bytes) return *error = path + " is too large", false;
    bytes->append(buf, (size_t)n);
  }
}

bool make_dir(const std::string& path, std::string* error) {
  if (path.empty()) return *error = "no directory given", false;
  for (size_t at = 1; at <= path.size(); at++) {
    if (at < path.size() && path[at] != '/') continue;
    std::string prefix = path.substr(0, at);
    if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) return *error = errno_text("mkdir " + prefix), false;
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return *error = path + " is not a directory", false;
  return true;
}

int64_t file_size(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? (int64_t)st.st_size : -1;
}

// [SECTION] Locks -------------------------------------------------------------------------------
bool FileLock::lock(const std::string& path, bool wait, std::string* error) {
  Fd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.ok()) return *error = errno_text("open " + path), false;
  int rc;
  do rc = flock(fd.get(), LOCK_EX | (wait ? 0 : LOCK_NB));
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    *error = errno == EWOULDBLOCK ? "another updater is working in " + parent_of(path) : errno_text("flock " + path);
    return false;
  }
  fd_ = std::move(fd);
  return true;
}

// [SECTION] Paths and bad.json ------------------------------------------------------------------
std::string join(const std::string& dir, const std::string& name) {
  return !dir.empty() && dir.back() == '/' ? dir + name : dir + "/" + name;
}

std::string target_path(const std::string& state_dir, const std::string& sha256) {
  return join(state_dir, "targets/" + sha256);
}

std::string part_path(const std::string& state_dir, const std::string& sha256) {
  return join(state_dir, "download/" + sha256 + ".part");
}

bool ensure_layout(const std::string& state_dir, std::string* error) {
  return make_dir(state_dir, error) && make_dir(join(state_dir, "targets"), error) &&
         make_dir(join(state_dir, "download"), error);
}

bool read_bad(const std::string& state_dir, BadRelease* out) {
  std::string text, error;
  if (!read_file(join(state_dir, "bad.json"), &text, 4096, &error)) return false;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return false;
  out->version = j.value("version", (int64_t)0);
  out->sha256 = j.value("sha256", std::string());
  out->why = j.value("why", std::string());
  return out->version > 0;
}

// [SECTION] What is installed -------------------------------------------------------------------
// Checks one envelope file: signatures, the content target's file, bad.json. Expiry is not
// checked (now = 0): a kiosk keeps its content while offline.
static bool check_envelope(const std::string& state_dir, const char* name, const release::Trust& trust,
                           Installed* out, std::string* why) {
  std::string envelope, error;
  if (!read_file(join(state_dir, name), &envelope, release::kMaxManifestBytes, &error)) {
    *why = errno == ENOENT ? std::string(name) + " is missing" : error;
    return false;
  }
  release::Verified v = release::verify(envelope, trust, 0, 0);
  if (!v.ok) return *why = std::string(name) + ": " + v.error, false;
  const release::Target* pack = v.manifest.find(release::kContentTarget);
  if (!pack) return *why = std::string(name) + ": no content pack", false;
  std::string path = target_path(state_dir, pack->sha256);
  if (!release::file_matches(path, *pack, &error)) return *why = std::string(name) + ": content pack " + error, false;
  BadRelease bad;
  if (read_bad(state_dir, &bad) && bad.version == v.manifest.content_version && bad.sha256 == pack->sha256)
    return *why = std::string(name) + ": release " + std::to_string(bad.version) + " failed before: " + bad.why, false;
  out->ok = true;
  out->pack_path = path;
  out->version = v.manifest.content_version;
  out->sha256 = pack->sha256;
  out->map_path.clear();
  // The map is large and optional: present with its size is enough to offer it (the map view
  // checks its own file); a missing map never costs the kiosk its content.
  if (const release::Target* map = v.manifest.find(release::kMapTarget)) {
    std::string map_path = target_path(state_dir, map->sha256);
    if (file_size(map_path) == (int64_t)map->size) out->map_path = map_path;
  }
  return true;
}

Installed select_installed(const std::string& state_dir, const release::Trust& trust) {
  Installed out;
  std::string why_current, why_previous;
  if (check_envelope(state_dir, "current.json", trust, &out, &why_current)) return out;
  if (check_envelope(state_dir, "previous.json", trust, &out, &why_previous)) {
    out.from_previous = true;
    out.error = why_current;
    return out;
  }
  out.error = why_current + "; " + why_previous;
  return out;
}

// [SECTION] Install steps and the way back ------------------------------------------------------
bool install_target(const std::string& state_dir, const std::string& sha256, std::string* error) {
  std::string part = part_path(state_dir, sha256), target = target_path(state_dir, sha256);
  {
    Fd fd(open(part.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.ok() || fchmod(fd.get(), 0444) != 0 || fsync(fd.get()) != 0) return *error = errno_text(part), false;
  }
  if (rename(part.c_str(), target.c_str()) != 0) return *error = errno_text("rename " + part), false;
  return fsync_dir(join(state_dir, "targets"), error) && fsync_dir(join(state_dir, "download"), error);
}

bool install_envelope(const std::string& state_dir, const std::string& envelope, bool keep_previous,
                      std::string* error) {
  FileLock swap;
  if (!swap.lock(join(state_dir, ".swap.lock"), true, error)) return false;
  std::string current = join(state_dir, "current.json"), old;
  if (!keep_previous && file_size(current) >= 0) {
    if (!read_file(current, &old, release::kMaxManifestBytes, error) ||
        !write_file_durable(join(state_dir, "previous.json"), old, error))
      return false;
  }
  return write_file_durable(current, envelope, error);
}

bool roll_back(const std::string& state_dir, int64_t version, const std::string& why, std::string* error) {
  std::string ignored;
  std::string* err = error ? error : &ignored;
  FileLock swap;
  if (!swap.lock(join(state_dir, ".swap.lock"), true, err)) return false;
  std::string envelope, sha;
  std::string unread;
  read_file(join(state_dir, "current.json"), &envelope, release::kMaxManifestBytes, &unread);
  // The bad release is named by its version and its content pack's hash, read without trusting it:
  // it only ever stops an install.
  nlohmann::json current = nlohmann::json::parse(envelope, nullptr, false);
  if (current.is_object() && current.contains("signed") && current["signed"].is_string()) {
    nlohmann::json m = nlohmann::json::parse(current["signed"].get<std::string>(), nullptr, false);
    if (m.is_object() && m.value("content_version", (int64_t)0) == version && m.contains("targets") &&
        m["targets"].is_array())
      for (const nlohmann::json& t : m["targets"])
        if (t.is_object() && t.value("name", std::string()) == release::kContentTarget)
          sha = t.value("sha256", std::string());
  }
  nlohmann::json bad = {{"version", version}, {"sha256", sha}, {"why", why}};
  if (!write_file_durable(join(state_dir, "bad.json"), bad.dump(), err)) return false;
  platform::log_event(platform::LogLevel::Warn, "update", "release_rolled_back", "", "release %lld marked bad: %s", (long long)version,
                      why.c_str());
  std::string previous = join(state_dir, "previous.json");
  if (file_size(previous) < 0) return *err = "no previous release to go back to", false;
  if (rename(previous.c_str(), join(state_dir, "current.json").c_str()) != 0)
    return *err = errno_text("rename " + previous), false;
  return fsync_dir(state_dir, err);
}

// [SECTION] Garbage collection ------------------------------------------------------------------
static void add_named(const std::string& state_dir, const char* name, const release::Trust& trust,
                      std::set<std::string>* names) {
  std::string envelope, error;
  if (!read_file(join(state_dir, name), &envelope, release::kMaxManifestBytes, &error)) return;
  release::Verified v = release::verify(envelope, trust, 0, 0);
  if (!v.ok) return;
  for (const release::Target& t : v.manifest.targets) names->insert(t.sha256);
}

static void remove_unnamed(const std::string& dir, const std::set<std::string>& names, const char* suffix) {
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  size_t suffix_len = strlen(suffix);
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    bool tmp = name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0;
    std::string sha = name;
    if (!tmp && suffix_len) {
      if (name.size() <= suffix_len || name.compare(name.size() - suffix_len, suffix_len, suffix) != 0) continue;
      sha = name.substr(0, name.size() - suffix_len);
    }
    if (tmp || !names.count(sha)) {
      if (unlink(join(dir, name).c_str()) == 0)
        platform::log(platform::LogLevel::Debug, "update", "removed %s/%s", dir.c_str(), name.c_str());
    }
  }
  closedir(d);
}

void collect_garbage(const std::string& state_dir, const release::Trust& trust, const std::set<std::string>& keep) {
  std::set<std::string> names = keep;
  add_named(state_dir, "current.json", trust, &names);
  add_named(state_dir, "previous.json", trust, &names);
  remove_unnamed(join(state_dir, "targets"), names, "");
  remove_unnamed(join(state_dir, "download"), keep, ".part");
  std::string error;
  fsync_dir(join(state_dir, "targets"), &error);
  fsync_dir(join(state_dir, "download"), &error);
}

}  // namespace update
