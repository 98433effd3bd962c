// [SECTION] Store: mediator profiles, and the tables of the notifications (outbox, routed requests,
// escalations, the sender's state). The outbox's own queries are in store_outbox.cpp.
//
// Nothing here holds a visitor's personal data: profiles are staff data; outbox rows carry a
// request's id, reference, language, topic, desk and age, never a name or phone.
#include "store_internal.h"

#include <algorithm>

namespace hub {

namespace {

const char* kNotifySchema =
    // One row per account that has a profile; languages and desks are comma-separated lists.
    "CREATE TABLE IF NOT EXISTS profiles(realm TEXT NOT NULL, user TEXT NOT NULL, languages TEXT NOT NULL DEFAULT '',"
    " desks TEXT NOT NULL DEFAULT '', on_duty INTEGER NOT NULL DEFAULT 0, coordinator INTEGER NOT NULL DEFAULT 0,"
    " email TEXT NOT NULL DEFAULT '', updated_at INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(realm, user));"
    // What someone is to be told (a new request, an escalation, the daily summary), until a mail
    // takes it (mail_id set in the same transaction that creates the mail).
    "CREATE TABLE IF NOT EXISTS notify_items(id INTEGER PRIMARY KEY, realm TEXT NOT NULL, user TEXT NOT NULL,"
    " kind TEXT NOT NULL, request_id TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '',"
    " created_at INTEGER NOT NULL, mail_id INTEGER);"
    "CREATE INDEX IF NOT EXISTS notify_items_open ON notify_items(mail_id, realm, user);"
    // The outbox: one row per mail, sent exactly once in the normal case (see notify.h).
    "CREATE TABLE IF NOT EXISTS notify_mails(id INTEGER PRIMARY KEY, realm TEXT NOT NULL, user TEXT NOT NULL,"
    " email TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL, message_id TEXT NOT NULL UNIQUE,"
    " state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL, sent_at INTEGER NOT NULL DEFAULT 0, last_answer TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS notify_mails_due ON notify_mails(state, next_at);"
    // Requests whose recipients were chosen (once each); requests that escalated (once each).
    "CREATE TABLE IF NOT EXISTS notify_routed(request_id TEXT PRIMARY KEY, at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS notify_escalations(request_id TEXT PRIMARY KEY, at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS notify_state(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    // The notifier looks every second for requests not yet routed and for unclaimed ones.
    "CREATE INDEX IF NOT EXISTS requests_received_at ON requests(received_at);"
    "CREATE INDEX IF NOT EXISTS requests_status ON requests(status);";

bool valid_email(const std::string& e) {
  if (e.size() < 3 || e.size() > 254) return false;
  size_t at = e.find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= e.size() || e.find('@', at + 1) != std::string::npos)
    return false;
  for (unsigned char c : e)
    if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == ',' || c == ';' || c == '"' || c == '\\' ||
        c == '(' || c == ')' || c == '[' || c == ']' || c == ':')
      return false;
  return e.find('.', at) != std::string::npos;
}

const char* table_of(const std::string& realm) { return realm == "admin" ? "admins" : "mediators"; }

