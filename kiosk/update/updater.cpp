// The Updater: one poll (manifest, verify, download with cap and resume, verify, install) and the
// thread that runs it on a jittered schedule. libcurl lives here and only here.
//
// Index
//   [SECTION] libcurl owners and options
//   [SECTION] Manifest
//   [SECTION] Target downloads
//   [SECTION] One poll
//   [SECTION] Updater thread
//
// Every refusal keeps the installed content and says why in Status (last_error: one line for
// people; last_refusal: a code for the heartbeat and the fleet page).
#include "update_internal.h"

#include "platform.h"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <pthread.h>
#include <random>
#include <sched.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

namespace update {

// [SECTION] libcurl owners and options ----------------------------------------------------------
namespace {

struct SList {  // owner of a curl_slist
  curl_slist* list = nullptr;
  SList() = default;
  ~SList() { curl_slist_free_all(list); }
  SList(const SList&) = delete;
  SList& operator=(const SList&) = delete;
  void add(const std::string& line) {
    if (curl_slist* next = curl_slist_append(list, line.c_str())) list = next;
  }
};

struct Easy {  // owner of a CURL easy handle
  CURL* h = nullptr;
  Easy() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    h = curl_easy_init();
  }
  ~Easy() { curl_easy_cleanup(h); }
  Easy(const Easy&) = delete;
  Easy& operator=(const Easy&) = delete;
};

// The flag stop() sets; libcurl asks often (also while connecting), so a stop is prompt.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const std::atomic<bool>* abort = (const std::atomic<bool>*)user;
  return abort && abort->load() ? 1 : 0;
}

bool loopback_http(const std::string& url) { return url.rfind("http://", 0) == 0; }

std::string trimmed(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// Options of every transfer. `hub`: the request goes to the hub (pin, https unless loopback);
// otherwise to a plain mirror, where http is fine because trust rests on the signature alone.
void set_common(CURL* c, const Config& cfg, bool hub, const std::atomic<bool>* abort) {
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);                  // we are a thread: no SIGALRM for DNS timeouts
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, cfg.connect_timeout_ms);  // a dead route fails fast
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, cfg.low_speed_limit_bytes);  // a server dripping bytes ...
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, cfg.low_speed_time_s);       // ... is abandoned; resumed next poll
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);            // always, even for a mirror: no one else's bytes
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!cfg.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, cfg.ca_file.c_str());  // private hub CA
  if (hub && !cfg.pinned_public_key.empty())                  // the pin is the hub's, not a mirror's
    curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, cfg.pinned_public_key.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);            // a redirect is a captive portal, not the hub
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, !hub ? "http,https" : loopback_http(cfg.hub_url) ? "http" : "https");
  curl_easy_setopt(c, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");  // loopback never via a proxy
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "sportello-kiosk-updater");
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void*)abort);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
}

std::string curl_error(CURLcode rc, const char* errbuf) {
  std::string text = curl_easy_strerror(rc);
  if (errbuf[0]) text += std::string(": ") + errbuf;
  return text;
}

// [SECTION] Manifest ----------------------------------------------------------------------------
struct ManifestFetch {
  bool transport_ok = false;
  bool too_large = false;
  long status = 0;
  std::string body, etag, error;
  WireBytes wire;
};

size_t on_manifest_body(char* data, size_t size, size_t n, void* user) {
  ManifestFetch* f = (ManifestFetch*)user;
  size_t bytes = size * n;
  if (f->body.size() + bytes > release::kMaxManifestBytes) {  // refused unread: endless data
    f->too_large = true;
    return 0;
  }
  f->body.append(data, bytes);
  return bytes;
}

size_t on_manifest_header(char* data, size_t size, size_t n, void* user) {
  ManifestFetch* f = (ManifestFetch*)user;
  size_t bytes = size * n;
  static const char name[] = "etag:";
  if (bytes > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0) {
    std::string value(data + sizeof name - 1, bytes - (sizeof name - 1));
    size_t a = value.find_first_not_of(" \t"), b = value.find_last_not_of(" \t\r\n");
    f->etag = a == std::string::npos ? "" : value.substr(a, b - a + 1);
  }
  return bytes;
}

}  // namespace

