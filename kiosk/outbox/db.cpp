// The outbox database: SQLite owners, schema and migration, status, lookup, and the queue
// operations the uploader uses (next, ack, permanent error, checkpoint).
//
// Index
//   [SECTION] Owners
//   [SECTION] Open and migrate
//   [SECTION] Outbox: status, lookup, retry_failed
//   [SECTION] Queue operations for the uploader
#include "outbox_internal.h"

#include <sqlite3.h>

namespace outbox {

// [SECTION] Owners ----------------------------------------------------------------------------
Db::~Db() { sqlite3_close_v2(db_); }

Db& Db::operator=(Db&& o) noexcept {
  if (this != &o) {
    sqlite3_close_v2(db_);
    db_ = o.db_;
    o.db_ = nullptr;
  }
  return *this;
}

Stmt::Stmt(sqlite3* db, const char* sql) {
  if (sqlite3_prepare_v2(db, sql, -1, &st_, nullptr) != SQLITE_OK) st_ = nullptr;
}
Stmt::~Stmt() { sqlite3_finalize(st_); }
void Stmt::bind(int i, std::string_view t) { sqlite3_bind_text(st_, i, t.data(), (int)t.size(), SQLITE_TRANSIENT); }
void Stmt::bind(int i, int64_t v) { sqlite3_bind_int64(st_, i, v); }
void Stmt::bind_null(int i) { sqlite3_bind_null(st_, i); }
int Stmt::step() { return st_ ? sqlite3_step(st_) : SQLITE_MISUSE; }
int64_t Stmt::col_int(int i) const { return sqlite3_column_int64(st_, i); }
bool Stmt::col_null(int i) const { return sqlite3_column_type(st_, i) == SQLITE_NULL; }
std::string Stmt::col_text(int i) const {
  const unsigned char* t = sqlite3_column_text(st_, i);
  return t ? std::string((const char*)t, (size_t)sqlite3_column_bytes(st_, i)) : std::string();
}

bool exec(sqlite3* db, const char* sql, std::string* error) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
  if (error) *error = msg ? msg : sqlite3_errmsg(db);
  sqlite3_free(msg);
  return false;
}

