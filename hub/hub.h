// sportello-hub: receives mediator requests from kiosks exactly once, opens their sealed personal
// data only for logged-in mediators, and shows the fleet. The store is one SQLite file (WAL,
// synchronous=FULL: a 201 means the request is on disk); the key pair lives next to it.
//
// Index
//   [SECTION] Store: requests, kiosks, mediators, sessions
//   [SECTION] Crypto helpers (libsodium)
//   [SECTION] HTTP: kiosk API and mediator console
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hub {

// [SECTION] Crypto helpers -------------------------------------------------------------------
std::string sha256_hex(std::string_view data);
std::string random_token(size_t bytes = 32);            // URL-safe base64
std::string base64(const std::vector<unsigned char>& bytes);
bool base64_decode(std::string_view text, std::vector<unsigned char>* out);
bool valid_utf8(std::string_view s);
std::string password_hash(const std::string& password, bool cheap);  // Argon2id (crypto_pwhash_str)
bool password_verify(const std::string& hash, const std::string& password);

struct KeyPair {
  std::vector<unsigned char> public_key, secret_key;
};
// Opens a sealed box: the plaintext, or nullopt when it is not for this key.
std::optional<std::string> open_sealed(const KeyPair& keys, const std::vector<unsigned char>& sealed);

// [SECTION] Store -----------------------------------------------------------------------------
struct Request {
  std::string id, ref, kiosk, created_at, lang, topic, contact, desk_day, status, mediator;
  int64_t received_at = 0, claimed_at = 0, closed_at = 0;
  std::vector<unsigned char> sealed;    // empty once retention removed it
};

struct KioskStatus {
  std::string id, name, content_version, app_version;
  int64_t last_heartbeat = 0, queue_depth = 0, oldest_unsent_age_s = 0, permanent_errors = 0;
};

struct Filter {
  std::string lang, topic, kiosk, status;
  int64_t max_age_s = 0;                // 0 = any age
};

enum class StoreResult { Created, Replayed, Conflict, Error };

class Store {
public:
  // Opens (creating the schema if needed). Check ok()/error().
  static std::unique_ptr<Store> open(const std::string& path);
  ~Store();
  bool ok() const { return db_ != nullptr; }
  const std::string& error() const { return error_; }

  bool add_kiosk(const std::string& id, const std::string& name, const std::string& token_sha256);
  std::optional<std::string> kiosk_for_token(const std::string& token_sha256);
  bool add_mediator(const std::string& user, const std::string& hash);
  std::optional<std::string> mediator_hash(const std::string& user);

  // Stores a request once: same id + same body hash = Replayed, other body = Conflict.
  StoreResult store(const Request& r, const std::string& body_sha256, int64_t now);
  std::optional<std::string> status_of(const std::string& ref);
  bool heartbeat(const KioskStatus& k);
  std::vector<Request> list(const Filter& f, int64_t now);
  std::optional<Request> get(const std::string& id);
  // received -> in_progress by this mediator, atomically. False when someone else was first.
  bool claim(const std::string& id, const std::string& mediator, int64_t now);
  // in_progress (by this mediator) -> done | unreachable.
  bool close(const std::string& id, const std::string& mediator, const std::string& status, int64_t now);
  void audit(const std::string& user, const std::string& id, const std::string& action, int64_t now);
  int retention(int64_t older_than);    // drops sealed data of requests closed before this time
  std::vector<KioskStatus> fleet();
  int64_t count_requests();

  // Sessions of the console: cookie token hash -> user and CSRF token.
  bool add_session(const std::string& token_sha256, const std::string& user, const std::string& csrf, int64_t expires);
  std::optional<std::pair<std::string, std::string>> session(const std::string& token_sha256, int64_t now);
  void drop_session(const std::string& token_sha256);
  // Failed logins per user: at most 5 per 15 minutes.
  bool login_allowed(const std::string& user, int64_t now);
  void login_failed(const std::string& user, int64_t now);
  void login_succeeded(const std::string& user);

private:
  bool exec(const char* sql);
  sqlite3* db_ = nullptr;
  std::string error_;
  std::mutex mutex_;   // one connection, serialized: simple and, with WAL, fast enough here
};

// [SECTION] HTTP --------------------------------------------------------------------------------
struct ServeConfig {
  std::string data_dir, host = "127.0.0.1", tls_cert, tls_key;
  int port = 8443;
  int max_inflight = 256;              // beyond this, 503 + Retry-After
  int retention_days = 30;
};
int serve(const ServeConfig& config);  // runs until SIGTERM/SIGINT; returns an exit status

}  // namespace hub