static ManifestFetch fetch_manifest(const Config& cfg, const std::string& etag, const std::atomic<bool>* abort) {
  ManifestFetch f;
  Easy easy;
  if (!easy.h) return f.error = "curl_easy_init failed", f;
  CURL* c = easy.h;
  set_common(c, cfg, true, abort);
  std::string url = trimmed(cfg.hub_url) + "/api/v1/content/manifest";
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);            // a manifest is small; a trickle is an attack
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)release::kMaxManifestBytes);
  SList headers;
  headers.add("Authorization: Bearer " + cfg.token);
  if (!etag.empty()) headers.add("If-None-Match: " + etag);   // unchanged: a 304 of a few hundred bytes
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.list);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_manifest_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &f);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_manifest_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &f);
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(c);
  long header = 0, request = 0;
  curl_off_t down = 0;
  curl_easy_getinfo(c, CURLINFO_HEADER_SIZE, &header);
  curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &request);
  curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &down);
  f.wire = {(uint64_t)request, (uint64_t)header + (uint64_t)down};
  if (rc == CURLE_FILESIZE_EXCEEDED) f.too_large = true;
  if (rc != CURLE_OK) {
    f.error = f.too_large ? "the manifest is larger than " + std::to_string(release::kMaxManifestBytes) + " bytes"
                          : curl_error(rc, errbuf);
    return f;
  }
  f.transport_ok = true;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f.status);
  return f;
}

// [SECTION] Target downloads --------------------------------------------------------------------
namespace {

struct Download {
  CURL* curl = nullptr;
  int fd = -1;
  uint64_t offset = 0;                 // bytes already in the .part when the transfer started
  uint64_t written = 0;                // bytes written by this transfer
  uint64_t size = 0;                   // the manifest's size: the hard cap
  bool started = false, too_large = false, refused_status = false;
  int write_errno = 0;
  long status = 0;
  std::function<void(uint64_t)> progress;
};

size_t on_target_body(char* data, size_t size, size_t n, void* user) {
  Download* d = (Download*)user;
  size_t bytes = size * n;
  if (!d->started) {
    d->started = true;
    curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &d->status);
    if (d->status == 200 && d->offset > 0) {   // the server ignored the Range: start over
      if (ftruncate(d->fd, 0) != 0 || lseek(d->fd, 0, SEEK_SET) != 0) return d->write_errno = errno, 0;
      d->offset = 0;
    } else if (d->status != 200 && d->status != 206) {
      d->refused_status = true;
      return 0;
    }
  }
  if (d->offset + d->written + bytes > d->size) {   // more than the manifest says: endless data
    d->too_large = true;
    return 0;
  }
  const char* at = data;
  size_t left = bytes;
  while (left > 0) {
    ssize_t w = write(d->fd, at, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return d->write_errno = w < 0 ? errno : ENOSPC, 0;
    at += w;
    left -= (size_t)w;
  }
  d->written += bytes;
  if (d->progress) d->progress(d->offset + d->written);
  return bytes;
}

}  // namespace

// One refusal or failure of a poll: the code for machines, the line for people.
struct Outcome {
  bool ok = true;
  std::string code, error;
  static Outcome fail(std::string code, std::string error) { return {false, std::move(code), std::move(error)}; }
};

static bool enough_space(const std::string& dir, uint64_t need, std::string* why) {
  struct statvfs fs;
  if (statvfs(dir.c_str(), &fs) != 0) return true;   // cannot tell: the write will say
  uint64_t avail = (uint64_t)fs.f_bavail * fs.f_frsize;
  if (avail >= need) return true;
  *why = "not enough free space for the download: " + std::to_string(need >> 10) + " KiB needed, " +
         std::to_string(avail >> 10) + " KiB free";
  return false;
}

