// Internals of kiosk/outbox shared by its files and its unit tests. Screens never include this.
//
// Index
//   [SECTION] SQLite owners
//   [SECTION] Outbox state and the uploader's queue operations
//   [SECTION] Delivery policy: classification, backoff, Retry-After
//   [SECTION] HTTP client (libcurl)
//   [SECTION] Uploader process messages
//   [SECTION] Small helpers
#pragma once

#include "outbox.h"

#include <nlohmann/json_fwd.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace outbox {

// [SECTION] SQLite owners ---------------------------------------------------------------------
class Db {  // move-only owner of a sqlite3*
public:
  Db() = default;
  explicit Db(sqlite3* db) : db_(db) {}
  ~Db();
  Db(Db&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Db& operator=(Db&& o) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  sqlite3* get() const { return db_; }
  explicit operator bool() const { return db_ != nullptr; }

private:
  sqlite3* db_ = nullptr;
};

class Stmt {  // move-only owner of a prepared statement
public:
  Stmt(sqlite3* db, const char* sql);
  ~Stmt();
  Stmt(Stmt&& o) noexcept : st_(o.st_) { o.st_ = nullptr; }
  Stmt& operator=(Stmt&&) = delete;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return st_ != nullptr; }
  sqlite3_stmt* get() const { return st_; }
  void bind(int i, std::string_view text);
  void bind(int i, int64_t value);
  void bind_null(int i);
  int step();                          // SQLITE_ROW / SQLITE_DONE / error code
  int64_t col_int(int i) const;
  std::string col_text(int i) const;
  bool col_null(int i) const;

private:
  sqlite3_stmt* st_ = nullptr;
};

bool exec(sqlite3* db, const char* sql, std::string* error);
Db open_db(const std::string& path, std::string* error);  // pragmas + schema migration

// [SECTION] Outbox state and the uploader's queue operations --------------------------------
struct OutboxState {
  Config config;
  Db db;
  std::string error;
  unsigned char hub_pk[32] = {};
};

struct Pending {
  int64_t seq = 0;
  std::string id, ref, body;
};

// The oldest queued request. found=false when the queue is empty.
bool next_pending(OutboxState& s, Pending* out, bool* found, std::string* error);
// Ack: state=sent, sealed body NULLed (secure_delete overwrites it), one transaction.
bool mark_sent(OutboxState& s, const std::string& id, std::string* error);
// Permanent error: stays in the outbox flagged, never retried automatically.
bool mark_failed(OutboxState& s, const std::string& id, int http, const std::string& why, std::string* error);
// A retryable failure: counts the attempt and keeps the text for staff status.
bool note_retry(OutboxState& s, const std::string& id, const std::string& why);
void checkpoint(OutboxState& s);      // PRAGMA wal_checkpoint(TRUNCATE); busy is fine

// [SECTION] Delivery policy -------------------------------------------------------------------
enum class Outcome : uint8_t {
  Ack,          // 201/200 with {"id": <ours>, "status": "..."}
  Retry,        // transport error, 5xx, 429, a 200 that is not our JSON (captive portal), ...
  RetryAtCap,   // 401: the token may be re-provisioned; retry at the maximum backoff
  Permanent,    // 400, 403, 409, 413, 415: flagged, never retried automatically
};
struct Classified {
  Outcome outcome = Outcome::Retry;
  std::string why;                     // "HTTP 409 idempotency_conflict", "200 not JSON", ...
};
struct HttpResponse;
Classified classify(const HttpResponse& r, std::string_view expected_id);
// Full jitter: uniform in [0, min(cap, base * 2^attempt)], attempt counted from 0.
uint64_t backoff_delay_ms(int attempt, uint64_t base_ms, uint64_t cap_ms, uint32_t random);
// "120" or an HTTP date; milliseconds to wait from now, -1 when absent or unparsable.
int64_t parse_retry_after(std::string_view value, int64_t now_unix_ms);

// [SECTION] HTTP client -----------------------------------------------------------------------
struct HttpResponse {
  bool transport_ok = false;           // a complete HTTP response arrived
  bool connect_failed = false;         // never reached the hub (DNS, refused, unreachable)
  long status = 0;
  std::string body;                    // capped at kMaxResponseBytes
  std::string retry_after;             // raw header value
  std::string error;                   // curl's text when !transport_ok
};
constexpr size_t kMaxResponseBytes = 64 * 1024;

class HttpClient {  // move-only owner of one CURL easy handle (keeps the connection alive)
public:
  HttpClient(const Config& config, const std::atomic<bool>* abort_flag);
  ~HttpClient();
  HttpClient(HttpClient&& o) noexcept : curl_(o.curl_), config_(o.config_), abort_(o.abort_) { o.curl_ = nullptr; }
  HttpClient& operator=(HttpClient&&) = delete;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  bool ok() const { return curl_ != nullptr; }
  // method "GET" or "POST"; extra headers are full lines ("Idempotency-Key: ...").
  HttpResponse request(const char* method, const std::string& path, const std::string& body,
                       const std::vector<std::string>& headers, long timeout_ms);
  // A bare connect (TCP + TLS): is the hub reachable? When not, why (curl's words) in *error.
  bool probe(std::string* error = nullptr, long timeout_ms = 0);

private:
  void* curl_ = nullptr;
  const Config* config_;
  const std::atomic<bool>* abort_;
};

// [SECTION] Uploader process messages ---------------------------------------------------------
// One JSON object per SOCK_SEQPACKET datagram (see process.cpp for the protocol).
constexpr size_t kMaxMessageBytes = 64 * 1024;
// Waits at most timeout_ms for room in the socket; false when it cannot send.
bool send_message(int fd, const nlohmann::json& message, int timeout_ms);
// 1 with a message, 0 on timeout, -1 when the socket closed or the message is not a JSON object.
int receive_message(int fd, int timeout_ms, nlohmann::json* message);
nlohmann::json config_to_json(const Config& config);
bool config_from_json(const nlohmann::json& json, Config* config, std::string* error);

// [SECTION] Small helpers ---------------------------------------------------------------------
std::string uuid_v4();                 // lowercase, from randombytes_buf
std::string iso_utc(int64_t unix_ms);  // "2026-11-22T10:00:00Z"
uint64_t cfg_now_ms(const Config& c);
int64_t cfg_wall_ms(const Config& c);
uint32_t cfg_random(const Config& c);

}  // namespace outbox
