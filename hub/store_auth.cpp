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
  db::Lease c = db_->lease();
  LoginReservation r;
  int64_t since = now - limits.window_s;
  bool committed = db::transaction(c, [&] {
    r = LoginReservation{};
    Stmt old(c, "DELETE FROM login_attempts WHERE at <= ?");
    if (old.bind(1, since).step() != db::kDone) return false;
    Stmt q(c, "SELECT count(*) FILTER (WHERE realm = ?1 AND \"user\" = ?2 AND address = ?3),"
              " count(*) FILTER (WHERE realm = ?1 AND \"user\" = ?2), count(*) FILTER (WHERE address = ?3)"
              " FROM login_attempts WHERE at > ?4 AND ((realm = ?1 AND \"user\" = ?2) OR address = ?3)");
    if (q.bind(1, realm).bind(2, user).bind(3, address).bind(4, since).step() != db::kRow) return false;
    r.pair_failures = (int)q.num(0);
    r.user_failures = (int)q.num(1);
    r.address_failures = (int)q.num(2);
    // Past the user's budget only an address that has not failed for this user may still try
    // (once): an attacker can slow a victim down but not lock them out from a clean address.
    bool allowed = r.pair_failures < limits.per_pair && r.address_failures < limits.per_address &&
                   (r.user_failures < limits.per_user || r.pair_failures == 0);
    if (!allowed) return true;
    Stmt ins(c, "INSERT INTO login_attempts(realm, \"user\", address, at) VALUES(?,?,?,?) RETURNING id");
    if (ins.bind(1, realm).bind(2, user).bind(3, address).bind(4, now).step() != db::kRow) return false;
    r.attempt = ins.num(0);
    return true;
  });
  if (!committed) r.attempt = 0;
  return r;
}

void Store::login_cancel(int64_t attempt) {
  db::Lease c = db_->lease();
  Stmt q(c, "DELETE FROM login_attempts WHERE id = ?");
  q.bind(1, attempt).step();
}

void Store::login_ok(const std::string& realm, const std::string& user, const std::string& address) {
  db::Lease c = db_->lease();
  Stmt q(c, "DELETE FROM login_attempts WHERE realm = ? AND \"user\" = ? AND address = ?");
  q.bind(1, realm).bind(2, user).bind(3, address).step();
}

// [SECTION] Accounts -----------------------------------------------------------------------------
std::optional<Account> Store::account(const std::string& realm, const std::string& user) {
  db::Lease c = db_->lease();
  std::string sql = std::string("SELECT \"user\", ") + (realm == "admin" ? "'admin'" : "role") +
                    ", password_hash, disabled FROM " + table_of(realm) + " WHERE \"user\" = ?";
  Stmt q(c, sql);
  if (q.bind(1, user).step() != db::kRow) return std::nullopt;
  return Account{q.text(0), q.text(1), q.text(2), q.num(3) != 0, 0};
}

std::vector<Account> Store::accounts(const std::string& realm) {
  db::Lease c = db_->lease();
  std::string sql = std::string("SELECT a.\"user\", ") + (realm == "admin" ? "'admin'" : "a.role") +
                    ", a.disabled, (SELECT count(*) FROM sessions s WHERE s.\"user\" = a.\"user\" AND s.role IN " +
                    roles_of(realm) + ") FROM " + table_of(realm) + " a ORDER BY a.\"user\"";
  Stmt q(c, sql);
  std::vector<Account> out;
  while (q.step() == db::kRow) out.push_back(Account{q.text(0), q.text(1), "", q.num(2) != 0, q.num(3)});
  return out;
}

bool Store::add_account(const std::string& realm, const std::string& user, const std::string& role,
                        const std::string& hash) {
  if (realm == "admin" ? role != "admin" : role != "mediator" && role != "council") return false;
  db::Lease c = db_->lease();
  if (realm == "admin") {
    Stmt q(c, "INSERT INTO admins(\"user\", password_hash) VALUES(?,?) ON CONFLICT(\"user\") DO NOTHING");
    return q.bind(1, user).bind(2, hash).step() == db::kDone && q.changes() == 1;
  }
  Stmt q(c, "INSERT INTO mediators(\"user\", password_hash, role) VALUES(?,?,?) ON CONFLICT(\"user\") DO NOTHING");
  return q.bind(1, user).bind(2, hash).bind(3, role).step() == db::kDone && q.changes() == 1;
}

bool Store::set_password(const std::string& realm, const std::string& user, const std::string& hash) {
  db::Lease c = db_->lease();
  return db::transaction(c, [&] {
    std::string sql = std::string("UPDATE ") + table_of(realm) + " SET password_hash = ? WHERE \"user\" = ?";
    Stmt q(c, sql);
    if (q.bind(1, hash).bind(2, user).step() != db::kDone || q.changes() != 1) return false;
    std::string end = std::string("DELETE FROM sessions WHERE \"user\" = ? AND role IN ") + roles_of(realm);
    Stmt e(c, end);
    return e.bind(1, user).step() == db::kDone;
  });
}