// Fetches one target into download/<sha256>.part (resuming it), verifies it and moves it into
// targets/. The .part survives transport failures (resumed next poll) and is removed when its
// bytes are wrong, too many, or the disk is full.
static Outcome fetch_target(const Config& cfg, const release::Target& t, const std::atomic<bool>* abort,
                     const std::function<void(uint64_t)>& progress) {
  const std::string& dir = cfg.state_dir;
  std::string part = part_path(dir, t.sha256), error;
  int64_t have = file_size(part);
  if (have > (int64_t)t.size) unlink(part.c_str()), have = -1;
  if (have < (int64_t)t.size) {
    if (!enough_space(join(dir, "download"), t.size - (uint64_t)std::max<int64_t>(have, 0) + cfg.free_space_margin,
                      &error)) {
      unlink(part.c_str());
      return Outcome::fail("disk_full", error);
    }
    Fd fd(open(part.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!fd.ok()) return Outcome::fail("download", "cannot write " + part + ": " + strerror(errno));
    Easy easy;
    if (!easy.h) return Outcome::fail("download", "curl_easy_init failed");
    CURL* c = easy.h;
    bool mirror = !cfg.targets_url.empty();
    set_common(c, cfg, !mirror, abort);
    std::string url = (mirror ? trimmed(cfg.targets_url) : trimmed(cfg.hub_url) + "/api/v1/content/targets") + "/" + t.sha256;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    SList headers;
    if (!mirror) headers.add("Authorization: Bearer " + cfg.token);   // never to a mirror
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.list);
    Download d;
    d.curl = c;
    d.fd = fd.get();
    d.offset = (uint64_t)std::max<int64_t>(have, 0);
    d.size = t.size;
    d.progress = progress;
    // Resume from what the .part holds. CURLOPT_RANGE rather than RESUME_FROM: a server that
    // ignores the range and answers 200 is handled here (start over) instead of failing.
    std::string range = std::to_string(d.offset) + "-";
    if (d.offset > 0) curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t.size);   // a declared oversize fails at once
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_target_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
    char errbuf[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(c);
    if (!d.started) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &d.status);
    std::string what = "target " + t.name + " (" + t.sha256.substr(0, 12) + "): ";
    if (d.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
      unlink(part.c_str());
      return Outcome::fail("too_large", what + "the server sent more than the manifest's " + std::to_string(t.size) + " bytes");
    }
    if (d.write_errno) {
      unlink(part.c_str());
      return Outcome::fail(d.write_errno == ENOSPC ? "disk_full" : "download",
                           what + "cannot write the download: " + strerror(d.write_errno));
    }
    if (abort && abort->load()) return Outcome::fail("download", what + "stopped");
    if (d.refused_status || (rc == CURLE_OK && d.status != 200 && d.status != 206)) {
      if (d.status == 416) unlink(part.c_str());   // our .part no longer fits what the server has
      return Outcome::fail("http_" + std::to_string(d.status), what + "HTTP " + std::to_string(d.status));
    }
    if (rc != CURLE_OK)   // cut, stalled or too slow: the .part stays and the next poll resumes it
      return Outcome::fail("download", what + curl_error(rc, errbuf) + " (resumes from " +
                                           std::to_string(d.offset + d.written) + " bytes)");
    if (fsync(fd.get()) != 0) {
      int e = errno;
      unlink(part.c_str());
      return Outcome::fail(e == ENOSPC ? "disk_full" : "download", what + "fsync: " + strerror(e));
    }
  }
  if (!release::file_matches(part, t, &error)) {   // a captive portal's page, another pack, bit rot
    unlink(part.c_str());
    return Outcome::fail("hash_mismatch", "target " + t.name + ": " + error);
  }
  if (!install_target(dir, t.sha256, &error)) return Outcome::fail("install", error);
  return {};
}

// [SECTION] One poll ----------------------------------------------------------------------------
struct PollContext {
  const Config& cfg;
  const std::atomic<bool>* abort;
  Status status;
  std::function<void(const Status&)> publish;   // progress for Updater::status(); may be empty
  WireBytes* wire = nullptr;                    // bytes of the manifest exchange (benchmark)
  void set(const std::function<void(Status&)>& change) {
    change(status);
    if (publish) publish(status);
  }
};

static Status finish(PollContext& p, const Outcome& o) {
  p.status.last_check = cfg_wall_s(p.cfg);
  p.status.downloaded = p.status.total = 0;
  if (o.ok) {
    p.status.state = "idle";
    p.status.last_error.clear();
    p.status.last_refusal.clear();
  } else {
    p.status.state = "error";
    p.status.last_error = o.error;
    p.status.last_refusal = o.code;
    platform::log_event(platform::LogLevel::Warn, "update", "update_refused", "", "content update refused (%s): %s", o.code.c_str(),
                        o.error.c_str());
  }
  if (p.publish) p.publish(p.status);
  return p.status;
}

// Gets the envelope the hub offers: a 200's body, or on a 304 the one we kept with its ETag.
static Outcome get_envelope(PollContext& p, std::string* envelope, std::string* etag) {
  const std::string offered = join(p.cfg.state_dir, "download/offered.json");
  const std::string offered_etag = join(p.cfg.state_dir, "download/offered.etag");
  std::string kept, kept_etag, error;
  bool have_kept = read_file(offered, &kept, release::kMaxManifestBytes, &error) &&
                   read_file(offered_etag, &kept_etag, 1024, &error) && !kept_etag.empty();
  ManifestFetch f = fetch_manifest(p.cfg, have_kept ? kept_etag : "", p.abort);
  if (p.wire) *p.wire = f.wire;
  if (f.too_large) return Outcome::fail("too_large", f.error);
  if (!f.transport_ok) return Outcome::fail("download", "manifest: " + f.error);
  if (f.status == 304 && have_kept) {
    *envelope = kept;
    etag->clear();   // nothing new to keep
    return {};
  }
  if (f.status != 200) return Outcome::fail("http_" + std::to_string(f.status), "manifest: HTTP " + std::to_string(f.status));
  *envelope = std::move(f.body);
  *etag = f.etag;
  return {};
}

