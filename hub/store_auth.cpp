// [SECTION] Store: console accounts (mediators, council, admins), their sessions, login
// throttling and the council's aggregate counts. Every decision that must not race (reserve a password
// check, end an account's sessions with its password change) is one statement or one transaction.
#include "store_internal.h"

namespace hub {

namespace {

// The table of a realm's accounts (a fixed name, never user input).
const char* table_of(const std::string& realm) { return realm == "admin" ? "admins" : "mediators"; }

// The session roles of a realm, as an SQL list (fixed text).
const char* roles_of(const std::string& realm) { return realm == "admin" ? "('admin')" : "('mediator','council')"; }

}  // namespace

bool Store::migrate_auth() {
  return exec("CREATE TABLE IF NOT EXISTS login_attempts(id INTEGER PRIMARY KEY, realm TEXT NOT NULL,"
            " user TEXT NOT NULL, address TEXT NOT NULL, at INTEGER NOT NULL);"
            "CREATE INDEX IF NOT EXISTS login_attempts_user ON login_attempts(realm, user, at);"
            "CREATE INDEX IF NOT EXISTS login_attempts_address ON login_attempts(address, at);");
}

// [SECTION] Login throttling ---------------------------------------------------------------------
LoginReservation Store::login_reserve(const std::string& realm, const std::string& user, const std::string& address,
                                      int64_t now, const LoginLimits& limits) {
  std::lock_guard<std::mutex> lock(mutex_);
  LoginReservation r;
  if (!exec("BEGIN IMMEDIATE")) return r;
  int64_t since = now - limits.window_s;
  {
    Stmt old(db_, "DELETE FROM login_attempts WHERE at <= ?");
    old.bind(1, since).step();
    Stmt q(db_, "SELECT coalesce(sum(realm = ?1 AND user = ?2 AND address = ?3), 0),"
                " coalesce(sum(realm = ?1 AND user = ?2), 0), coalesce(sum(address = ?3), 0)"
                " FROM login_attempts WHERE at > ?4 AND ((realm = ?1 AND user = ?2) OR address = ?3)");
    if (q.bind(1, realm).bind(2, user).bind(3, address).bind(4, since).step() == SQLITE_ROW) {
      r.pair_failures = (int)q.num(0);
      r.user_failures = (int)q.num(1);
      r.address_failures = (int)q.num(2);
      // Past the user's budget only an address that has not failed for this user may still try
      // (once): an attacker can slow a victim down but not lock them out from a clean address.
      bool allowed = r.pair_failures < limits.per_pair && r.address_failures < limits.per_address &&
                     (r.user_failures < limits.per_user || r.pair_failures == 0);
      if (allowed) {
        Stmt ins(db_, "INSERT INTO login_attempts(realm, user, address, at) VALUES(?,?,?,?)");
        if (ins.bind(1, realm).bind(2, user).bind(3, address).bind(4, now).step() == SQLITE_DONE)
          r.attempt = sqlite3_last_insert_rowid(db_);
      }
    }
  }
  if (!exec("COMMIT")) {
    exec("ROLLBACK");
    r.attempt = 0;
  }
  return r;
}

void Store::login_cancel(int64_t attempt) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt q(db_, "DELETE FROM login_attempts WHERE id = ?");
  q.bind(1, attempt).step();
}

void Store::login_ok(const std::string& realm, const std::string& user, const std::string& address) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt q(db_, "DELETE FROM login_attempts WHERE realm = ? AND user = ? AND address = ?");
  q.bind(1, realm).bind(2, user).bind(3, address).step();
}

// [SECTION] Accounts -----------------------------------------------------------------------------
std::optional<Account> Store::account(const std::string& realm, const std::string& user) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string sql = std::string("SELECT user, ") + (realm == "admin" ? "'admin'" : "role") +
                    ", password_hash, disabled FROM " + table_of(realm) + " WHERE user = ?";
  Stmt q(db_, sql.c_str());
  if (q.bind(1, user).step() != SQLITE_ROW) return std::nullopt;
  return Account{q.text(0), q.text(1), q.text(2), q.num(3) != 0, 0};
}

std::vector<Account> Store::accounts(const std::string& realm) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string sql = std::string("SELECT a.user, ") + (realm == "admin" ? "'admin'" : "a.role") +
                    ", a.disabled, (SELECT count(*) FROM sessions s WHERE s.user = a.user AND s.role IN " +
                    roles_of(realm) + ") FROM " + table_of(realm) + " a ORDER BY a.user";
  Stmt q(db_, sql.c_str());
  std::vector<Account> out;
  while (q.step() == SQLITE_ROW) out.push_back(Account{q.text(0), q.text(1), "", q.num(2) != 0, q.num(3)});
  return out;
}

bool Store::add_account(const std::string& realm, const std::string& user, const std::string& role,
                        const std::string& hash) {
  if (realm == "admin" ? role != "admin" : role != "mediator" && role != "council") return false;
  std::lock_guard<std::mutex> lock(mutex_);
  if (realm == "admin") {
    Stmt q(db_, "INSERT INTO admins(user, password_hash) VALUES(?,?) ON CONFLICT(user) DO NOTHING");
    return q.bind(1, user).bind(2, hash).step() == SQLITE_DONE && sqlite3_changes(db_) == 1;
  }
  Stmt q(db_, "INSERT INTO mediators(user, password_hash, role) VALUES(?,?,?) ON CONFLICT(user) DO NOTHING");
  return q.bind(1, user).bind(2, hash).bind(3, role).step() == SQLITE_DONE && sqlite3_changes(db_) == 1;
}

