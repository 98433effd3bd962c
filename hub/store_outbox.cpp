// [SECTION] Store queries of the notifications: routing requests to recipients, escalations, the
// outbox's states, a request's timeline and the daily counts. Free functions over the store's
// one connection, each under its lock; each change is one transaction (see notify.h for the
// delivery argument).
#include "notify.h"
#include "store_internal.h"

namespace hub::outbox {

namespace {

bool audit_row(db::Lease& c, int64_t at, const std::string& actor, const std::string& role, const std::string& action,
               const std::string& object) {
  Stmt q(c, "INSERT INTO audit(at, \"user\", role, action, request_id, client) VALUES(?,?,?,?,?,'')");
  return q.bind(1, at).bind(2, actor).bind(3, role).bind(4, action).bind(5, object).step() == db::kDone;
}

const char* kColumns = "r.id, r.ref, r.kiosk, r.lang, r.topic, r.received_at, r.status, r.created_unix, r.mediator";

Request read(Stmt& q) {
  Request r;
  r.id = q.text(0);
  r.ref = q.text(1);
  r.kiosk = q.text(2);
  r.lang = q.text(3);
  r.topic = q.text(4);
  r.received_at = q.num(5);
  r.status = q.text(6);
  r.created_unix = q.num(7);
  r.mediator = q.text(8);
  return r;
}

bool add_items(db::Lease& c, const std::vector<Profile>& to, const std::string& kind, const std::string& request_id,
               const std::string& note, int64_t now) {
  for (const Profile& p : to) {
    Stmt q(c, "INSERT INTO notify_items(realm, \"user\", kind, request_id, note, created_at) VALUES(?,?,?,?,?,?)");
    if (q.bind(1, p.realm).bind(2, p.user).bind(3, kind).bind(4, request_id).bind(5, note).bind(6, now).step() !=
        db::kDone)
      return false;
  }
  return true;
}

OutboxMail read_mail(Stmt& q) {
  OutboxMail m;
  m.id = q.num(0);
  m.realm = q.text(1);
  m.user = q.text(2);
  m.email = q.text(3);
  m.subject = q.text(4);
  m.body = q.text(5);
  m.message_id = q.text(6);
  m.state = q.text(7);
  m.attempts = q.num(8);
  m.next_at = q.num(9);
  m.created_at = q.num(10);
  m.sent_at = q.num(11);
  m.last_answer = q.text(12);
  return m;
}
const char* kMailColumns =
    "id, realm, \"user\", email, subject, body, message_id, state, attempts, next_at, created_at, sent_at, last_answer";

}  // namespace

static bool route_one(db::Lease& c, const Request& r, const std::vector<Profile>& to, int64_t now);

std::string state(Store& st, const std::string& key) {
  db::Lease c = st.lease();
  Stmt q(c, "SELECT value FROM notify_state WHERE key = ?");
  return q.bind(1, key).step() == db::kRow ? q.text(0) : std::string();
}

bool set_state(Store& st, const std::string& key, const std::string& value) {
  db::Lease c = st.lease();
  Stmt q(c, "INSERT INTO notify_state(key, value) VALUES(?,?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  return q.bind(1, key).bind(2, value).step() == db::kDone;
}

std::vector<Request> unrouted(Store& st, int64_t since) {
  db::Lease c = st.lease();
  std::string sql = std::string("SELECT ") + kColumns +
                    " FROM requests r WHERE r.received_at >= ? AND NOT EXISTS (SELECT 1 FROM notify_routed n"
                    " WHERE n.request_id = r.id) ORDER BY r.received_at, r." + insertion_order(c) + " LIMIT " +
                    std::to_string(kUnroutedBatch);
  Stmt q(c, sql);
  q.bind(1, since);
  std::vector<Request> out;
  while (q.step() == db::kRow) out.push_back(read(q));
  return out;
}

bool route(Store& st, const std::vector<std::pair<Request, std::vector<Profile>>>& routes, int64_t now) {
  db::Lease c = st.lease();
  return db::transaction(c, [&] {
    for (const auto& [r, to] : routes)
      if (!route_one(c, r, to, now)) return false;
    return true;
  });
}

// One request's routing, inside route()'s transaction.
static bool route_one(db::Lease& c, const Request& r, const std::vector<Profile>& to, int64_t now) {
  Stmt q(c, "INSERT INTO notify_routed(request_id, at) VALUES(?,?) ON CONFLICT DO NOTHING");
  if (q.bind(1, r.id).bind(2, now).step() != db::kDone || q.changes() != 1) return false;
  // The timeline's first steps: made at the kiosk (its clock), received by the hub.
  if (r.created_unix > 0 && !audit_row(c, r.created_unix, r.kiosk, "kiosk", "created", r.id)) return false;
  if (!audit_row(c, r.received_at, r.kiosk, "kiosk", "received", r.id)) return false;
  for (const Profile& p : to)
    if (!audit_row(c, now, "sportello-hub", "system", "notify_queued:" + p.user, r.id)) return false;
  if (to.empty() && !audit_row(c, now, "sportello-hub", "system", "notify_nobody", r.id)) return false;
  return add_items(c, to, "new", r.id, "", now);
}

std::vector<Request> unescalated(Store& st) {
  db::Lease c = st.lease();
  std::string sql = std::string("SELECT ") + kColumns +
                    " FROM requests r WHERE r.status = 'received' AND r.expired_at = 0 AND NOT EXISTS"
                    " (SELECT 1 FROM notify_escalations e WHERE e.request_id = r.id) ORDER BY r.received_at LIMIT 1000";
  Stmt q(c, sql);
  std::vector<Request> out;
  while (q.step() == db::kRow) out.push_back(read(q));
  return out;
}

bool escalate(Store& st, const Request& r, const std::vector<Profile>& to, int64_t now) {
  db::Lease c = st.lease();
  return db::transaction(c, [&] {
    Stmt q(c, "INSERT INTO notify_escalations(request_id, at) VALUES(?,?) ON CONFLICT DO NOTHING");
    if (q.bind(1, r.id).bind(2, now).step() != db::kDone || q.changes() != 1) return false;
    if (!audit_row(c, now, "sportello-hub", "system", "escalated", r.id)) return false;
    for (const Profile& p : to)
      if (!audit_row(c, now, "sportello-hub", "system", "notify_queued:" + p.user, r.id)) return false;
    return add_items(c, to, "escalation", r.id, "", now);
  });
}

bool queue_summary(Store& st, const std::vector<Profile>& to, const std::string& note, int64_t now) {
  db::Lease c = st.lease();
  return db::transaction(c, [&] { return add_items(c, to, "summary", "", note, now); });
}

std::vector<std::pair<std::string, std::string>> waiting_recipients(Store& st) {
  db::Lease c = st.lease();
  Stmt q(c, "SELECT DISTINCT realm, \"user\" FROM notify_items WHERE mail_id IS NULL ORDER BY realm, \"user\"");
  std::vector<std::pair<std::string, std::string>> out;
  while (q.step() == db::kRow) out.push_back({q.text(0), q.text(1)});
  return out;
}

std::vector<Item> items_of(Store& st, const std::string& realm, const std::string& user) {
  db::Lease c = st.lease();
  Stmt q(c, "SELECT id, kind, request_id, note, created_at FROM notify_items WHERE mail_id IS NULL AND realm = ?"
                      " AND \"user\" = ? ORDER BY id LIMIT 200");
  q.bind(1, realm).bind(2, user);
  std::vector<Item> out;
  while (q.step() == db::kRow) out.push_back({q.num(0), q.text(1), q.text(2), q.text(3), q.num(4)});
  return out;
}

int64_t last_mail_at(Store& st, const std::string& realm, const std::string& user) {
  db::Lease c = st.lease();
  Stmt q(c, "SELECT coalesce(max(created_at), 0) FROM notify_mails WHERE realm = ? AND \"user\" = ?");
  return q.bind(1, realm).bind(2, user).step() == db::kRow ? q.num(0) : 0;
}

int64_t create_mail(Store& st, const std::string& realm, const std::string& user, const std::string& email,
                    const std::string& subject, const std::string& body, const std::string& message_domain,
                    const std::vector<int64_t>& items, int64_t now) {
  db::Lease c = st.lease();
  int64_t id = 0;
  bool ok = db::transaction(c, [&] {
    id = 0;
    Stmt q(c, "INSERT INTO notify_mails(realm, \"user\", email, subject, body, message_id, created_at, next_at)"
              " VALUES(?,?,?,?,?,?,?,?) RETURNING id");
    q.bind(1, realm).bind(2, user).bind(3, email).bind(4, subject).bind(5, body);
    q.bind(6, "new-" + random_token(12)).bind(7, now).bind(8, now);
    if (q.step() != db::kRow) return false;
    id = q.num(0);
    // The Message-ID names the outbox row: every attempt of this mail carries the same one.
    Stmt m(c, "UPDATE notify_mails SET message_id = ? WHERE id = ?");
    if (m.bind(1, "<sportello-notify-" + std::to_string(id) + "." + message_domain + ">").bind(2, id).step() !=
        db::kDone)
      return false;
    for (int64_t item : items) {
      Stmt t(c, "UPDATE notify_items SET mail_id = ? WHERE id = ? AND mail_id IS NULL");
      if (t.bind(1, id).bind(2, item).step() != db::kDone || t.changes() != 1) return false;
    }
    return true;
  });
  return ok ? id : 0;
}

std::optional<OutboxMail> next_due(Store& st, int64_t now) {
  db::Lease c = st.lease();
  std::string sql = std::string("SELECT ") + kMailColumns +
                    " FROM notify_mails WHERE state IN ('pending', 'sending') AND next_at <= ? ORDER BY next_at, id LIMIT 1";
  Stmt q(c, sql);
  if (q.bind(1, now).step() != db::kRow) return std::nullopt;
  return read_mail(q);
}

int64_t earliest_pending(Store& st) {
  db::Lease c = st.lease();
  Stmt q(c, "SELECT coalesce(min(next_at), 0) FROM notify_mails WHERE state IN ('pending', 'sending')");
  return q.step() == db::kRow ? q.num(0) : 0;
}

bool mark_sending(Store& st, int64_t id) {
  db::Lease c = st.lease();
  Stmt q(c, "UPDATE notify_mails SET state = 'sending', attempts = attempts + 1 WHERE id = ?");
  return q.bind(1, id).step() == db::kDone && q.changes() == 1;
}

bool mark_sent(Store& st, int64_t id, const std::string& answer, int64_t now) {
  db::Lease c = st.lease();
  return db::transaction(c, [&] {
    Stmt q(c, "UPDATE notify_mails SET state = 'sent', sent_at = ?, last_answer = ? WHERE id = ?");
    if (q.bind(1, now).bind(2, answer).bind(3, id).step() != db::kDone) return false;
    // The timeline: who was told about which request, once the relay took the mail.
    Stmt items(c, "SELECT i.request_id, m.\"user\" FROM notify_items i JOIN notify_mails m ON m.id = i.mail_id"
                   " WHERE i.mail_id = ? AND i.request_id != ''");
    items.bind(1, id);
    std::vector<std::pair<std::string, std::string>> rows;
    while (items.step() == db::kRow) rows.push_back({items.text(0), items.text(1)});
    for (const auto& [request, user] : rows)
      if (!audit_row(c, now, "sportello-hub", "system", "notify_sent:" + user, request)) return false;
    return true;
  });
}

bool mark_retry(Store& st, int64_t id, const std::string& answer, int64_t next_at) {
  db::Lease c = st.lease();
  Stmt q(c, "UPDATE notify_mails SET state = 'pending', next_at = ?, last_answer = ? WHERE id = ?");
  return q.bind(1, next_at).bind(2, answer).bind(3, id).step() == db::kDone;
}

std::vector<OutboxMail> list(Store& st, int64_t limit) {
  db::Lease c = st.lease();
  std::string sql = std::string("SELECT ") + kMailColumns + " FROM notify_mails ORDER BY id DESC LIMIT ?";
  Stmt q(c, sql);
  q.bind(1, limit);
  std::vector<OutboxMail> out;
  while (q.step() == db::kRow) out.push_back(read_mail(q));
  return out;
}

std::vector<TimelineStep> timeline(Store& st, const std::string& request_id) {
  db::Lease c = st.lease();
  std::string sql = std::string("SELECT at, \"user\", role, action FROM audit WHERE request_id = ? ORDER BY at, ") +
                    insertion_order(c);
  Stmt q(c, sql);
  q.bind(1, request_id);
  std::vector<TimelineStep> out;
  while (q.step() == db::kRow) out.push_back({q.num(0), q.text(1), q.text(2), q.text(3)});
  return out;
}

std::set<std::string> escalated_open(Store& st) {
  db::Lease c = st.lease();
  Stmt q(c, "SELECT e.request_id FROM notify_escalations e JOIN requests r ON r.id = e.request_id"
                      " WHERE r.status = 'received'");
  std::set<std::string> out;
  while (q.step() == db::kRow) out.insert(q.text(0));
  return out;
}

DaySummary day_summary(Store& st, int64_t day_start, int64_t now) {
  db::Lease c = st.lease();
  Stmt q(c, "SELECT count(*) FILTER (WHERE status IN ('received', 'in_progress')),"
                      " count(*) FILTER (WHERE status = 'received'),"
                      " count(*) FILTER (WHERE claimed_at >= ?1 AND claimed_at < ?2),"
                      " count(*) FILTER (WHERE closed_at >= ?1 AND closed_at < ?2),"
                      " coalesce(min(received_at) FILTER (WHERE status = 'received'), 0)"
                      " FROM requests WHERE expired_at = 0 OR closed_at >= ?1");
  q.bind(1, day_start).bind(2, now);
  DaySummary d;
  if (q.step() == db::kRow) d = {q.num(0), q.num(1), q.num(2), q.num(3), q.num(4)};
  return d;
}

}  // namespace hub::outbox