// Keeps the verified envelope and its ETag, so the next unchanged poll costs a 304.
static void keep_offered(const Config& cfg, const std::string& envelope, const std::string& etag) {
  std::string error;
  const std::string etag_path = join(cfg.state_dir, "download/offered.etag");
  unlink(etag_path.c_str());   // never an ETag beside another envelope
  if (etag.empty() || !write_file_durable(join(cfg.state_dir, "download/offered.json"), envelope, &error) ||
      !write_file_durable(etag_path, etag, &error))
    if (!error.empty()) platform::log(platform::LogLevel::Warn, "update", "cannot keep the manifest: %s", error.c_str());
}

static Outcome poll_locked(PollContext& p, std::set<std::string>* keep) {
  const Config& cfg = p.cfg;
  Installed installed = select_installed(cfg.state_dir, cfg.trust);
  int64_t floor = std::max(installed.ok ? installed.version : 0, cfg.base_version);
  p.set([&](Status& s) {
    s.state = "checking";
    s.installed_version = floor;
  });
  std::string envelope, etag;
  Outcome o = get_envelope(p, &envelope, &etag);
  if (!o.ok) return o;
  release::Verified v = release::verify(envelope, cfg.trust, cfg_wall_s(cfg), 0);
  if (!v.ok) return Outcome::fail(release::refusal_code(v.refusal), "manifest refused: " + v.error);
  if (!etag.empty()) keep_offered(cfg, envelope, etag);
  const release::Manifest& m = v.manifest;
  p.set([&](Status& s) { s.offered_version = m.content_version; });
  const release::Target* pack = m.find(release::kContentTarget);
  for (const release::Target& t : m.targets) keep->insert(t.sha256);
  if (installed.ok && !installed.from_previous && m.content_version == installed.version && pack &&
      pack->sha256 == installed.sha256)
    return {};   // up to date
  // The hub offering the very version of the operator's pack (--content) is not a rollback: the
  // kiosk runs that version already, and there is nothing newer to take.
  if (m.content_version == cfg.base_version && m.content_version > (installed.ok ? installed.version : 0)) return {};
  if (m.content_version <= floor)
    return Outcome::fail(release::refusal_code(release::Refusal::Rollback),
                         "release " + std::to_string(m.content_version) + " is not newer than " + std::to_string(floor));
  BadRelease bad;
  if (read_bad(cfg.state_dir, &bad) && bad.version == m.content_version)
    return Outcome::fail("known_bad", "release " + std::to_string(bad.version) + " failed on this kiosk before: " + bad.why);
  for (const release::Target& t : m.targets) {
    std::string path = target_path(cfg.state_dir, t.sha256), error;
    if (file_size(path) >= 0) {
      if (release::file_matches(path, t, &error)) continue;
      chmod(path.c_str(), 0644);
      unlink(path.c_str());   // bit rot or a half-copied file: fetch it again
    }
    p.set([&](Status& s) {
      s.state = "downloading";
      s.downloaded = (uint64_t)std::max<int64_t>(file_size(part_path(cfg.state_dir, t.sha256)), 0);
      s.total = t.size;
    });
    uint64_t last = 0;
    o = fetch_target(cfg, t, p.abort, [&](uint64_t done) {
      if (done - last < (64u << 10) && done != t.size) return;   // publish every 64 KiB
      last = done;
      p.set([&](Status& s) { s.downloaded = done; });
    });
    if (!o.ok) return o;
  }
  if (p.abort && p.abort->load()) return Outcome::fail("download", "stopped");
  p.set([](Status& s) { s.state = "installing"; });
  std::string error;
  if (!install_envelope(cfg.state_dir, envelope, installed.ok && installed.from_previous, &error))
    return Outcome::fail("install", error);
  platform::log_event(platform::LogLevel::Info, "update", "update_installed", "", "installed content release %lld",
                      (long long)m.content_version);
  p.set([&](Status& s) {
    s.installed_version = m.content_version;
    s.last_install = cfg_wall_s(cfg);
  });
  return {};
}