// Every account of the realm (or one user) joined with its profile.
std::vector<Profile> read_profiles(db::Lease& c, const std::string& realm, const std::string& user) {
  std::string sql = std::string("SELECT a.\"user\", ") + (realm == "admin" ? "'admin'" : "a.role") +
                    ", a.disabled, coalesce(p.languages, ''), coalesce(p.desks, ''), coalesce(p.on_duty, 0),"
                    " coalesce(p.coordinator, 0), coalesce(p.email, ''), coalesce(p.updated_at, 0) FROM " +
                    table_of(realm) + " a LEFT JOIN profiles p ON p.realm = ?1 AND p.\"user\" = a.\"user\""
                    " WHERE (?2 = '' OR a.\"user\" = ?2) ORDER BY a.\"user\"";
  Stmt q(c, sql);
  q.bind(1, realm).bind(2, user);
  std::vector<Profile> out;
  while (q.step() == db::kRow) {
    Profile p;
    p.realm = realm;
    p.user = q.text(0);
    p.role = q.text(1);
    p.disabled = q.num(2) != 0;
    p.languages = split_list(q.text(3));
    p.desks = split_list(q.text(4));
    p.on_duty = q.num(5) != 0;
    p.coordinator = q.num(6) != 0;
    p.email = q.text(7);
    p.updated_at = q.num(8);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

// [SECTION] Lists and checks

const std::vector<std::string>& request_languages() {
  static const std::vector<std::string> kCodes = {"it", "en", "fr", "es", "ar", "fa", "ps", "ur", "bn",
                                                  "pa", "hi", "ti", "zh", "uk", "ru", "sq", "wo", "tl"};
  return kCodes;
}

// Italian names in plain ASCII: they go into mail subjects without any encoding.
std::string language_name_it(const std::string& code) {
  static const std::pair<const char*, const char*> kNames[] = {
      {"it", "italiano"}, {"en", "inglese"}, {"fr", "francese"},  {"es", "spagnolo"}, {"ar", "arabo"},
      {"fa", "persiano"}, {"ps", "pashto"},  {"ur", "urdu"},      {"bn", "bengalese"}, {"pa", "punjabi"},
      {"hi", "hindi"},    {"ti", "tigrino"}, {"zh", "cinese"},    {"uk", "ucraino"},  {"ru", "russo"},
      {"sq", "albanese"}, {"wo", "wolof"},   {"tl", "tagalog"}};
  for (const auto& [c, name] : kNames)
    if (code == c) return name;
  return {};
}

std::string profile_problem(const Profile& p) {
  if (p.languages.size() > 18 || p.desks.size() > 200) return "Troppe voci.";
  for (const std::string& l : p.languages)
    if (language_name_it(l).empty()) return "Lingua sconosciuta: usa i codici (ar, fr, ...).";
  for (const std::string& d : p.desks)
    if (!valid_kiosk_id(d)) return "Sportello non valido: usa gli id dei chioschi (GR-01, ...).";
  if (!p.email.empty() && !valid_email(p.email)) return "Indirizzo e-mail non valido.";
  return {};
}

// [SECTION] Store methods

bool Store::migrate_notify() { return exec(kNotifySchema); }

std::vector<Profile> Store::profiles(const std::string& realm) {
  db::Lease c = db_->lease();
  return read_profiles(c, realm, "");
}

std::optional<Profile> Store::profile(const std::string& realm, const std::string& user) {
  if (user.empty()) return std::nullopt;
  db::Lease c = db_->lease();
  auto found = read_profiles(c, realm, user);
  if (found.empty()) return std::nullopt;
  return found.front();
}

bool Store::set_profile(const Profile& p, int64_t now) {
  if ((p.realm != "console" && p.realm != "admin") || !profile_problem(p).empty()) return false;
  db::Lease c = db_->lease();
  std::string exists = std::string("SELECT count(*) FROM ") + table_of(p.realm) + " WHERE \"user\" = ?";
  Stmt e(c, exists);
  if (e.bind(1, p.user).step() != db::kRow || e.num(0) != 1) return false;
  Stmt q(c, "INSERT INTO profiles(realm, \"user\", languages, desks, on_duty, coordinator, email, updated_at)"
              " VALUES(?1,?2,?3,?4,?5,?6,?7,?8) ON CONFLICT(realm, \"user\") DO UPDATE SET languages = excluded.languages,"
              " desks = excluded.desks, on_duty = excluded.on_duty, coordinator = excluded.coordinator,"
              " email = excluded.email, updated_at = excluded.updated_at");
  q.bind(1, p.realm).bind(2, p.user).bind(3, join_list(p.languages)).bind(4, join_list(p.desks));
  q.bind(5, (int64_t)p.on_duty).bind(6, (int64_t)p.coordinator).bind(7, p.email).bind(8, now);
  return q.step() == db::kDone;
}

bool Store::set_duty(const std::string& realm, const std::string& user, bool on_duty, const std::string& email,
                     int64_t now) {
  if (!email.empty() && !valid_email(email)) return false;
  db::Lease c = db_->lease();
  std::string exists = std::string("SELECT count(*) FROM ") + table_of(realm) + " WHERE \"user\" = ?";
  Stmt e(c, exists);
  if (e.bind(1, user).step() != db::kRow || e.num(0) != 1) return false;
  Stmt q(c, "INSERT INTO profiles(realm, \"user\", on_duty, email, updated_at) VALUES(?1,?2,?3,?4,?5)"
              " ON CONFLICT(realm, \"user\") DO UPDATE SET on_duty = excluded.on_duty, email = excluded.email,"
              " updated_at = excluded.updated_at");
  return q.bind(1, realm).bind(2, user).bind(3, (int64_t)on_duty).bind(4, email).bind(5, now).step() == db::kDone;
}

std::vector<Profile> Store::matching_mediators(const std::string& lang, const std::string& desk) {
  db::Lease c = db_->lease();
  std::vector<Profile> out;
  for (Profile& p : read_profiles(c, "console", "")) {
    if (p.disabled || p.role != "mediator" || !p.on_duty || p.email.empty()) continue;
    if (std::find(p.languages.begin(), p.languages.end(), lang) == p.languages.end()) continue;
    if (std::find(p.desks.begin(), p.desks.end(), desk) == p.desks.end()) continue;
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<Profile> Store::coordinators() {
  db::Lease c = db_->lease();
  std::vector<Profile> out;
  for (Profile& p : read_profiles(c, "console", ""))
    if (!p.disabled && p.coordinator && !p.email.empty()) out.push_back(std::move(p));
  return out;
}

}  // namespace hub
