// sportello-hub: receives mediator requests from kiosks exactly once, opens their sealed personal
// data only for the mediator who claimed the request, and shows the fleet. The store is one SQLite file (WAL,
// synchronous=FULL: a 201 means the request is on disk), or a PostgreSQL database (--database URL,
// hub/db.h); the key pair lives in the data directory.
//
// Index
//   [SECTION] Crypto helpers (libsodium)
//   [SECTION] Store: requests, kiosks, mediators, retention
//   [SECTION] Store: admins, content releases, rollout, fleet updates (store_release.cpp)
//   [SECTION] Store: privacy, kiosk binding, the audit log (store_privacy.cpp)
//   [SECTION] Store: console accounts, sessions, login throttling, counts (store_auth.cpp)
//   [SECTION] HTTP: kiosk API, content releases, mediator and admin consoles
//   [SECTION] Data-protection subcommands (cli_data.cpp)
//   [SECTION] Passwords and account subcommands (passwords.cpp, users_cli.cpp)
//   [SECTION] Mediator profiles and notifications (profiles*.cpp, notify*.cpp, smtp.cpp; store_notify.cpp)
#pragma once

#include "db.h"

#include <cstdint>
#include <cstdio>
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

// Secret key bytes in libsodium's guarded memory: sodium_malloc'd (a guard page after the bytes,
// a canary before, locked out of swap with sodium_mlock), wiped and freed by sodium_free. Never
// copied; needs sodium_init() first. Enough of a vector's interface for load_keys and the tests.
class SecretBytes {
public:
  SecretBytes() = default;
  explicit SecretBytes(size_t n);
  SecretBytes(const std::vector<unsigned char>& bytes);  // copies (tests build their keys so)
  SecretBytes(SecretBytes&& o) noexcept : p_(o.p_), n_(o.n_) { o.p_ = nullptr, o.n_ = 0; }
  SecretBytes& operator=(SecretBytes&& o) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();
  void assign(const unsigned char* bytes, size_t n);
  template <class It> void assign(It first, It last) {
    size_t n = (size_t)(last - first);
    assign(n ? &*first : nullptr, n);
  }
  unsigned char* data() { return p_; }
  const unsigned char* data() const { return p_; }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }

private:
  unsigned char* p_ = nullptr;
  size_t n_ = 0;
};

// Plaintext personal data (a visitor's name or phone) that wipes itself: its bytes are zeroed
// (sodium_memzero) when it is destroyed, reassigned or moved from. Whatever is built from str()
// (the HTML page of the request) is a copy this cannot reach.
class SecretString {
public:
  SecretString() = default;
  explicit SecretString(std::string_view text) : s_(text) {}
  // A move copies then wipes: moving a short string would leave its bytes in the source.
  SecretString(SecretString&& o) noexcept : s_(o.s_) { o.wipe(); }
  SecretString& operator=(SecretString&& o) noexcept;
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  ~SecretString() { wipe(); }
  const std::string& str() const { return s_; }
  std::string& buffer() { return s_; }  // to fill in place (keep the capacity: no stray copies)
  bool empty() const { return s_.empty(); }
  void wipe();

private:
  std::string s_;
};

struct KeyPair {
  std::vector<unsigned char> public_key;
  SecretBytes secret_key;
};
// Opens a sealed box: the plaintext, or nullopt when it is not for this key.
std::optional<std::string> open_sealed(const KeyPair& keys, const std::vector<unsigned char>& sealed);
// The same into wiping memory; false when the box is not for this key.
bool open_sealed(const KeyPair& keys, const std::vector<unsigned char>& sealed, SecretString* plain);

// Text checks shared by the kiosk API, the admin API and the store (crypto.cpp).
// Valid UTF-8 of at most max_bytes, without control characters (C0, DEL, C1), bidirectional
// controls (U+061C, U+200E/F, U+202A-E, U+2066-9) or line/paragraph separators.
bool clean_text(std::string_view s, size_t max_bytes);
// Removes what clean_text refuses, in place (the buffer is compacted, the tail zeroed).
void strip_unsafe_text(std::string* s);
bool printable_ascii(std::string_view s, size_t max_bytes);  // 0x20..0x7E only
// A kiosk's reference prefix: 1 to 4 capitals or digits ("GR1").
bool valid_ref_prefix(std::string_view prefix);
// A kiosk id: 1 to 32 of [A-Za-z0-9_-].
bool valid_kiosk_id(std::string_view id);
// "YYYY-MM-DDTHH:MM:SSZ" (RFC 3339, UTC, no fraction) as Unix seconds, or -1 when it is not
// that shape or not a real time of day on a real date.
int64_t parse_utc(std::string_view text);

