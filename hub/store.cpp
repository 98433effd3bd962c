// [SECTION] Store: the hub's SQLite file. Requests are unique on their kiosk-generated id; the
// body's hash tells a retry (same bytes: same answer) from a conflict (another body: 409).
#include "store_internal.h"

#include <sodium.h>

namespace hub {

namespace {
const char* kSchema =
    "CREATE TABLE IF NOT EXISTS kiosks(id TEXT PRIMARY KEY, name TEXT, token_sha256 TEXT UNIQUE,"
    " last_heartbeat INTEGER DEFAULT 0, queue_depth INTEGER DEFAULT 0, oldest_unsent_age_s INTEGER DEFAULT 0,"
    " permanent_errors INTEGER DEFAULT 0, content_version TEXT DEFAULT '', app_version TEXT DEFAULT '');"
    "CREATE TABLE IF NOT EXISTS requests(id TEXT PRIMARY KEY, ref TEXT NOT NULL, kiosk TEXT NOT NULL,"
    " created_at TEXT, received_at INTEGER, lang TEXT, topic TEXT, contact TEXT, desk_day TEXT, sealed BLOB,"
    " body_sha256 TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'received', mediator TEXT DEFAULT '',"
    " claimed_at INTEGER DEFAULT 0, closed_at INTEGER DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS requests_ref ON requests(ref);"
    "CREATE TABLE IF NOT EXISTS mediators(user TEXT PRIMARY KEY, password_hash TEXT NOT NULL,"
    " failed INTEGER DEFAULT 0, failed_since INTEGER DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS sessions(token_sha256 TEXT PRIMARY KEY, user TEXT, csrf TEXT, expires INTEGER);"
    "CREATE TABLE IF NOT EXISTS audit(at INTEGER, user TEXT, request_id TEXT, action TEXT);"
    "CREATE TABLE IF NOT EXISTS admins(user TEXT PRIMARY KEY, password_hash TEXT NOT NULL,"
    " token_sha256 TEXT UNIQUE, failed INTEGER DEFAULT 0, failed_since INTEGER DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS releases(version INTEGER PRIMARY KEY, envelope BLOB NOT NULL, sha256 TEXT NOT NULL,"
    " created_at INTEGER NOT NULL, published_by TEXT NOT NULL, rollout TEXT NOT NULL DEFAULT '{}');"
    // One row per (release, group) it reached; group '*' is every kiosk. Rows are only added.
    "CREATE TABLE IF NOT EXISTS rollouts(version INTEGER NOT NULL, grp TEXT NOT NULL, at INTEGER NOT NULL,"
    " PRIMARY KEY(version, grp));";

Request read_request(Stmt& q) {
  Request r;
  r.id = q.text(0);
  r.ref = q.text(1);
  r.kiosk = q.text(2);
  r.created_at = q.text(3);
  r.received_at = q.num(4);
  r.lang = q.text(5);
  r.topic = q.text(6);
  r.contact = q.text(7);
  r.desk_day = q.text(8);
  r.status = q.text(9);
  r.mediator = q.text(10);
  r.claimed_at = q.num(11);
  r.closed_at = q.num(12);
  const unsigned char* blob = (const unsigned char*)sqlite3_column_blob(q.s, 13);
  r.sealed.assign(blob, blob + sqlite3_column_bytes(q.s, 13));
  return r;
}
const char* kRequestColumns =
    "id, ref, kiosk, created_at, received_at, lang, topic, contact, desk_day, status, mediator, claimed_at,"
    " closed_at, sealed";
}  // namespace

std::unique_ptr<Store> Store::open(const std::string& path) {
  std::unique_ptr<Store> st(new Store());
  if (sqlite3_open_v2(path.c_str(), &st->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    st->error_ = path + ": " + (st->db_ ? sqlite3_errmsg(st->db_) : "cannot open");
    sqlite3_close(st->db_);
    st->db_ = nullptr;
    return st;
  }
  sqlite3_busy_timeout(st->db_, 5000);
  // WAL + FULL: a commit is on disk before the 201 leaves. secure_delete: personal data that
  // retention removes is overwritten, not left in free pages.
  if (!st->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;") || !st->exec(kSchema) ||
      !st->migrate() || !st->migrate_auth()) {
    sqlite3_close(st->db_);
    st->db_ = nullptr;
  }
  return st;
}

Store::~Store() { sqlite3_close(db_); }

bool Store::exec(const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
  error_ = msg ? msg : "sqlite error";
  sqlite3_free(msg);
  return false;
}

// Hubs created before content releases lack these columns; adding them keeps their data.
bool Store::migrate() {
  struct Column {
    const char *table, *name, *definition;
  };
  static const Column columns[] = {
      {"kiosks", "grp", "grp TEXT NOT NULL DEFAULT 'default'"},
      {"kiosks", "running_version", "running_version INTEGER NOT NULL DEFAULT 0"},
      {"kiosks", "update_json", "update_json TEXT NOT NULL DEFAULT ''"},
      {"sessions", "role", "role TEXT NOT NULL DEFAULT 'mediator'"},
  };
  for (const Column& c : columns) {
    std::string info = std::string("SELECT count(*) FROM pragma_table_info('") + c.table + "') WHERE name = ?";
    Stmt q(db_, info.c_str());
    if (q.bind(1, std::string(c.name)).step() != SQLITE_ROW) return false;
    if (q.num(0) > 0) continue;
    std::string alter = std::string("ALTER TABLE ") + c.table + " ADD COLUMN " + c.definition;
    if (!exec(alter.c_str())) return false;
  }
  return true;
}

bool Store::add_kiosk(const std::string& id, const std::string& name, const std::string& token_sha256,
                      const std::string& group) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt q(db_, "INSERT INTO kiosks(id, name, token_sha256, grp) VALUES(?,?,?,?) "
              "ON CONFLICT(id) DO UPDATE SET token_sha256 = excluded.token_sha256, name = excluded.name,"
              " grp = excluded.grp");
  return q.bind(1, id).bind(2, name).bind(3, token_sha256).bind(4, group).step() == SQLITE_DONE;
}

std::optional<std::string> Store::kiosk_for_token(const std::string& token_sha256) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt q(db_, "SELECT id FROM kiosks WHERE token_sha256 = ?");
  if (q.bind(1, token_sha256).step() != SQLITE_ROW) return std::nullopt;
  return q.text(0);
}

