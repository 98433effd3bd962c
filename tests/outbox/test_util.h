// Helpers shared by the outbox tests: unique temp dirs, a hub key pair, a config.
#pragma once

#include "outbox.h"

#include <sodium.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace outbox_test {

// A fresh directory under $TMPDIR, removed when the owner goes out of scope.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "outbox-test-XXXXXX").string();
    path = mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const char* name) const { return (path / name).string(); }
};

struct HubKeys {
  unsigned char pk[crypto_box_PUBLICKEYBYTES];
  unsigned char sk[crypto_box_SECRETKEYBYTES];
  std::string pk_b64;
  HubKeys() {
    if (sodium_init() < 0) abort();
    crypto_box_keypair(pk, sk);
    char b64[sodium_base64_ENCODED_LEN(sizeof pk, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
    pk_b64 = b64;
  }
  // Opens a sealed blob (base64) as the hub would; "" when it cannot.
  std::string open(const std::string& sealed_b64) const {
    std::string bin(sealed_b64.size(), '\0');
    size_t len = 0;
    if (sodium_base642bin((unsigned char*)bin.data(), bin.size(), sealed_b64.data(), sealed_b64.size(), nullptr,
                          &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0 || len < crypto_box_SEALBYTES)
      return "";
    std::string plain(len - crypto_box_SEALBYTES, '\0');
    if (crypto_box_seal_open((unsigned char*)plain.data(), (const unsigned char*)bin.data(), len, pk, sk) != 0)
      return "";
    return plain;
  }
};

inline outbox::Config make_config(const TempDir& dir, const HubKeys& keys, const std::string& hub_url = "") {
  outbox::Config c;
  c.db_path = dir.file("outbox.db");
  c.hub_url = hub_url;
  c.kiosk_id = "kiosk-gr1";
  c.ref_prefix = "GR1";
  c.token = "test-token-gr1";
  c.hub_public_key_b64 = keys.pk_b64;
  return c;
}

inline void fill(outbox::RequestInput& in, const char* name, const char* phone) {
  in.lang = "ar";
  in.topic = "health";
  in.contact = "phone";
  in.name.set(name);
  in.phone.set(phone);
}

}  // namespace outbox_test

#include <chrono>
#include <functional>
#include <thread>

namespace outbox_test {

// Polls `done` every 5 ms until it holds or `limit_ms` passed. Returns the last value.
inline bool wait_until(const std::function<bool()>& done, int limit_ms = 20000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

// Test timing: short backoff, fast failure detection (never by sleeping in the test).
inline void fast_retries(outbox::Config& c) {
  c.backoff_base_ms = 10;
  c.backoff_cap_ms = 200;
  c.connect_timeout_ms = 2000;
  c.low_speed_time_s = 1;
  c.low_speed_limit_bytes = 1;
  c.transfer_timeout_ms = 10000;
  c.probe_interval_ms = 100;
}

}  // namespace outbox_test
