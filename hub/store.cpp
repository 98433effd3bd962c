// [SECTION] Store: the hub's SQLite file. Requests are unique on their kiosk-generated id; the
// body's hash tells a retry (same bytes: same answer) from a conflict (another body: 409).
#include "store_internal.h"

#include <nlohmann/json.hpp>

#include <sodium.h>

#include <algorithm>
#include <ctime>

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
    // The reference index (unique) is made in migrate_privacy(), which also handles old databases.
    // Failed logins are counted in login_attempts (store_auth.cpp); databases made before keep
    // the mediators' and admins' old failed/failed_since columns, unread.
    "CREATE TABLE IF NOT EXISTS mediators(user TEXT PRIMARY KEY, password_hash TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sessions(token_sha256 TEXT PRIMARY KEY, user TEXT, csrf TEXT, expires INTEGER);"
    "CREATE TABLE IF NOT EXISTS audit(at INTEGER, user TEXT, request_id TEXT, action TEXT);"
    "CREATE TABLE IF NOT EXISTS admins(user TEXT PRIMARY KEY, password_hash TEXT NOT NULL,"
    " token_sha256 TEXT UNIQUE);"
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
  r.sealed = q.blob(13);
  r.created_unix = q.num(14);
  r.expired_at = q.num(15);
  return r;
}
const char* kRequestColumns =
    "id, ref, kiosk, created_at, received_at, lang, topic, contact, desk_day, status, mediator, claimed_at,"
    " closed_at, sealed, created_unix, expired_at";
}  // namespace

namespace {
std::string g_database;  // sportello-hub --database: set once by main before any store opens
}  // namespace

void set_database(const std::string& url) { g_database = url; }
const std::string& database_url() { return g_database; }

std::unique_ptr<Store> Store::open_data(const std::string& data_dir, int pool_size) {
  return open(g_database.empty() ? data_dir + "/hub.db" : g_database, pool_size);
}

std::unique_ptr<Store> Store::open(const std::string& target, int pool_size) {
  std::unique_ptr<Store> st(new Store());
  if (db::is_postgres_url(target)) {
    st->dialect_ = db::Dialect::Postgres;
    st->db_ = db::open_postgres(target, pool_size, &st->error_);
    if (st->db_) {
      bool ok = false;
      {
        db::Lease c = st->db_->lease();
        ok = c && migrate_postgres(c, &st->error_);
      }
      if (!ok) {
        st->error_ = db::redact_url(target) + ": " + st->error_;
        st->db_.reset();
      }
    }
    return st;
  }
  st->db_ = db::open_sqlite(target, &st->error_);
  if (!st->db_) return st;
  // WAL + FULL: a commit is on disk before the 201 leaves. secure_delete: personal data that
  // retention removes is overwritten, not left in free pages.
  if (!st->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;") || !st->exec(kSchema) ||
      !st->migrate() || !st->migrate_auth() || !st->migrate_notify())
    st->db_.reset();
  return st;
}

Store::~Store() = default;

bool Store::exec(const char* sql) {
  db::Lease c = db_->lease();
  if (c->exec(sql)) return true;
  error_ = c->error();
  return false;
}

// Hubs created by earlier versions lack these columns; adding them keeps their data.
bool Store::migrate() {
  struct Column {
    const char *table, *name, *definition;
  };
  static const Column columns[] = {
      {"kiosks", "grp", "grp TEXT NOT NULL DEFAULT 'default'"},
      {"kiosks", "running_version", "running_version INTEGER NOT NULL DEFAULT 0"},
      {"kiosks", "update_json", "update_json TEXT NOT NULL DEFAULT ''"},
      {"sessions", "role", "role TEXT NOT NULL DEFAULT 'mediator'"},
      {"kiosks", "ref_prefix", "ref_prefix TEXT"},
      {"requests", "created_unix", "created_unix INTEGER NOT NULL DEFAULT 0"},
      {"requests", "expired_at", "expired_at INTEGER NOT NULL DEFAULT 0"},
      {"audit", "role", "role TEXT NOT NULL DEFAULT ''"},
      {"audit", "client", "client TEXT NOT NULL DEFAULT ''"},
      {"mediators", "role", "role TEXT NOT NULL DEFAULT 'mediator'"},
      {"mediators", "disabled", "disabled INTEGER NOT NULL DEFAULT 0"},
      {"admins", "disabled", "disabled INTEGER NOT NULL DEFAULT 0"},
      {"sessions", "created", "created INTEGER NOT NULL DEFAULT 0"},
      {"sessions", "last_seen", "last_seen INTEGER NOT NULL DEFAULT 0"},
  };
  for (const Column& c : columns) {
    std::string info = std::string("SELECT count(*) FROM pragma_table_info('") + c.table + "') WHERE name = ?";
    int64_t found = 0;
    {
      db::Lease l = db_->lease();
      Stmt q(l, info);
      if (q.bind(1, std::string(c.name)).step() != db::kRow) return false;
      found = q.num(0);
    }
    if (found > 0) continue;
    std::string alter = std::string("ALTER TABLE ") + c.table + " ADD COLUMN " + c.definition;
    if (!exec(alter.c_str())) return false;
  }
  return migrate_privacy();
}