// [SECTION] Open and migrate ------------------------------------------------------------------
// Version 1. `body` is the exact JSON posted (with the sealed blob) so every retry is
// byte-identical; it is NULLed on ack. Only metadata without personal data stays.
static const char* kSchemaV1 =
    "CREATE TABLE counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT INTO counters VALUES('ref_seq', 0);"
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE requests("
    "  seq INTEGER PRIMARY KEY,"          // the per-kiosk sequence the ref is derived from
    "  id TEXT NOT NULL UNIQUE,"
    "  ref TEXT NOT NULL UNIQUE,"
    "  created_ms INTEGER NOT NULL,"
    "  lang TEXT NOT NULL, topic TEXT NOT NULL, contact TEXT NOT NULL, desk_day TEXT,"
    "  body TEXT,"
    "  state INTEGER NOT NULL DEFAULT 0,"  // RequestState
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  http_status INTEGER NOT NULL DEFAULT 0,"
    "  failure TEXT,"
    "  sent_ms INTEGER);"
    "CREATE INDEX requests_state ON requests(state, seq);"
    "PRAGMA user_version = 1;";
static const int kSchemaVersion = 1;

static int64_t user_version(sqlite3* db) {
  Stmt v(db, "PRAGMA user_version");  // finalized on return: COMMIT fails while it is pending
  return v.step() == SQLITE_ROW ? v.col_int(0) : -1;
}

static bool migrate(sqlite3* db, std::string* error) {
  int64_t version = user_version(db);
  if (version < 0) {
    *error = sqlite3_errmsg(db);
    return false;
  }
  if (version == kSchemaVersion) return true;
  if (version > kSchemaVersion) {
    *error = "outbox database has schema " + std::to_string(version) + ", this build knows " +
             std::to_string(kSchemaVersion);
    return false;
  }
  if (!exec(db, "BEGIN IMMEDIATE", error)) return false;
  // Re-read inside the write lock: another connection may have migrated meanwhile.
  if (user_version(db) == kSchemaVersion) return exec(db, "COMMIT", error);
  if (!exec(db, kSchemaV1, error)) {
    exec(db, "ROLLBACK", nullptr);
    return false;
  }
  return exec(db, "COMMIT", error);
}

Db open_db(const std::string& path, std::string* error) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    *error = "cannot open " + path + ": " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
    return Db();
  }
  sqlite3_busy_timeout(raw, 5000);  // the UI's and the uploader's connections take turns
  // WAL: readers never block the writer. FULL: COMMIT returns only after fsync, so the screen
  // may say "queued". secure_delete: freed content (sealed blobs after ack) is overwritten.
  if (!exec(raw, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;", error)) return Db();
  std::string mode;
  {
    Stmt st(raw, "PRAGMA journal_mode");
    if (st.step() == SQLITE_ROW) mode = st.col_text(0);
  }
  if (mode != "wal") {
    *error = "cannot switch " + path + " to WAL mode";
    return Db();
  }
  if (!migrate(raw, error)) return Db();
  return db;
}

// [SECTION] Outbox: status, lookup, retry_failed ----------------------------------------------
Outbox::Outbox() = default;
Outbox::~Outbox() = default;
Outbox::Outbox(Outbox&&) noexcept = default;
Outbox& Outbox::operator=(Outbox&&) noexcept = default;

bool Outbox::ok() const { return state_ && state_->db && state_->error.empty(); }

const std::string& Outbox::error() const {
  static const std::string not_open = "outbox not opened";
  return state_ ? state_->error : not_open;
}

static std::string meta_get(sqlite3* db, const char* key) {
  Stmt st(db, "SELECT value FROM meta WHERE key = ?");
  st.bind(1, key);
  return st.step() == SQLITE_ROW ? st.col_text(0) : std::string();
}

static void meta_set(sqlite3* db, const char* key, const std::string& value) {
  Stmt st(db, "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  st.bind(1, key);
  st.bind(2, value);
  st.step();
}

QueueStatus Outbox::status() {
  QueueStatus q;
  if (!ok()) {
    q.error = error();
    return q;
  }
  sqlite3* db = state_->db.get();
  Stmt st(db,
          "SELECT (SELECT count(*) FROM requests WHERE state = 0),"
          "       (SELECT min(created_ms) FROM requests WHERE state = 0),"
          "       (SELECT count(*) FROM requests WHERE state = 2),"
          "       (SELECT count(*) FROM requests WHERE state = 1)");
  if (st.step() != SQLITE_ROW) {
    q.error = sqlite3_errmsg(db);
    return q;
  }
  q.queue_depth = st.col_int(0);
  if (!st.col_null(1)) {
    int64_t age = (cfg_wall_ms(state_->config) - st.col_int(1)) / 1000;
    q.oldest_unsent_age_s = age > 0 ? age : 0;
  }
  q.permanent_errors = st.col_int(2);
  q.sent_total = st.col_int(3);
  std::string last = meta_get(db, "last_success_ms");
  q.last_success_unix_ms = last.empty() ? 0 : std::stoll(last);
  q.last_error = meta_get(db, "last_error");
  q.ok = true;
  return q;
}

LocalLookup Outbox::lookup(std::string_view typed) {
  LocalLookup r;
  if (!ok()) {
    r.error = error();
    return r;
  }
  r.ok = true;
  r.ref = normalize_ref(typed, state_->config.ref_prefix);
  if (r.ref.empty()) return r;  // malformed or a typo the check character caught: not found
  Stmt st(state_->db.get(), "SELECT state, http_status, failure FROM requests WHERE ref = ?");
  st.bind(1, r.ref);
  int rc = st.step();
  if (rc == SQLITE_ROW) {
    r.found = true;
    r.state = (RequestState)st.col_int(0);
    r.http_status = (int)st.col_int(1);
    r.failure = st.col_text(2);
  } else if (rc != SQLITE_DONE) {
    r.ok = false;
    r.error = sqlite3_errmsg(state_->db.get());
  }
  return r;
}

int64_t Outbox::retry_failed() {
  if (!ok()) return -1;
  Stmt st(state_->db.get(), "UPDATE requests SET state = 0, http_status = 0, failure = NULL WHERE state = 2");
  if (st.step() != SQLITE_DONE) return -1;
  return sqlite3_changes(state_->db.get());
}

// [SECTION] Queue operations for the uploader -------------------------------------------------
bool next_pending(OutboxState& s, Pending* out, bool* found, std::string* error) {
  Stmt st(s.db.get(), "SELECT seq, id, ref, body FROM requests WHERE state = 0 ORDER BY seq LIMIT 1");
  int rc = st.step();
  *found = rc == SQLITE_ROW;
  if (rc == SQLITE_ROW) {
    out->seq = st.col_int(0);
    out->id = st.col_text(1);
    out->ref = st.col_text(2);
    out->body = st.col_text(3);
    return true;
  }
  if (rc == SQLITE_DONE) return true;
  *error = sqlite3_errmsg(s.db.get());
  return false;
}

bool mark_sent(OutboxState& s, const std::string& id, std::string* error) {
  sqlite3* db = s.db.get();
  int64_t now = cfg_wall_ms(s.config);
  if (!exec(db, "BEGIN IMMEDIATE", error)) return false;
  Stmt st(db, "UPDATE requests SET state = 1, sent_ms = ?, body = NULL, failure = NULL WHERE id = ?");
  st.bind(1, now);
  st.bind(2, id);
  if (st.step() != SQLITE_DONE) {
    *error = sqlite3_errmsg(db);
    exec(db, "ROLLBACK", nullptr);
    return false;
  }
  meta_set(db, "last_success_ms", std::to_string(now));
  meta_set(db, "last_error", "");
  return exec(db, "COMMIT", error);
}

bool mark_failed(OutboxState& s, const std::string& id, int http, const std::string& why, std::string* error) {
  sqlite3* db = s.db.get();
  if (!exec(db, "BEGIN IMMEDIATE", error)) return false;
  Stmt st(db, "UPDATE requests SET state = 2, http_status = ?, failure = ?, attempts = attempts + 1 WHERE id = ?");
  st.bind(1, (int64_t)http);
  st.bind(2, why);
  st.bind(3, id);
  if (st.step() != SQLITE_DONE) {
    *error = sqlite3_errmsg(db);
    exec(db, "ROLLBACK", nullptr);
    return false;
  }
  meta_set(db, "last_error", why);
  return exec(db, "COMMIT", error);
}

bool note_retry(OutboxState& s, const std::string& id, const std::string& why) {
  sqlite3* db = s.db.get();
  if (!exec(db, "BEGIN IMMEDIATE", nullptr)) return false;
  Stmt st(db, "UPDATE requests SET attempts = attempts + 1 WHERE id = ?");
  st.bind(1, id);
  st.step();
  meta_set(db, "last_error", why);
  return exec(db, "COMMIT", nullptr);
}

void checkpoint(OutboxState& s) { exec(s.db.get(), "PRAGMA wal_checkpoint(TRUNCATE)", nullptr); }

}  // namespace outbox