bool Store::add_mediator(const std::string& user, const std::string& hash) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt q(db_, "INSERT INTO mediators(user, password_hash) VALUES(?,?) "
              "ON CONFLICT(user) DO UPDATE SET password_hash = excluded.password_hash");
  return q.bind(1, user).bind(2, hash).step() == SQLITE_DONE;
}

std::optional<std::string> Store::mediator_hash(const std::string& user) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt q(db_, "SELECT password_hash FROM mediators WHERE user = ?");
  if (q.bind(1, user).step() != SQLITE_ROW) return std::nullopt;
  return q.text(0);
}

StoreResult Store::store(const Request& r, const std::string& body_sha256, int64_t now) {
  std::lock_guard<std::mutex> lock(mutex_);
  // One transaction: two identical posts racing each other still store one row.
  if (!exec("BEGIN IMMEDIATE")) return StoreResult::Error;
  StoreResult result = StoreResult::Error;
  {
    Stmt seen(db_, "SELECT body_sha256 FROM requests WHERE id = ?");
    int rc = seen.bind(1, r.id).step();
    if (rc == SQLITE_ROW) {
      result = seen.text(0) == body_sha256 ? StoreResult::Replayed : StoreResult::Conflict;
    } else if (rc == SQLITE_DONE) {
      Stmt ins(db_, "INSERT INTO requests(id, ref, kiosk, created_at, received_at, lang, topic, contact, desk_day,"
                    " sealed, body_sha256) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
      ins.bind(1, r.id).bind(2, r.ref).bind(3, r.kiosk).bind(4, r.created_at).bind(5, now).bind(6, r.lang);
      ins.bind(7, r.topic).bind(8, r.contact).bind(9, r.desk_day).bind_blob(10, r.sealed).bind(11, body_sha256);
      if (ins.step() == SQLITE_DONE) result = StoreResult::Created;
    }
  }
  if (result == StoreResult::Error || !exec("COMMIT")) {
    exec("ROLLBACK");
    return StoreResult::Error;
  }
  return result;
}

std::optional<std::string> Store::status_of(const std::string& ref) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt q(db_, "SELECT status FROM requests WHERE ref = ? ORDER BY received_at LIMIT 1");
  if (q.bind(1, ref).step() != SQLITE_ROW) return std::nullopt;
  return q.text(0);
}

bool Store::heartbeat(const KioskStatus& k) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt q(db_, "UPDATE kiosks SET last_heartbeat=?, queue_depth=?, oldest_unsent_age_s=?, permanent_errors=?,"
              " content_version=?, app_version=? WHERE id=?");
  q.bind(1, k.last_heartbeat).bind(2, k.queue_depth).bind(3, k.oldest_unsent_age_s).bind(4, k.permanent_errors);
  q.bind(5, k.content_version).bind(6, k.app_version).bind(7, k.id);
  return q.step() == SQLITE_DONE && sqlite3_changes(db_) == 1;
}

std::vector<Request> Store::list(const Filter& f, int64_t now) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string sql = std::string("SELECT ") + kRequestColumns +
                    " FROM requests WHERE (?1 = '' OR lang = ?1) AND (?2 = '' OR topic = ?2) AND (?3 = '' OR kiosk = ?3)"
                    " AND (?4 = '' OR status = ?4) AND (?5 = 0 OR received_at >= ?5) ORDER BY received_at LIMIT 500";
  Stmt q(db_, sql.c_str());
  q.bind(1, f.lang).bind(2, f.topic).bind(3, f.kiosk).bind(4, f.status).bind(5, f.max_age_s ? now - f.max_age_s : 0);
  std::vector<Request> out;
  while (q.step() == SQLITE_ROW) {
    out.push_back(read_request(q));
    out.back().sealed.clear();  // the list never carries personal data, even encrypted
  }
  return out;
}