bool Store::add_kiosk(const std::string& id, const std::string& name, const std::string& token_sha256,
                      const std::string& group, const std::string& ref_prefix) {
  if (!valid_kiosk_id(id) || !clean_text(name, 128) || (!ref_prefix.empty() && !valid_ref_prefix(ref_prefix)))
    return false;
  db::Lease c = db_->lease();
  // Re-provisioning keeps a prefix already given when none is given now.
  Stmt q(c, "INSERT INTO kiosks(id, name, token_sha256, grp, ref_prefix) VALUES(?1,?2,?3,?4,nullif(?5,'')) "
              "ON CONFLICT(id) DO UPDATE SET token_sha256 = excluded.token_sha256, name = excluded.name,"
              " grp = excluded.grp, ref_prefix = coalesce(excluded.ref_prefix, kiosks.ref_prefix)");
  return q.bind(1, id).bind(2, name).bind(3, token_sha256).bind(4, group).bind(5, ref_prefix).step() == db::kDone;
}

std::optional<std::string> Store::kiosk_for_token(const std::string& token_sha256, bool* unavailable) {
  db::Lease c = db_->lease();
  return lookup_text(c, "SELECT id FROM kiosks WHERE token_sha256 = ?", token_sha256, unavailable);
}

bool Store::add_mediator(const std::string& user, const std::string& hash) {
  if (user.empty() || !clean_text(user, 64)) return false;
  db::Lease c = db_->lease();
  Stmt q(c, "INSERT INTO mediators(\"user\", password_hash) VALUES(?,?) "
              "ON CONFLICT(\"user\") DO UPDATE SET password_hash = excluded.password_hash");
  return q.bind(1, user).bind(2, hash).step() == db::kDone;
}

StoreResult Store::store(const Request& r, const std::string& body_sha256, int64_t now) {
  return store(r, body_sha256, now, KioskLimits{}, nullptr);
}

std::optional<std::string> Store::status_of(const std::string& ref) {
  db::Lease c = db_->lease();
  Stmt q(c, "SELECT status, expired_at FROM requests WHERE ref = ? ORDER BY received_at LIMIT 1");
  if (q.bind(1, ref).step() != db::kRow) return std::nullopt;
  return q.num(1) > 0 ? "expired" : q.text(0);
}

bool Store::heartbeat(const KioskStatus& k) {
  db::Lease c = db_->lease();
  Stmt q(c, "UPDATE kiosks SET last_heartbeat=?, queue_depth=?, oldest_unsent_age_s=?, permanent_errors=?,"
              " content_version=?, app_version=? WHERE id=?");
  q.bind(1, k.last_heartbeat).bind(2, k.queue_depth).bind(3, k.oldest_unsent_age_s).bind(4, k.permanent_errors);
  q.bind(5, k.content_version).bind(6, k.app_version).bind(7, k.id);
  return q.step() == db::kDone && q.changes() == 1;
}

