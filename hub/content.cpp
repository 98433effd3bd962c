// [SECTION] Content for the kiosks: the signed manifest of the release meant for a kiosk's group
// (ETag / If-None-Match, so an unchanged poll costs a few hundred bytes) and the target files,
// streamed from disk with Range for resume. Target files are stored under their SHA-256, written
// only by TargetUpload: a temporary file, hashed as it arrives, renamed into place when it matches.
#include "server_internal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstring>
#include <filesystem>

namespace hub {

std::string targets_dir(const Server& s) { return s.config.data_dir + "/targets"; }

// [SECTION] TargetUpload ------------------------------------------------------------------------
TargetUpload::TargetUpload(Server& s, std::string expected_sha256) : s_(s), expected_(std::move(expected_sha256)) {
  crypto_hash_sha256_init(&state_);
  std::error_code ec;
  std::filesystem::create_directories(targets_dir(s_), ec);
  tmp_path_ = targets_dir(s_) + "/.upload-" + random_token(12);
  fd_ = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
}

TargetUpload::~TargetUpload() {
  if (fd_ >= 0) ::close(fd_);
  if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());
}

bool TargetUpload::write(const char* data, size_t n) {
  if (fd_ < 0) return false;
  if (size_ + n > s_.max_target_bytes) {
    over_cap_ = true;
    return false;
  }
  crypto_hash_sha256_update(&state_, (const unsigned char*)data, n);
  size_ += n;
  while (n > 0) {
    ssize_t w = ::write(fd_, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= (size_t)w;
  }
  return true;
}

std::string TargetUpload::finish() {
  if (fd_ < 0) return "storage";
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state_, digest);
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  actual_ = hex;
  if (size_ == 0) return "empty_target";
  if (expected_.empty()) expected_ = actual_;
  if (actual_ != expected_) return "hash_mismatch";
  // Durable before it is visible: file fsync, rename, directory fsync.
  bool ok = ::fsync(fd_) == 0;
  ::close(fd_);
  fd_ = -1;
  std::string final_path = targets_dir(s_) + "/" + expected_;
  ok = ok && ::rename(tmp_path_.c_str(), final_path.c_str()) == 0;
  if (!ok) return "storage";
  tmp_path_.clear();
  int dir = ::open(targets_dir(s_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

// [SECTION] Kiosk routes --------------------------------------------------------------------------
static void get_manifest(Server& s, const httplib::Request& req, httplib::Response& res) {
  std::string kiosk = authenticate_kiosk(s, req, res);
  if (kiosk.empty()) return;
  auto group = s.store->kiosk_group(kiosk);
  auto offer = group ? s.store->offer_for_group(*group) : std::nullopt;
  if (!offer) return error_reply(res, 404, "no_release");
  std::string etag = "\"" + offer->sha256 + "\"";
  res.set_header("ETag", etag);
  if (req.get_header_value("If-None-Match") == etag) {
    res.status = 304;  // no body, no content type: an unchanged poll stays small
    return;
  }
  res.status = 200;
  res.set_content(offer->envelope, "application/json");
}

// A single "bytes=N-" or "bytes=N-M" within a file of `size` bytes; other forms are refused
// (416) because httplib would apply them unclamped.
static bool acceptable_range(const std::string& header, uint64_t size) {
  if (header.rfind("bytes=", 0) != 0) return false;
  std::string spec = header.substr(6);
  size_t dash = spec.find('-');
  if (dash == std::string::npos || dash == 0 || dash > 19 || spec.size() - dash - 1 > 19) return false;
  std::string first = spec.substr(0, dash), last = spec.substr(dash + 1);
  if (first.find_first_not_of("0123456789") != std::string::npos) return false;
  if (last.find_first_not_of("0123456789") != std::string::npos) return false;
  uint64_t from = std::strtoull(first.c_str(), nullptr, 10);
  if (from >= size) return false;
  if (last.empty()) return true;
  uint64_t to = std::strtoull(last.c_str(), nullptr, 10);
  return to >= from && to < size;
}

static void get_target(Server& s, const httplib::Request& req, httplib::Response& res) {
  if (authenticate_kiosk(s, req, res).empty()) return;
  std::string name = req.matches[1];
  if (!release::valid_sha256_hex(name)) return error_reply(res, 400, "invalid_target_name");
  std::string path = targets_dir(s) + "/" + name;
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return error_reply(res, 404, "no_target");
  uint64_t size = (uint64_t)st.st_size;
  if (req.has_header("Range") && !acceptable_range(req.get_header_value("Range"), size)) {
    res.status = 416;
    res.set_header("Content-Range", "bytes */" + std::to_string(size));
    return;
  }
  // Leaving the status unset lets httplib answer 206 with Content-Range for a range, 200 otherwise.
  auto fd = std::make_shared<int>(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (*fd < 0) return error_reply(res, 404, "no_target");
  res.set_header("ETag", "\"" + name + "\"");
  res.set_content_provider(
      (size_t)size, "application/octet-stream",
      [fd](size_t offset, size_t length, httplib::DataSink& sink) {
        char buf[64 * 1024];
        size_t want = std::min(length, sizeof buf);
        ssize_t n = ::pread(*fd, buf, want, (off_t)offset);
        if (n <= 0) return false;
        return sink.write(buf, (size_t)n);
      },
      [fd](bool) { ::close(*fd); });
}

void install_content(httplib::Server& http, Server& s) {
  http.Get("/api/v1/content/manifest", guarded(s, get_manifest));
  http.Get(R"(/api/v1/content/targets/(.*))", guarded(s, get_target));
}

}  // namespace hub