// [SECTION] Store -----------------------------------------------------------------------------
struct Request {
  std::string id, ref, kiosk, created_at, lang, topic, contact, desk_day, status, mediator;
  int64_t received_at = 0, claimed_at = 0, closed_at = 0;
  std::vector<unsigned char> sealed;    // empty once retention removed it
  int64_t created_unix = 0;             // created_at in seconds, never after received_at (0: unknown)
  int64_t expired_at = 0;               // when retention or an erasure removed its personal data
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

// The queue's filter. status "" lists the open requests (received, in_progress); "closed" the
// done and unreachable ones; "all" every one; else that one status. Newest first, 500 at most.
struct Filter {
  std::string lang, topic, kiosk, status;
  int64_t max_age_s = 0;                // 0 = any age (clamped to ten years)
  // "My languages and desks": when not empty, only these languages / kiosks (a mediator's profile).
  std::vector<std::string> langs, kiosks;
};

// RefConflict: another request already has this reference. RateLimited / QuotaExceeded: the
// kiosk stored its per-minute / per-day number of requests (retry_after_s says when to return).
enum class StoreResult { Created, Replayed, Conflict, Error, RefConflict, RateLimited, QuotaExceeded };

// How many new requests one kiosk may store per minute and per day (0 = no limit).
struct KioskLimits {
  int64_t per_minute = 0, per_day = 0;
};

// One row of the audit log: when, who in which role, did what to which object, from which address.
// Written by Store::audit (and by open_personal/erase in their own transaction), read by
// Store::audit_log for the admin console's page and CSV.
struct AuditEvent {
  int64_t at = 0;
  std::string actor, role, action, object, client;
};

// Why a request's personal data was or was not opened (Store::open_personal).
enum class OpenResult { Ok, NotFound, NotClaimant, Expired, Unreadable, AuditFailed };
struct Personal {
  SecretString name, phone;
};

// Accounts live in two realms, each with its own login page and cookie: "console" (table
// mediators; role "mediator" or "council") and "admin" (table admins; role "admin").
struct Account {
  std::string user, role, hash;
  bool disabled = false;
  int64_t sessions = 0;                 // open sessions (accounts() only)
};

struct ConsoleSession {
  std::string user, role, csrf;
  int64_t expires = 0;                  // when the session ends at the latest (Unix seconds)
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

// A console or admin user's profile (store_notify.cpp). A desk is a kiosk (its id): the place
// where visitors make their requests. Mediators are notified of new requests whose language is
// one of theirs and whose desk is one they cover, while on duty; coordinators when nobody
// matches and when a request escalates. Admins' profiles hold only the address of the daily summary.
struct Profile {
  std::string realm = "console", user;
  std::vector<std::string> languages, desks;  // language codes ("ar"); kiosk ids ("GR-01")
  bool on_duty = false, coordinator = false;
  std::string email;                    // where notifications go ("" = none)
  int64_t updated_at = 0;
  std::string role;                     // the account's role (read only)
  bool disabled = false;                // the account's state (read only)
};

class Store {
public:
  // Opens (creating the schema if needed) an SQLite file, or a PostgreSQL database when `target`
  // is a postgresql:// URL (numbered migrations, applied under an advisory lock; a pool of
  // pool_size connections). Check ok()/error().
  static std::unique_ptr<Store> open(const std::string& target, int pool_size = 8);
  // The store of a data directory: the --database URL given to set_database(), else DIR/hub.db.
  static std::unique_ptr<Store> open_data(const std::string& data_dir, int pool_size = 8);
  ~Store();
  bool ok() const { return db_ != nullptr; }
  db::Dialect dialect() const { return dialect_; }
  const std::string& error() const { return error_; }