std::vector<Request> Store::list(const Filter& f, int64_t now) {
  db::Lease c = db_->lease();
  // Open requests by default, newest first: hundreds of closed ones never hide a new one.
  std::string sql = std::string("SELECT ") + kRequestColumns +
                    " FROM requests WHERE (?1 = '' OR lang = ?1) AND (?2 = '' OR topic = ?2) AND (?3 = '' OR kiosk = ?3)"
                    " AND (CASE ?4 WHEN '' THEN status IN ('received', 'in_progress')"
                    " WHEN 'closed' THEN status IN ('done', 'unreachable') WHEN 'all' THEN TRUE ELSE status = ?4 END)"
                    " AND (?5 = 0 OR received_at >= ?5)"
                    " AND (?6 = '[]' OR lang IN (" + json_values(c, "?6") + "))"
                    " AND (?7 = '[]' OR kiosk IN (" + json_values(c, "?7") + "))"
                    " ORDER BY received_at DESC, " + insertion_order(c) + " DESC LIMIT 500";
  Stmt q(c, sql);
  int64_t max_age = f.max_age_s < 0 ? 0 : std::min<int64_t>(f.max_age_s, 10LL * 366 * 86400);
  q.bind(1, f.lang).bind(2, f.topic).bind(3, f.kiosk).bind(4, f.status).bind(5, max_age ? now - max_age : 0);
  q.bind(6, nlohmann::json(f.langs).dump()).bind(7, nlohmann::json(f.kiosks).dump());
  std::vector<Request> out;
  while (q.step() == db::kRow) {
    out.push_back(read_request(q));
    out.back().sealed.clear();  // the list never carries personal data, even encrypted
  }
  return out;
}

std::optional<Request> Store::get(const std::string& id) {
  db::Lease c = db_->lease();
  std::string sql = std::string("SELECT ") + kRequestColumns + " FROM requests WHERE id = ?";
  Stmt q(c, sql);
  if (q.bind(1, id).step() != db::kRow) return std::nullopt;
  return read_request(q);
}

bool Store::claim(const std::string& id, const std::string& mediator, int64_t now) {
  db::Lease c = db_->lease();
  Stmt q(c, "UPDATE requests SET status='in_progress', mediator=?, claimed_at=? WHERE id=? AND status='received'");
  return q.bind(1, mediator).bind(2, now).bind(3, id).step() == db::kDone && q.changes() == 1;
}

bool Store::close(const std::string& id, const std::string& mediator, const std::string& status, int64_t now) {
  if (status != "done" && status != "unreachable") return false;
  db::Lease c = db_->lease();
  Stmt q(c, "UPDATE requests SET status=?, closed_at=? WHERE id=? AND status='in_progress' AND mediator=?");
  return q.bind(1, status).bind(2, now).bind(3, id).bind(4, mediator).step() == db::kDone && q.changes() == 1;
}

int Store::retention(int64_t older_than) {
  db::Lease c = db_->lease();
  // Counted from creation (the kiosk's time, never later than arrival), whatever the state:
  // an unclaimed or abandoned request loses its personal data like a closed one.
  Stmt q(c, "UPDATE requests SET sealed = NULL, expired_at = ?2"
              " WHERE expired_at = 0 AND (CASE WHEN created_unix > 0 THEN created_unix ELSE received_at END) < ?1");
  q.bind(1, older_than).bind(2, (int64_t)time(nullptr)).step();
  int changed = (int)q.changes();
  // PostgreSQL's VACUUM reclaims the old row versions; SQLite needs the checkpoint.
  if (changed > 0 && c.dialect() == db::Dialect::Sqlite) c->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  return changed;
}

std::vector<KioskStatus> Store::fleet() {
  db::Lease c = db_->lease();
  Stmt q(c, "SELECT id, name, last_heartbeat, queue_depth, oldest_unsent_age_s, permanent_errors, content_version,"
              " app_version, grp, running_version, update_json FROM kiosks ORDER BY id");
  std::vector<KioskStatus> out;
  while (q.step() == db::kRow)
    out.push_back({q.text(0), q.text(1), q.text(6), q.text(7), q.num(2), q.num(3), q.num(4), q.num(5), q.text(8),
                   q.num(9), q.text(10)});
  return out;
}

int64_t Store::count_requests() {
  db::Lease c = db_->lease();
  Stmt q(c, "SELECT count(*) FROM requests");
  return q.step() == db::kRow ? q.num(0) : -1;
}

}  // namespace hub
