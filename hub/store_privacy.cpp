// [SECTION] Store: privacy by default and the kiosk's reach. A request's personal data opens only
// for the mediator who claimed it, only after the view is in the audit log, and never after its
// retention; a kiosk stores only references of its own prefix, each reference once, within its
// per-minute and per-day limits, and hears only about its own references. The audit log is
// append-only: triggers refuse any UPDATE or DELETE of its rows.
#include "store_internal.h"

#include <nlohmann/json.hpp>
#include <sodium.h>

namespace hub {

bool Store::migrate_privacy() {
  // Kiosks provisioned before prefixes take the one prefix their stored requests all share (a
  // kiosk whose history shows two, or none, stays without one until an operator gives it one).
  if (!exec("UPDATE OR IGNORE kiosks SET ref_prefix = (SELECT substr(ref, 1, instr(ref, '-') - 1) FROM requests"
            " WHERE kiosk = kiosks.id LIMIT 1) WHERE ref_prefix IS NULL AND (SELECT count(DISTINCT"
            " substr(ref, 1, instr(ref, '-') - 1)) FROM requests WHERE kiosk = kiosks.id) = 1") ||
      !exec("CREATE UNIQUE INDEX IF NOT EXISTS kiosks_ref_prefix ON kiosks(ref_prefix);"
            "CREATE INDEX IF NOT EXISTS requests_kiosk_time ON requests(kiosk, received_at);"
            "CREATE INDEX IF NOT EXISTS requests_status_time ON requests(status, received_at);"
            "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit"
            " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
            "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit"
            " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"))
    return false;
  // One request per reference. A database from before this rule may already hold a duplicate:
  // then the old index stays and store() still refuses a second one inside its transaction.
  if (exec("CREATE UNIQUE INDEX IF NOT EXISTS requests_ref_unique ON requests(ref)")) exec("DROP INDEX IF EXISTS requests_ref");
  error_.clear();
  return true;
}

// Seconds until the oldest of the kiosk's requests received since `since` leaves the window, or
// -1 when fewer than `limit` arrived since then (inside the caller's transaction).
static int64_t over_limit(db::Lease& c, const std::string& kiosk, int64_t since, int64_t window, int64_t limit,
                          int64_t now) {
  if (limit <= 0) return -1;
  Stmt q(c, "SELECT count(*), min(received_at) FROM requests WHERE kiosk = ? AND received_at > ?");
  if (q.bind(1, kiosk).bind(2, since).step() != db::kRow || q.num(0) < limit) return -1;
  return std::max<int64_t>(1, q.num(1) + window - now + 1);
}

// One attempt of store(): the checks and the insert, inside its transaction. False: roll back.
static bool store_once(db::Lease& c, const Request& r, const std::string& body_sha256, int64_t now,
                       const KioskLimits& limits, StoreResult* result, int64_t* wait) {
  *result = StoreResult::Error;
  *wait = 0;
  // PostgreSQL, read committed: one store at a time per kiosk, so its limits are counted on every
  // request it stored before; a twin stored meanwhile by another kiosk (the same id or reference)
  // fails the insert on its unique index, and the run again answers from the checks.
  if (c->dialect() == db::Dialect::Postgres) {
    Stmt lock(c, "SELECT 1 FROM kiosks WHERE id = ? FOR UPDATE");
    if (lock.bind(1, r.kiosk).step() == db::kError) return false;
  }
  Stmt seen(c, "SELECT body_sha256 FROM requests WHERE id = ?");
  int rc = seen.bind(1, r.id).step();
  // A retry of a stored request is answered whatever the limits: it costs nothing.
  if (rc == db::kRow) {
    *result = seen.text(0) == body_sha256 ? StoreResult::Replayed : StoreResult::Conflict;
    return true;
  }
  if (rc != db::kDone) return false;
  Stmt taken(c, "SELECT 1 FROM requests WHERE ref = ? AND id != ?");
  if (int t = taken.bind(1, r.ref).bind(2, r.id).step(); t != db::kDone) {
    *result = t == db::kRow ? StoreResult::RefConflict : StoreResult::Error;
    return t == db::kRow;
  }
  if ((*wait = over_limit(c, r.kiosk, now - 60, 60, limits.per_minute, now)) > 0) {
    *result = StoreResult::RateLimited;
    return true;
  }
  if ((*wait = over_limit(c, r.kiosk, now - 86400, 86400, limits.per_day, now)) > 0) {
    *result = StoreResult::QuotaExceeded;
    return true;
  }
  *wait = 0;
  // The retention clock starts at creation, but never later than arrival.
  int64_t created = parse_utc(r.created_at);
  created = created < 0 || created > now ? now : created;
  Stmt ins(c, "INSERT INTO requests(id, ref, kiosk, created_at, received_at, lang, topic, contact, desk_day,"
              " sealed, body_sha256, created_unix) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
  ins.bind(1, r.id).bind(2, r.ref).bind(3, r.kiosk).bind(4, r.created_at).bind(5, now).bind(6, r.lang);
  ins.bind(7, r.topic).bind(8, r.contact).bind(9, r.desk_day).bind_blob(10, r.sealed).bind(11, body_sha256);
  ins.bind(12, created);
  if (ins.step() == db::kDone) {
    *result = StoreResult::Created;
    return true;
  }
  // SQLite: an old database's duplicate reference. PostgreSQL: another instance stored this id
  // or reference after our checks; the transaction fails and runs again, and its checks answer.
  if (ins.unique_violation()) *result = StoreResult::RefConflict;
  return ins.unique_violation();
}

StoreResult Store::store(const Request& r, const std::string& body_sha256, int64_t now, const KioskLimits& limits,
                         int64_t* retry_after_s) {
  db::Lease c = db_->lease();
  // One transaction: two identical posts racing each other still store one row, and the 201
  // leaves only once the commit returned.
  StoreResult result = StoreResult::Error;
  int64_t wait = 0;
  if (!db::transaction(c, [&] { return store_once(c, r, body_sha256, now, limits, &result, &wait); },
                       db::Isolation::RowLocks))
    return StoreResult::Error;
  if (retry_after_s) *retry_after_s = wait;
  return result;
}

std::optional<std::string> Store::status_of(const std::string& ref, const std::string& kiosk, int64_t expire_before) {
  db::Lease c = db_->lease();
  Stmt q(c, "SELECT status, expired_at, CASE WHEN created_unix > 0 THEN created_unix ELSE received_at END"
              " FROM requests WHERE ref = ? AND kiosk = ?");
  if (q.bind(1, ref).bind(2, kiosk).step() != db::kRow) return std::nullopt;
  if (q.num(1) > 0 || q.num(2) < expire_before) return "expired";
  return q.text(0);
}

std::optional<std::string> Store::kiosk_ref_prefix(const std::string& kiosk, bool* unavailable) {
  db::Lease c = db_->lease();
  return lookup_text(c, "SELECT ref_prefix FROM kiosks WHERE id = ? AND ref_prefix IS NOT NULL", kiosk, unavailable);
}

bool Store::set_ref_prefix(const std::string& kiosk, const std::string& ref_prefix) {
  if (!valid_ref_prefix(ref_prefix)) return false;
  db::Lease c = db_->lease();
  Stmt q(c, "UPDATE kiosks SET ref_prefix = ? WHERE id = ?");
  return q.bind(1, ref_prefix).bind(2, kiosk).step() == db::kDone && q.changes() == 1;
}

// Zeroes every string inside a parsed JSON value (the parser's copies of the plaintext).
static void wipe_json(nlohmann::json& j) {
  if (j.is_string()) {
    std::string& s = j.get_ref<std::string&>();
    if (s.capacity() > 0) sodium_memzero(s.data(), s.capacity());
  } else if (j.is_structured()) {
    for (auto& item : j) wipe_json(item);
  }
}

// Reads {"name":"...","phone":"..."} (both strings) into wiping memory; false when it is not that.
static bool read_person(const SecretString& plain, Personal* out) {
  nlohmann::json person = nlohmann::json::parse(plain.str(), nullptr, false);
  bool ok = person.is_object() && person.contains("name") && person["name"].is_string() && person.contains("phone") &&
            person["phone"].is_string();
  if (ok) {
    out->name = SecretString(person["name"].get_ref<const std::string&>());
    out->phone = SecretString(person["phone"].get_ref<const std::string&>());
    // What the kiosk sealed is shown as text: nothing that reorders or hides the page around it.
    strip_unsafe_text(&out->name.buffer());
    strip_unsafe_text(&out->phone.buffer());
  }
  if (!person.is_discarded()) wipe_json(person);
  return ok;
}

OpenResult Store::open_personal(const std::string& id, const KeyPair& keys, const AuditEvent& view,
                                int64_t expire_before, Personal* out) {
  out->name.wipe();
  out->phone.wipe();
  db::Lease c = db_->lease();
  Stmt q(c, "SELECT status, mediator, sealed, expired_at, CASE WHEN created_unix > 0 THEN created_unix"
              " ELSE received_at END FROM requests WHERE id = ?");
  if (q.bind(1, id).step() != db::kRow) return OpenResult::NotFound;
  std::vector<unsigned char> sealed = q.blob(2);
  if (q.num(3) > 0 || q.num(4) < expire_before || sealed.empty()) return OpenResult::Expired;
  if (q.text(0) != "in_progress" || view.actor.empty() || q.text(1) != view.actor) return OpenResult::NotClaimant;
  SecretString plain;
  if (!open_sealed(keys, sealed, &plain) || !read_person(plain, out)) {
    out->name.wipe();
    out->phone.wipe();
    return OpenResult::Unreadable;
  }
  Stmt a(c, "INSERT INTO audit(at, \"user\", role, action, request_id, client) VALUES(?,?,?,?,?,?)");
  a.bind(1, view.at).bind(2, view.actor).bind(3, view.role).bind(4, std::string("view_personal"));
  if (a.bind(5, id).bind(6, view.client).step() != db::kDone) {
    out->name.wipe();
    out->phone.wipe();
    return OpenResult::AuditFailed;
  }
  return OpenResult::Ok;
}

// An audit field as stored: at most 256 bytes, without control or bidi characters (a failed
// login's user name is whatever was typed; it must not rewrite the log's lines when read).
static std::string audit_text(const std::string& s) {
  std::string t = s.substr(0, 256);
  strip_unsafe_text(&t);
  return t;
}

bool Store::audit(const AuditEvent& e) {
  db::Lease c = db_->lease();
  Stmt q(c, "INSERT INTO audit(at, \"user\", role, action, request_id, client) VALUES(?,?,?,?,?,?)");
  q.bind(1, e.at).bind(2, audit_text(e.actor)).bind(3, audit_text(e.role)).bind(4, audit_text(e.action));
  q.bind(5, audit_text(e.object)).bind(6, audit_text(e.client));
  return q.step() == db::kDone;
}

std::vector<AuditEvent> Store::audit_log(int64_t limit) {
  db::Lease c = db_->lease();
  // Rows from before the role and client columns read as "" there.
  std::string sql = std::string("SELECT coalesce(at, 0), coalesce(\"user\", ''), coalesce(role, ''), coalesce(action, ''),"
                    " coalesce(request_id, ''), coalesce(client, '') FROM audit ORDER BY ") + insertion_order(c) +
                    " DESC LIMIT ?";
  Stmt q(c, sql);
  q.bind(1, limit);
  std::vector<AuditEvent> out;
  while (q.step() == db::kRow) out.push_back({q.num(0), q.text(1), q.text(2), q.text(3), q.text(4), q.text(5)});
  return out;
}

int Store::erase(const std::string& ref, const AuditEvent& by) {
  db::Lease c = db_->lease();
  int result = -1;
  bool committed = db::transaction(c, [&] {
    result = -1;
    Stmt find(c, "SELECT id FROM requests WHERE ref = ?");
    int rc = find.bind(1, ref).step();
    if (rc == db::kDone) result = 0;
    if (rc != db::kRow) return rc == db::kDone;
    std::string id = find.text(0);
    // The desk day is a date the visitor chose: it goes with the name and phone.
    Stmt upd(c, "UPDATE requests SET sealed = NULL, desk_day = '', expired_at = ? WHERE id = ?");
    Stmt a(c, "INSERT INTO audit(at, \"user\", role, action, request_id, client) VALUES(?,?,?,?,?,?)");
    a.bind(1, by.at).bind(2, by.actor).bind(3, by.role).bind(4, std::string("erase")).bind(5, id).bind(6, by.client);
    if (upd.bind(1, by.at).bind(2, id).step() != db::kDone || a.step() != db::kDone) return false;
    result = 1;
    return true;
  });
  if (!committed) return -1;
  // secure_delete + checkpoint: gone from SQLite's WAL too (PostgreSQL: VACUUM reclaims the old row).
  if (result > 0 && c.dialect() == db::Dialect::Sqlite) c->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  return result;
}

}  // namespace hub