  // ref_prefix "" leaves the kiosk without one: its requests are refused until it has one.
  bool add_kiosk(const std::string& id, const std::string& name, const std::string& token_sha256,
                 const std::string& group = "default", const std::string& ref_prefix = "");
  // The kiosk (admin) a token belongs to. nullopt for an unknown token, and also when the
  // database cannot answer, which *unavailable (when given) tells apart: a kiosk must hear
  // "try again" then, never "unknown token" (a failover, a restart of the database).
  std::optional<std::string> kiosk_for_token(const std::string& token_sha256, bool* unavailable = nullptr);
  bool add_mediator(const std::string& user, const std::string& hash);

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
  // Drops the sealed data of every request created before this time, whatever its state; its
  // status then answers "expired".
  int retention(int64_t older_than);
  std::vector<KioskStatus> fleet();
  int64_t count_requests();

  // [SECTION] Store: admins, content releases, rollout, fleet updates (store_release.cpp)
  // Adds an admin or resets its password and API token (both replaced).
  bool add_admin(const std::string& user, const std::string& hash, const std::string& token_sha256);
  std::optional<std::string> admin_for_token(const std::string& token_sha256, bool* unavailable = nullptr);
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

  // [SECTION] Store: privacy, kiosk binding, the audit log (store_privacy.cpp)
  // Stores a request once (as above) unless its reference belongs to another request or the
  // kiosk is over its limits; retry_after_s (may be null) gets the wait for RateLimited/QuotaExceeded.
  StoreResult store(const Request& r, const std::string& body_sha256, int64_t now, const KioskLimits& limits,
                    int64_t* retry_after_s);
  // A reference's status for the kiosk that made it (another kiosk's reference is unknown);
  // "expired" once its personal data is gone or it was created before expire_before.
  std::optional<std::string> status_of(const std::string& ref, const std::string& kiosk, int64_t expire_before);
  // The kiosk's reference prefix; nullopt for an unknown kiosk or one provisioned without one,
  // and when the database could not be read (*unavailable then true, when given).
  std::optional<std::string> kiosk_ref_prefix(const std::string& kiosk, bool* unavailable = nullptr);
  bool set_ref_prefix(const std::string& kiosk, const std::string& ref_prefix);
  // Opens a request's name and phone for the mediator who claimed it (view.actor; in_progress),
  // if it was created at or after expire_before, and only once the view is in the audit log:
  // when that write fails nothing is opened (AuditFailed).
  OpenResult open_personal(const std::string& id, const KeyPair& keys, const AuditEvent& view, int64_t expire_before,
                           Personal* out);
  // Appends to the audit log (append-only: triggers refuse UPDATE and DELETE). False on failure.
  bool audit(const AuditEvent& e);
  // The audit log, newest first, at most `limit` rows (the admin console's page and CSV).
  std::vector<AuditEvent> audit_log(int64_t limit);
  // Erases a request's personal data now (an erasure request): 1 done, 0 no such reference, -1 error.
  int erase(const std::string& ref, const AuditEvent& by);

  // [SECTION] Store: console accounts, sessions, login throttling, counts (store_auth.cpp)
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
  // How many requests per value of one column ("status", "lang", "topic" or "kiosk"): no personal data.
  std::vector<std::pair<std::string, int64_t>> request_counts(const std::string& column);

  // [SECTION] Store: mediator profiles (store_notify.cpp)
  // Every account of a realm with its profile (an account without one gets an empty profile).
  std::vector<Profile> profiles(const std::string& realm);
  std::optional<Profile> profile(const std::string& realm, const std::string& user);
  // Writes the whole profile (an admin). False when there is no such account or a field is invalid.
  bool set_profile(const Profile& p, int64_t now);
  // The part a mediator sets for themselves: on/off duty and the notification address.
  bool set_duty(const std::string& realm, const std::string& user, bool on_duty, const std::string& email, int64_t now);
  // On-duty, enabled mediators with an address whose languages include lang and desks include desk.
  std::vector<Profile> matching_mediators(const std::string& lang, const std::string& desk);
  // Enabled coordinators (console realm) with an address, on duty or not.
  std::vector<Profile> coordinators();

