// Helpers shared by the updater's tests and benchmark: temp dirs, signing keys, releases made
// with release::sign, and a Config aimed at a ReleaseServer.
#pragma once

#include "release_server.h"
#include "update_internal.h"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace update_test {

// A fresh directory under $TMPDIR, removed when the owner goes out of scope.
struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "update-test-XXXXXX").string();
    path = mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return path + "/" + name; }
};

inline int64_t now_s() { return (int64_t)time(nullptr); }

// Pack bytes that differ by seed: a header line, then pseudo-random filler up to size.
inline std::string pack_bytes(size_t size, uint32_t seed) {
  std::string s(size, '\0');
  uint64_t x = 0x9e3779b97f4a7c15ull * (seed + 1);
  for (size_t i = 0; i < size; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    s[i] = (char)(x & 0xff);
  }
  std::string head = "SPORTELLO-PACK v" + std::to_string(seed) + "\n";
  s.replace(0, std::min(head.size(), size), head.substr(0, std::min(head.size(), size)));
  return s;
}

struct Release {
  int64_t version = 0;
  std::string pack, sha256, envelope;
};

// A release of `version` with one content target, signed by each key; expires in 30 days unless
// expires_in_s says otherwise.
inline Release make_release(int64_t version, std::string pack, const std::vector<const release::SecretKey*>& keys,
                            int64_t expires_in_s = 30 * 86400) {
  Release r;
  r.version = version;
  r.pack = std::move(pack);
  r.sha256 = release::sha256_hex(r.pack);
  release::Manifest m;
  m.content_version = version;
  m.created = now_s() - 3600;
  m.expires = now_s() + expires_in_s;
  if (m.expires <= m.created) m.created = m.expires - 60;
  m.targets.push_back({release::kContentTarget, r.sha256, (uint64_t)r.pack.size()});
  r.envelope = release::sign(m, keys);
  return r;
}

// Signs any inner text (a manifest release::sign would never write) into an envelope.
inline std::string envelope_of(const std::string& inner, const std::vector<const release::SecretKey*>& keys) {
  nlohmann::json env = {{"signed", inner}, {"signatures", nlohmann::json::array()}};
  for (const release::SecretKey* k : keys) {
    auto sig = k->sign(std::string(release::kSignaturePrefix) + inner);
    char b64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, sig.data(), sig.size(), sodium_base64_VARIANT_ORIGINAL);
    env["signatures"].push_back({{"keyid", k->public_key().id()}, {"sig", b64}});
  }
  return env.dump();
}

inline release::Trust trust_of(const std::vector<const release::SecretKey*>& keys, int threshold = 1) {
  release::Trust t;
  for (const release::SecretKey* k : keys) t.keys.push_back(k->public_key());
  t.threshold = threshold;
  return t;
}

inline void serve(ReleaseServer& server, const Release& r) {
  server.add_target(r.sha256, r.pack);
  server.set_manifest(r.envelope);
}

inline update::Config config_for(const ReleaseServer& server, const std::string& state_dir, const release::Trust& trust) {
  update::Config c;
  c.state_dir = state_dir;
  c.hub_url = server.url();
  c.token = "kiosk-token-test";
  c.trust = trust;
  c.connect_timeout_ms = 2000;
  c.low_speed_limit_bytes = 64;
  c.low_speed_time_s = 2;
  c.free_space_margin = 0;
  return c;
}

// Waits on a predicate signalled through a condition variable, at most limit_ms.
struct Signal {
  std::mutex mu;
  std::condition_variable cv;
  int count = 0;
  void notify() {
    std::lock_guard<std::mutex> lock(mu);
    count++;
    cv.notify_all();
  }
  bool wait_for_count(int n, int limit_ms) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::milliseconds(limit_ms), [&] { return count >= n; });
  }
};

// Polls `done` every 5 ms until it holds or limit_ms passed (for state in another process).
inline bool wait_until(const std::function<bool()>& done, int limit_ms = 20000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

inline bool exists(const std::string& path) { return update::file_size(path) >= 0; }

// Files in STATE/download ending in .part.
inline int part_files(const std::string& state_dir) {
  int n = 0;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(state_dir + "/download", ec))
    if (e.path().extension() == ".part") n++;
  return n;
}

}  // namespace update_test