Status poll_once(const Config& cfg, const std::atomic<bool>* abort, Status start,
                 const std::function<void(const Status&)>& publish, WireBytes* wire) {
  PollContext p{cfg, abort, std::move(start), publish, wire};
  std::string error;
  if (!platform::hub_url_allowed(cfg.hub_url, &error)) return finish(p, Outcome::fail("config", error));
  if (!ensure_layout(cfg.state_dir, &error)) return finish(p, Outcome::fail("config", error));
  FileLock lock;
  if (!lock.lock(join(cfg.state_dir, ".lock"), false, &error)) return finish(p, Outcome::fail("locked", error));
  std::set<std::string> keep;
  Outcome o = poll_locked(p, &keep);
  collect_garbage(cfg.state_dir, cfg.trust, keep);
  return finish(p, o);
}

Status check_once(const Config& config, const std::atomic<bool>* abort) {
  return poll_once(config, abort, Status{}, nullptr, nullptr);
}

// [SECTION] Updater thread ----------------------------------------------------------------------
struct Updater::Impl {
  Config config;
  std::thread thread;
  mutable std::mutex mu;
  std::condition_variable cv;
  bool woken = false;                  // guarded by mu
  std::atomic<bool> stopping{false};
  Status status;                       // guarded by mu
};

// interval * (1 +/- jitter), so a fleet started together spreads out.
static uint64_t jittered(uint64_t interval_ms, double jitter, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(-jitter, jitter);
  double ms = (double)interval_ms * (1.0 + u(rng));
  return ms < 1 ? 1 : (uint64_t)ms;
}

// The updater works only with what the screen leaves: on a 2-core kiosk, hashing and writing a
// 50 MB pack at normal priority takes CPU from the renderer's threads and drops frames while a
// visitor scrolls. SCHED_IDLE (sched(7)) runs this thread only when a CPU has nothing else to do,
// and the idle I/O class (ioprio_set(2)) does the same for its disk writes. A visitor scrolling
// for longer than the low-speed limit can stall a download; it is resumed at the next poll.
static void lower_priority() {
  sched_param param{};
  if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &param) != 0)
    platform::log(platform::LogLevel::Warn, "update", "cannot run the updater at idle priority");
  const int kIoprioClassIdle = 3, kIoprioClassShift = 13, kIoprioWhoProcess = 1;  // linux/ioprio.h
  syscall(SYS_ioprio_set, kIoprioWhoProcess, 0 /* this thread */, kIoprioClassIdle << kIoprioClassShift);
}

static void run(Updater::Impl& u) {
  lower_priority();
  std::mt19937_64 rng(std::random_device{}());
  // The first poll soon after start (a booting fleet still spread over a few seconds).
  uint64_t wait_ms = std::min<uint64_t>(jittered(u.config.poll_interval_ms, u.config.poll_jitter, rng),
                                        std::uniform_int_distribution<uint64_t>(500, 3000)(rng));
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(u.mu);
      u.cv.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] { return u.woken || u.stopping.load(); });
      u.woken = false;
      if (u.stopping.load()) return;
    }
    Status start = u.status;   // only this thread writes it; reading without the lock is safe here
    poll_once(u.config, &u.stopping, start, [&u](const Status& s) {
      std::lock_guard<std::mutex> lock(u.mu);
      u.status = s;
    }, nullptr);
    wait_ms = jittered(u.config.poll_interval_ms, u.config.poll_jitter, rng);
  }
}

Updater::Updater(Config config) : impl_(std::make_unique<Impl>()) { impl_->config = std::move(config); }

Updater::~Updater() { stop(); }

bool Updater::start(std::string* error) {
  Impl& u = *impl_;
  std::string why;
  FileLock probe;
  if (u.thread.joinable()) why = "updater already running";
  else if (platform::hub_url_allowed(u.config.hub_url, &why) && ensure_layout(u.config.state_dir, &why))
    probe.lock(join(u.config.state_dir, ".lock"), false, &why);   // another updater here: refuse
  if (!why.empty()) {
    if (error) *error = why;
    return false;
  }
  Installed installed = select_installed(u.config.state_dir, u.config.trust);
  u.status.installed_version = std::max(installed.ok ? installed.version : 0, u.config.base_version);
  u.stopping.store(false);
  u.thread = std::thread([&u] { run(u); });
  return true;
}

void Updater::check_now() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->woken = true;
  impl_->cv.notify_all();
}

void Updater::stop() {
  Impl& u = *impl_;
  {
    std::lock_guard<std::mutex> lock(u.mu);
    u.stopping.store(true);
    u.cv.notify_all();
  }
  if (u.thread.joinable()) u.thread.join();
}

Status Updater::status() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->status;
}

}  // namespace update
