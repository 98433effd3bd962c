// sportello-hub: receives mediator requests from kiosks exactly once, opens their sealed personal
// data only for logged-in mediators, and shows the fleet. The store is one SQLite file (WAL,
// synchronous=FULL: a 201 means the request is on disk); the key pair lives next to it.
//
// Index
//   [SECTION] Crypto helpers (libsodium)
//   [SECTION] Store: requests, kiosks, mediators, sessions
//   [SECTION] Store: admins, content releases, rollout, fleet updates (store_release.cpp)
//   [SECTION] Store: console accounts, sessions, login throttling, audit reading (store_auth.cpp)
//   [SECTION] HTTP: kiosk API, content releases, mediator and admin consoles
//   [SECTION] Passwords and account subcommands (passwords.cpp, users_cli.cpp)
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
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

// Accounts live in two realms, each with its own login page and cookie: "console" (table
// mediators; role "mediator" or "council") and "admin" (table admins; role "admin").
struct Account {
  std::string user, role, hash;
  bool disabled = false;
  int64_t sessions = 0;                 // open sessions (accounts() only)
};

struct ConsoleSession {
  std::string user, role, csrf;
};

// Failed logins counted over a sliding window: per (user, address), per address, per user.
struct LoginLimits {
  int per_pair = 5, per_address = 20, per_user = 20;
  int64_t window_s = 15 * 60;
};

// What a reservation found: the attempt's id (0 = throttled) and the failures before it.
struct LoginReservation {
  int64_t attempt = 0;
  int pair_failures = 0, user_failures = 0, address_failures = 0;
};

struct AuditRow {
  int64_t at = 0;
  std::string user, subject, action;
};

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

  // [SECTION] Store: console accounts, sessions, login throttling, audit reading (store_auth.cpp)
  // Checks the limits and, when they allow it, records the attempt as a failure, in one
  // transaction: parallel attempts can never all pass the check before any is counted.
  LoginReservation login_reserve(const std::string& realm, const std::string& user, const std::string& address,
                                 int64_t now, const LoginLimits& limits);
  void login_cancel(int64_t attempt);   // the check did not run (no hashing slot): not a failure
  // A correct password: this (user, address)'s failures are forgotten.
  void login_ok(const std::string& realm, const std::string& user, const std::string& address);
  std::optional<Account> account(const std::string& realm, const std::string& user);
  std::vector<Account> accounts(const std::string& realm);
  // Adds a new account (false when the name is taken). Role: mediator | council in "console", admin in "admin".
  bool add_account(const std::string& realm, const std::string& user, const std::string& role, const std::string& hash);
  // A new password ends every session of the account.
  bool set_password(const std::string& realm, const std::string& user, const std::string& hash);
  // Replaces the hash only if it is still `old` (a rehash after login; sessions stay).
  bool upgrade_hash(const std::string& realm, const std::string& user, const std::string& old_hash,
                    const std::string& new_hash);
  // Disabling ends every session (and an admin's API token); false when there is no such account.
  bool set_disabled(const std::string& realm, const std::string& user, bool disabled);
  int end_sessions(const std::string& realm, const std::string& user);  // how many were ended
  bool open_session(const std::string& token_sha256, const std::string& user, const std::string& role,
                    const std::string& csrf, int64_t now, int64_t max_age_s);
  // The session if it is alive (not idle past idle_s, not past its end, account enabled); its
  // idle clock restarts. Sessions of other realms are not found.
  std::optional<ConsoleSession> touch_session(const std::string& realm, const std::string& token_sha256, int64_t now,
                                              int64_t idle_s);
  void end_session(const std::string& token_sha256);
  int expire_sessions(int64_t now, int64_t idle_s);  // deletes dead sessions; how many
  std::vector<AuditRow> audit_rows(int64_t limit);   // newest first
  // How many requests per value of one column ("status", "lang", "topic" or "kiosk"): no personal data.
  std::vector<std::pair<std::string, int64_t>> request_counts(const std::string& column);

private:
  bool exec(const char* sql);
  bool migrate();                       // columns added since the first schema
  bool migrate_auth();                  // accounts' roles, disabled flags, session clocks (store_auth.cpp)
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
  int max_password_hashes = 4;         // concurrent Argon2id computations (64 MiB each); beyond: 503
  bool tls_proxy = false;              // behind a proxy that terminates TLS: cookies Secure and __Host-
};
int serve(const ServeConfig& config);
// A kiosk group's name: [a-z0-9][a-z0-9_-]*, at most 32 characters.
bool valid_group(const std::string& group);  // runs until SIGTERM/SIGINT; returns an exit status

// [SECTION] Passwords and account subcommands ---------------------------------------------------
// Why a new password is refused (Italian, for the console and the CLI), or "" when it is fine:
// at least 12 characters, not one of the most common passwords, not the user's name.
std::string password_problem(const std::string& password, const std::string& user);
// Argon2id with the hub's interactive parameters, or a hash made with other parameters?
bool password_needs_rehash(const std::string& hash);
// sportello-hub's account subcommands (add-council, passwd, disable-user, enable-user,
// revoke-sessions, audit-csv): the exit status, or -1 when `cmd` is not one of them.
int account_command(const std::string& cmd, const std::string& data_dir,
                    const std::map<std::string, std::string>& options);

}  // namespace hub
