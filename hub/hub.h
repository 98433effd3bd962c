// sportello-hub: receives mediator requests from kiosks exactly once, opens their sealed personal
// data only for logged-in mediators, and shows the fleet. The store is one SQLite file (WAL,
// synchronous=FULL: a 201 means the request is on disk); the key pair lives next to it.
//
// Index
//   [SECTION] Crypto helpers (libsodium)
//   [SECTION] Store: requests, kiosks, mediators, sessions
//   [SECTION] Store: admins, content releases, rollout, fleet updates (store_release.cpp)
//   [SECTION] HTTP: kiosk API, content releases, mediator and admin consoles
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
  std::string group = "default";        // staged rollout: which releases reach this kiosk
  int64_t running_version = 0;          // content version it reported running (0 = unknown)
  std::string update_json;              // its updater's last status (validated, re-serialized), or ""
};

// A published content release and to whom it is rolled out.
struct Release {
  int64_t version = 0, created_at = 0;
  std::string envelope, sha256, published_by;
  bool all = false;                     // rolled out to every kiosk
  std::vector<std::string> groups;      // rolled out to these groups
  int64_t all_at = 0;                   // when it was rolled out to all (0 = not yet)
};

// The release meant for one kiosk: the newest rolled out to its group or to all, and since when.
struct Offer {
  int64_t version = 0, since = 0;
  std::string envelope, sha256;
};

enum class PublishResult { Created, Rollback, Error };

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

  bool add_kiosk(const std::string& id, const std::string& name, const std::string& token_sha256,
                 const std::string& group = "default");
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

  // Sessions of the consoles: cookie token hash -> user and CSRF token. A session has a role
  // ("mediator" or "admin") and opens only the pages of its role.
  bool add_session(const std::string& token_sha256, const std::string& user, const std::string& csrf, int64_t expires,
                   const std::string& role = "mediator");
  std::optional<std::pair<std::string, std::string>> session(const std::string& token_sha256, int64_t now,
                                                             const std::string& role = "mediator");
  void drop_session(const std::string& token_sha256);
  // Failed logins per user of a role: at most 5 per 15 minutes.
  bool login_allowed(const std::string& user, int64_t now, const std::string& role = "mediator");
  void login_failed(const std::string& user, int64_t now, const std::string& role = "mediator");
  void login_succeeded(const std::string& user, const std::string& role = "mediator");

  // [SECTION] Store: admins, content releases, rollout, fleet updates (store_release.cpp)
  // Adds an admin or resets its password and API token (both replaced).
  bool add_admin(const std::string& user, const std::string& hash, const std::string& token_sha256);
  std::optional<std::string> admin_hash(const std::string& user);
  std::optional<std::string> admin_for_token(const std::string& token_sha256);
  // Stores a release if its version is above every release ever published (one transaction).
  PublishResult add_release(const Release& r);
  int64_t newest_version();             // 0 when nothing was published
  std::vector<Release> releases();      // newest first, with their rollout
  std::optional<Release> release(int64_t version);
  // Widens a release's rollout (groups are added; all stays all). False when there is no such release.
  bool roll_out(int64_t version, const std::vector<std::string>& groups, bool all, int64_t now);
  std::optional<Offer> offer_for_group(const std::string& group);
  std::optional<std::string> kiosk_group(const std::string& kiosk);
  // The updater part of a heartbeat (already validated).
  bool kiosk_update(const std::string& kiosk, int64_t running_version, const std::string& update_json);

private:
  bool exec(const char* sql);
  bool migrate();                       // columns added since the first schema
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
  std::vector<std::string> release_keys;  // base64 Ed25519 public keys a release must be signed by
  int release_threshold = 1;           // how many distinct ones
  int64_t max_target_mb = 512;         // largest target file an admin may upload
  int max_connections = 1024;          // open connections; beyond, 503 + Retry-After, then refused
  int workers = 32;                    // threads running handlers (idle connections hold none)
  int request_timeout_s = 10;          // a request's head and body must arrive within this
  std::string trust_proxy;             // X-Forwarded-For is believed only from this address
};
int serve(const ServeConfig& config);
// A kiosk group's name: [a-z0-9][a-z0-9_-]*, at most 32 characters.
bool valid_group(const std::string& group);  // runs until SIGTERM/SIGINT; returns an exit status

}  // namespace hub