std::optional<Request> Store::get(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string sql = std::string("SELECT ") + kRequestColumns + " FROM requests WHERE id = ?";
  Stmt q(db_, sql.c_str());
  if (q.bind(1, id).step() != SQLITE_ROW) return std::nullopt;
  return read_request(q);
}

bool Store::claim(const std::string& id, const std::string& mediator, int64_t now) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt q(db_, "UPDATE requests SET status='in_progress', mediator=?, claimed_at=? WHERE id=? AND status='received'");
  return q.bind(1, mediator).bind(2, now).bind(3, id).step() == SQLITE_DONE && sqlite3_changes(db_) == 1;
}

bool Store::close(const std::string& id, const std::string& mediator, const std::string& status, int64_t now) {
  if (status != "done" && status != "unreachable") return false;
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt q(db_, "UPDATE requests SET status=?, closed_at=? WHERE id=? AND status='in_progress' AND mediator=?");
  return q.bind(1, status).bind(2, now).bind(3, id).bind(4, mediator).step() == SQLITE_DONE &&
         sqlite3_changes(db_) == 1;
}

void Store::audit(const std::string& user, const std::string& id, const std::string& action, int64_t now) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt q(db_, "INSERT INTO audit(at, user, request_id, action) VALUES(?,?,?,?)");
  q.bind(1, now).bind(2, user).bind(3, id).bind(4, action).step();
}

int Store::retention(int64_t older_than) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt q(db_, "UPDATE requests SET sealed = NULL WHERE closed_at > 0 AND closed_at < ? AND sealed IS NOT NULL");
  q.bind(1, older_than).step();
  int changed = sqlite3_changes(db_);
  if (changed > 0) exec("PRAGMA wal_checkpoint(TRUNCATE)");
  return changed;
}

std::vector<KioskStatus> Store::fleet() {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt q(db_, "SELECT id, name, last_heartbeat, queue_depth, oldest_unsent_age_s, permanent_errors, content_version,"
              " app_version, grp, running_version, update_json FROM kiosks ORDER BY id");
  std::vector<KioskStatus> out;
  while (q.step() == SQLITE_ROW)
    out.push_back({q.text(0), q.text(1), q.text(6), q.text(7), q.num(2), q.num(3), q.num(4), q.num(5), q.text(8),
                   q.num(9), q.text(10)});
  return out;
}

int64_t Store::count_requests() {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt q(db_, "SELECT count(*) FROM requests");
  return q.step() == SQLITE_ROW ? q.num(0) : -1;
}

bool Store::add_session(const std::string& token_sha256, const std::string& user, const std::string& csrf,
                        int64_t expires, const std::string& role) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt q(db_, "INSERT INTO sessions(token_sha256, user, csrf, expires, role) VALUES(?,?,?,?,?)");
  return q.bind(1, token_sha256).bind(2, user).bind(3, csrf).bind(4, expires).bind(5, role).step() == SQLITE_DONE;
}

std::optional<std::pair<std::string, std::string>> Store::session(const std::string& token_sha256, int64_t now,
                                                                  const std::string& role) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt q(db_, "SELECT user, csrf FROM sessions WHERE token_sha256 = ? AND expires > ? AND role = ?");
  if (q.bind(1, token_sha256).bind(2, now).bind(3, role).step() != SQLITE_ROW) return std::nullopt;
  return std::make_pair(q.text(0), q.text(1));
}

void Store::drop_session(const std::string& token_sha256) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt q(db_, "DELETE FROM sessions WHERE token_sha256 = ?");
  q.bind(1, token_sha256).step();
}

// The table of a role's users (a fixed name, never user input).
static std::string users_table(const std::string& role) { return role == "admin" ? "admins" : "mediators"; }

bool Store::login_allowed(const std::string& user, int64_t now, const std::string& role) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string sql = "SELECT failed, failed_since FROM " + users_table(role) + " WHERE user = ?";
  Stmt q(db_, sql.c_str());
  if (q.bind(1, user).step() != SQLITE_ROW) return true;
  return q.num(0) < 5 || now - q.num(1) > 15 * 60;
}

void Store::login_failed(const std::string& user, int64_t now, const std::string& role) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string sql = "UPDATE " + users_table(role) +
                    " SET failed = CASE WHEN ? - failed_since > 900 THEN 1 ELSE failed + 1 END,"
                    " failed_since = CASE WHEN ? - failed_since > 900 THEN ? ELSE failed_since END WHERE user = ?";
  Stmt q(db_, sql.c_str());
  q.bind(1, now).bind(2, now).bind(3, now).bind(4, user).step();
}

void Store::login_succeeded(const std::string& user, const std::string& role) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string sql = "UPDATE " + users_table(role) + " SET failed = 0 WHERE user = ?";
  Stmt q(db_, sql.c_str());
  q.bind(1, user).step();
}

}  // namespace hub