  // [SECTION] Store: notification outbox, escalations, timeline (store_notify.cpp; see notify.h)
  // A connection for store_outbox.cpp's queries (SQLite: the one connection, locked while leased).
  db::Lease lease() { return db_->lease(); }

private:
  bool exec(const char* sql);           // SQLite's schema and migrations only
  bool migrate();                       // columns added since the first schema
  bool migrate_privacy();               // unique references, prefixes, append-only audit
  bool migrate_auth();                  // the login attempts table (store_auth.cpp)
  bool migrate_notify();                // profiles, the notification outbox (store_notify.cpp)
  std::unique_ptr<db::Database> db_;
  db::Dialect dialect_ = db::Dialect::Sqlite;
  std::string error_;
};

// The database every Store::open_data() opens instead of DIR/hub.db (sportello-hub --database URL);
// "" for the SQLite file in the data directory.
void set_database(const std::string& url);
const std::string& database_url();
// PostgreSQL's schema, created or brought up to date under an advisory lock (store_schema_pg.cpp).
bool migrate_postgres(db::Lease& c, std::string* error);
// sportello-hub migrate: copies an SQLite store into an empty PostgreSQL database and prints each
// table's rows and checksums, read back from both (store_migrate.cpp). Exit status 0, 1 or 2.
int migrate_store(const std::string& from, const std::string& to, FILE* out);

// [SECTION] HTTP --------------------------------------------------------------------------------
struct ServeConfig {
  std::string data_dir, host = "127.0.0.1", tls_cert, tls_key;
  int port = 8443;
  int max_inflight = 256;              // beyond this, 503 + Retry-After
  int retention_days = 30;
  std::vector<std::string> release_keys;  // base64 Ed25519 public keys a release must be signed by
  int release_threshold = 1;           // how many distinct ones
  int64_t max_target_mb = 512;         // largest target file an admin may upload
  KioskLimits kiosk_limits{60, 2000};  // new requests per kiosk per minute and per day
  int max_connections = 1024;          // open connections; beyond, 503 + Retry-After, then refused
  int workers = 32;                    // threads running handlers (idle connections hold none)
  int request_timeout_s = 10;          // a request's head and body must arrive within this
  std::string trust_proxy;             // X-Forwarded-For is believed only from this address
  int max_password_hashes = 4;         // concurrent Argon2id computations (64 MiB each); beyond: 503
  bool tls_proxy = false;              // behind a proxy that terminates TLS: cookies Secure and __Host-
  int max_live = 800;                  // open live consoles (event streams); beyond, 503
  std::string notify_config;           // the notifications' file (SMTP relay, digest, desks' hours); "" = no mail
};
int serve(const ServeConfig& config);      // runs until SIGTERM/SIGINT; returns an exit status
// A kiosk group's name: [a-z0-9][a-z0-9_-]*, at most 32 characters.
bool valid_group(const std::string& group);

// [SECTION] Data-protection subcommands ---------------------------------------------------------
// cli_data.cpp: erase one reference's personal data now; give a
// kiosk its reference prefix without changing its token. Exit status 0, 1 (failure) or 2 (usage).
int cli_erase(const std::string& data_dir, const std::string& ref);
int cli_set_ref_prefix(const std::string& data_dir, const std::string& kiosk, const std::string& ref_prefix);

// [SECTION] Passwords and account subcommands ---------------------------------------------------
// Why a new password is refused (Italian, for the console and the CLI), or "" when it is fine:
// at least 12 characters, not one of the most common passwords, not the user's name.
std::string password_problem(const std::string& password, const std::string& user);
// Argon2id with the hub's interactive parameters, or a hash made with other parameters?
bool password_needs_rehash(const std::string& hash);
// sportello-hub's account subcommands (add-council, passwd, disable-user, enable-user,
// revoke-sessions): the exit status, or -1 when `cmd` is not one of them.
int account_command(const std::string& cmd, const std::string& data_dir,
                    const std::map<std::string, std::string>& options);

// [SECTION] Mediator profiles and notifications --------------------------------------------------
// The 18 request languages (codes) and their Italian names ("ar" -> "arabo"); "" for another code.
const std::vector<std::string>& request_languages();
std::string language_name_it(const std::string& code);
// Checks a profile's fields: known languages, valid kiosk ids, an address of plain shape. "" or
// what is wrong (Italian, for the console and the CLI).
std::string profile_problem(const Profile& p);
// A comma- or space-separated list, trimmed, without empties or duplicates.
std::vector<std::string> split_list(const std::string& text);
std::string join_list(const std::vector<std::string>& items);
// sportello-hub set-profile --data DIR --user NAME [--role admin] [--languages ar,fr] [--desks GR-01]
//   [--duty on|off] [--email ADDR|none] [--coordinator yes|no]; show-profiles --data DIR.
// The exit status, or -1 when `cmd` is not one of them (profiles_cli.cpp).
int profile_command(const std::string& cmd, const std::string& data_dir,
                    const std::map<std::string, std::string>& options);

}  // namespace hub