bool Store::set_password(const std::string& realm, const std::string& user, const std::string& hash) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!exec("BEGIN IMMEDIATE")) return false;
  bool ok = false;
  {
    std::string sql = std::string("UPDATE ") + table_of(realm) + " SET password_hash = ? WHERE user = ?";
    Stmt q(db_, sql.c_str());
    ok = q.bind(1, hash).bind(2, user).step() == SQLITE_DONE && sqlite3_changes(db_) == 1;
    std::string end = std::string("DELETE FROM sessions WHERE user = ? AND role IN ") + roles_of(realm);
    Stmt e(db_, end.c_str());
    ok = ok && e.bind(1, user).step() == SQLITE_DONE;
  }
  if (!ok || !exec("COMMIT")) {
    exec("ROLLBACK");
    return false;
  }
  return true;
}

bool Store::upgrade_hash(const std::string& realm, const std::string& user, const std::string& old_hash,
                         const std::string& new_hash) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string sql = std::string("UPDATE ") + table_of(realm) + " SET password_hash = ? WHERE user = ? AND password_hash = ?";
  Stmt q(db_, sql.c_str());
  return q.bind(1, new_hash).bind(2, user).bind(3, old_hash).step() == SQLITE_DONE && sqlite3_changes(db_) == 1;
}

bool Store::set_disabled(const std::string& realm, const std::string& user, bool disabled) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!exec("BEGIN IMMEDIATE")) return false;
  bool ok = false;
  {
    // A disabled admin's API token goes too: enabling again needs a new one (add-admin).
    std::string sql = std::string("UPDATE ") + table_of(realm) + " SET disabled = ?" +
                      (realm == "admin" && disabled ? ", token_sha256 = NULL" : "") + " WHERE user = ?";
    Stmt q(db_, sql.c_str());
    ok = q.bind(1, (int64_t)disabled).bind(2, user).step() == SQLITE_DONE && sqlite3_changes(db_) == 1;
    std::string end = std::string("DELETE FROM sessions WHERE user = ? AND role IN ") + roles_of(realm);
    Stmt e(db_, end.c_str());
    ok = ok && (!disabled || e.bind(1, user).step() == SQLITE_DONE);
  }
  if (!ok || !exec("COMMIT")) {
    exec("ROLLBACK");
    return false;
  }
  return true;
}

int Store::end_sessions(const std::string& realm, const std::string& user) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string sql = std::string("DELETE FROM sessions WHERE user = ? AND role IN ") + roles_of(realm);
  Stmt q(db_, sql.c_str());
  return q.bind(1, user).step() == SQLITE_DONE ? sqlite3_changes(db_) : 0;
}

// [SECTION] Sessions -----------------------------------------------------------------------------
bool Store::open_session(const std::string& token_sha256, const std::string& user, const std::string& role,
                         const std::string& csrf, int64_t now, int64_t max_age_s) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt q(db_, "INSERT INTO sessions(token_sha256, user, csrf, expires, role, created, last_seen) VALUES(?,?,?,?,?,?,?)");
  q.bind(1, token_sha256).bind(2, user).bind(3, csrf).bind(4, now + max_age_s).bind(5, role).bind(6, now).bind(7, now);
  return q.step() == SQLITE_DONE;
}

std::optional<ConsoleSession> Store::touch_session(const std::string& realm, const std::string& token_sha256,
                                                   int64_t now, int64_t idle_s) {
  std::lock_guard<std::mutex> lock(mutex_);
  // The account's current role and state decide, not what they were at login.
  std::string role = realm == "admin" ? "'admin'" : "a.role";
  std::string sql = "UPDATE sessions SET last_seen = ?1 WHERE token_sha256 = ?2 AND expires > ?1 AND last_seen > ?1 - ?3"
                    " AND role IN " + std::string(roles_of(realm)) + " AND EXISTS(SELECT 1 FROM " + table_of(realm) +
                    " a WHERE a.user = sessions.user AND a.disabled = 0 AND " + role + " = sessions.role)"
                    " RETURNING user, role, csrf, expires";
  Stmt q(db_, sql.c_str());
  if (q.bind(1, now).bind(2, token_sha256).bind(3, idle_s).step() != SQLITE_ROW) return std::nullopt;
  return ConsoleSession{q.text(0), q.text(1), q.text(2), q.num(3)};
}

void Store::end_session(const std::string& token_sha256) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt q(db_, "DELETE FROM sessions WHERE token_sha256 = ?");
  q.bind(1, token_sha256).step();
}

int Store::expire_sessions(int64_t now, int64_t idle_s) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt q(db_, "DELETE FROM sessions WHERE expires <= ?1 OR last_seen <= ?1 - ?2");
  return q.bind(1, now).bind(2, idle_s).step() == SQLITE_DONE ? sqlite3_changes(db_) : 0;
}

// [SECTION] Counts -------------------------------------------------------------------------------
std::vector<std::pair<std::string, int64_t>> Store::request_counts(const std::string& column) {
  if (column != "status" && column != "lang" && column != "topic" && column != "kiosk") return {};
  std::lock_guard<std::mutex> lock(mutex_);
  std::string sql = "SELECT " + column + ", count(*) FROM requests GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 100";
  Stmt q(db_, sql.c_str());
  std::vector<std::pair<std::string, int64_t>> out;
  while (q.step() == SQLITE_ROW) out.emplace_back(q.text(0), q.num(1));
  return out;
}

}  // namespace hub