bool Store::upgrade_hash(const std::string& realm, const std::string& user, const std::string& old_hash,
                         const std::string& new_hash) {
  db::Lease c = db_->lease();
  std::string sql =
      std::string("UPDATE ") + table_of(realm) + " SET password_hash = ? WHERE \"user\" = ? AND password_hash = ?";
  Stmt q(c, sql);
  return q.bind(1, new_hash).bind(2, user).bind(3, old_hash).step() == db::kDone && q.changes() == 1;
}

bool Store::set_disabled(const std::string& realm, const std::string& user, bool disabled) {
  db::Lease c = db_->lease();
  return db::transaction(c, [&] {
    // A disabled admin's API token goes too: enabling again needs a new one (add-admin).
    std::string sql = std::string("UPDATE ") + table_of(realm) + " SET disabled = ?" +
                      (realm == "admin" && disabled ? ", token_sha256 = NULL" : "") + " WHERE \"user\" = ?";
    Stmt q(c, sql);
    if (q.bind(1, (int64_t)disabled).bind(2, user).step() != db::kDone || q.changes() != 1) return false;
    if (!disabled) return true;
    std::string end = std::string("DELETE FROM sessions WHERE \"user\" = ? AND role IN ") + roles_of(realm);
    Stmt e(c, end);
    return e.bind(1, user).step() == db::kDone;
  });
}

int Store::end_sessions(const std::string& realm, const std::string& user) {
  db::Lease c = db_->lease();
  std::string sql = std::string("DELETE FROM sessions WHERE \"user\" = ? AND role IN ") + roles_of(realm);
  Stmt q(c, sql);
  return q.bind(1, user).step() == db::kDone ? (int)q.changes() : 0;
}

// [SECTION] Sessions -----------------------------------------------------------------------------
bool Store::open_session(const std::string& token_sha256, const std::string& user, const std::string& role,
                         const std::string& csrf, int64_t now, int64_t max_age_s) {
  db::Lease c = db_->lease();
  Stmt q(c, "INSERT INTO sessions(token_sha256, \"user\", csrf, expires, role, created, last_seen) VALUES(?,?,?,?,?,?,?)");
  q.bind(1, token_sha256).bind(2, user).bind(3, csrf).bind(4, now + max_age_s).bind(5, role).bind(6, now).bind(7, now);
  return q.step() == db::kDone;
}

std::optional<ConsoleSession> Store::touch_session(const std::string& realm, const std::string& token_sha256,
                                                   int64_t now, int64_t idle_s) {
  db::Lease c = db_->lease();
  // The account's current role and state decide, not what they were at login.
  std::string role = realm == "admin" ? "'admin'" : "a.role";
  std::string sql = "UPDATE sessions SET last_seen = ?1 WHERE token_sha256 = ?2 AND expires > ?1 AND last_seen > ?1 - ?3"
                    " AND role IN " + std::string(roles_of(realm)) + " AND EXISTS(SELECT 1 FROM " + table_of(realm) +
                    " a WHERE a.\"user\" = sessions.\"user\" AND a.disabled = 0 AND " + role + " = sessions.role)"
                    " RETURNING \"user\", role, csrf, expires";
  Stmt q(c, sql);
  if (q.bind(1, now).bind(2, token_sha256).bind(3, idle_s).step() != db::kRow) return std::nullopt;
  return ConsoleSession{q.text(0), q.text(1), q.text(2), q.num(3)};
}

void Store::end_session(const std::string& token_sha256) {
  db::Lease c = db_->lease();
  Stmt q(c, "DELETE FROM sessions WHERE token_sha256 = ?");
  q.bind(1, token_sha256).step();
}

int Store::expire_sessions(int64_t now, int64_t idle_s) {
  db::Lease c = db_->lease();
  Stmt q(c, "DELETE FROM sessions WHERE expires <= ?1 OR last_seen <= ?1 - ?2");
  return q.bind(1, now).bind(2, idle_s).step() == db::kDone ? (int)q.changes() : 0;
}

// [SECTION] Counts -------------------------------------------------------------------------------
std::vector<std::pair<std::string, int64_t>> Store::request_counts(const std::string& column) {
  if (column != "status" && column != "lang" && column != "topic" && column != "kiosk") return {};
  db::Lease c = db_->lease();
  std::string sql = "SELECT " + column + ", count(*) FROM requests GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 100";
  Stmt q(c, sql);
  std::vector<std::pair<std::string, int64_t>> out;
  while (q.step() == db::kRow) out.emplace_back(q.text(0), q.num(1));
  return out;
}

}  // namespace hub
