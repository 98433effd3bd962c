// [SECTION] The notifier: one thread that routes new requests to the mediators who should hear of
// them, escalates requests left unclaimed, queues the admins' daily summary, turns queued items
// into mails (one per recipient per digest interval) and sends the outbox through the relay. It
// wakes when a request arrives (a condition variable), when a retry falls due, and at least once
// a second; a slow or dead relay only delays mails, never a kiosk's request or a console page.
#include "notify.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <fstream>

namespace hub {

namespace {

void note(const std::string& text) {
  std::string line = "sportello-hub: notify: " + log_escape(text) + "\n";
  fputs(line.c_str(), stderr);
}

std::string two(int v) { return (v < 10 ? "0" : "") + std::to_string(v); }

// RFC 5322 date of a Unix time, in UTC.
std::string mail_date(int64_t t) {
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string local_day(int64_t t) {
  time_t tt = (time_t)t;
  struct tm tm;
  localtime_r(&tt, &tm);
  return std::to_string(tm.tm_year + 1900) + "-" + two(tm.tm_mon + 1) + "-" + two(tm.tm_mday);
}

int64_t local_midnight(int64_t t) {
  time_t tt = (time_t)t;
  struct tm tm;
  localtime_r(&tt, &tm);
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  tm.tm_isdst = -1;
  return (int64_t)mktime(&tm);
}

// "3 h 20 min": an age in mails (ASCII).
std::string age(int64_t s) {
  if (s < 0) s = 0;
  if (s < 3600) return std::to_string(s / 60) + " min";
  if (s < 86400) return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
  return std::to_string(s / 86400) + " giorni";
}

}  // namespace

Notifier::Notifier(Server& s, NotifyConfig config) : s_(s), config_(std::move(config)) {
  if (const char* f = getenv("SPORTELLO_TEST_CLOCK_FILE")) clock_file_ = f;
  if (const char* p = getenv("SPORTELLO_TEST_NOTIFY_PAUSE")) pause_ = p;
  size_t at = config_.smtp_from.find('@');
  message_domain_ = at == std::string::npos ? "sportello" : config_.smtp_from.substr(at + 1);
}

Notifier::~Notifier() { stop(); }

int64_t Notifier::now() const {
  // Tests move this clock forward (escalations, digests, the daily summary) without waiting hours.
  if (!clock_file_.empty()) {
    std::ifstream in(clock_file_);
    int64_t t = 0;
    if (in >> t && t > 0) return t;
  }
  return unix_now();
}

void Notifier::start() {
  // Requests that arrived before notifications were first configured are not announced.
  std::string since = outbox::state(*s_.store, "routing_since");
  if (since.empty()) {
    routing_since_ = unix_now();
    outbox::set_state(*s_.store, "routing_since", std::to_string(routing_since_));
  } else {
    routing_since_ = std::atoll(since.c_str());
  }
  // Tell duplicates apart across hubs: the domain part of the Message-ID carries this hub's id.
  std::string hub_id = outbox::state(*s_.store, "hub_id");
  if (hub_id.empty()) {
    hub_id = sha256_hex(random_token()).substr(0, 12);
    outbox::set_state(*s_.store, "hub_id", hub_id);
  }
  message_domain_ = hub_id + "@" + message_domain_;
  note(config_.enabled ? "mail through " + config_.smtp_url : "no --notify-config: no mail is sent");
  thread_ = std::thread([this] { run(); });
}

void Notifier::wake() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    woken_ = true;
  }
  cv_.notify_one();
}

void Notifier::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Notifier::run() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      woken_ = false;
    }
    bool busy = false, may_run = !may_run_ || may_run_();
    int64_t wake_at = 0;
    try {
      if (may_run) busy = step(&wake_at);
    } catch (const std::exception& e) {
      note(std::string("round failed: ") + e.what());
    }
    if (busy) continue;  // more may be due at once (a batch of mails)
    if (!may_run) {  // another instance runs the notifier: wait to be woken (the job lock changed hands)
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [this] { return woken_ || stopping_; });
      continue;
    }
    // Idle means idle: a new request wakes the thread at once, a retry or a digest sleeps until it is
    // due, and escalation and the daily summary are looked at once a minute (a minute late at most).
    // A test's virtual clock can jump at any time, so it is read every 100 ms.
    int64_t wait_ms = clock_file_.empty() ? 60000 : 100;
    int64_t due = outbox::earliest_pending(*s_.store);
    if (wake_at > 0 && (due == 0 || wake_at < due)) due = wake_at;
    if (due > 0) wait_ms = std::clamp<int64_t>((due - now()) * 1000, 10, wait_ms);
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return woken_ || stopping_; });
  }
}

bool Notifier::step(int64_t* wake_at) {
  int64_t t = now();
  bool more = route_new(t, wake_at);
  escalate_due(t);
  if (config_.enabled) summary_due(t);
  compose_due(t, wake_at);
  bool sent = config_.enabled && send_one(t);
  return more || sent;
}

// Each new request once: its on-duty mediators of that language and desk, else the coordinators.
// A backlog (an instance that took the notifier over after the holder died, requests stored
// meanwhile through the others) is routed batch after batch at once, not one batch per wake-up.
bool Notifier::route_new(int64_t t, int64_t* wake_at) {
  // received_at is the hub's real clock, taken a moment before the request's commit: a round that
  // found every request routed has routed all those received more than 5 minutes earlier (a
  // commit waits at most the store's 5 s busy timeout), so later rounds look from there on.
  int64_t real = unix_now();
  auto found = outbox::unrouted(*s_.store, std::max(routing_since_, scan_from_));
  if (found.empty()) {
    scan_from_ = std::max(scan_from_, real - 300);
    return false;
  }
  std::vector<std::pair<Request, std::vector<Profile>>> routes;
  for (const Request& r : found) {
    std::vector<Profile> to;
    if (config_.enabled) {
      to = s_.store->matching_mediators(r.lang, r.kiosk);
      if (to.empty()) to = s_.store->coordinators();
    }
    routes.push_back({r, std::move(to)});
  }
  if (!outbox::route(*s_.store, routes, t)) {
    // In a second, not at the next request or the minute's look.
    note("cannot route " + std::to_string(routes.size()) + " request(s); trying again");
    if (*wake_at == 0 || t + 1 < *wake_at) *wake_at = t + 1;
    return false;
  }
  for (const auto& [r, to] : routes)
    if (config_.enabled && to.empty()) note("nobody to notify of request " + r.id + " (no coordinator with an address)");
  if (found.size() < outbox::kUnroutedBatch) scan_from_ = std::max(scan_from_, real - 300);
  return found.size() >= outbox::kUnroutedBatch;
}

// A request unclaimed for escalation_hours of its desk's opening hours escalates once.
void Notifier::escalate_due(int64_t t) {
  int64_t limit = (int64_t)(config_.escalation_hours * 3600);
  for (const Request& r : outbox::unescalated(*s_.store)) {
    auto own = config_.desk_hours_for.find(r.kiosk);
    const WeekHours& hours = own != config_.desk_hours_for.end() ? own->second : config_.desk_hours;
    if (working_seconds(hours, r.received_at, t) < limit) continue;
    std::vector<Profile> to = config_.enabled ? s_.store->coordinators() : std::vector<Profile>{};
    if (outbox::escalate(*s_.store, r, to, t)) note("request " + r.id + " escalated");
  }
}

// Once a day at summary-time: the admins with an address get the day's counts, only when there is
// something to say (a request open, claimed or closed today).
void Notifier::summary_due(int64_t t) {
  int64_t midnight = local_midnight(t);
  if (t < midnight + config_.summary_minute * 60) return;
  std::string day = local_day(t);
  if (outbox::state(*s_.store, "summary_day") == day) return;
  DaySummary d = outbox::day_summary(*s_.store, midnight, t);
  if (d.open == 0 && d.claimed == 0 && d.closed == 0) {
    note("daily summary " + day + ": nothing to say, not sent");
  } else {
    std::string text = "Riepilogo del " + day + "\n\nRichieste aperte: " + std::to_string(d.open) +
                       "\n  di cui da prendere: " + std::to_string(d.waiting) +
                       "\nPrese in carico oggi: " + std::to_string(d.claimed) +
                       "\nChiuse oggi: " + std::to_string(d.closed) + "\nAttesa piu' lunga: " +
                       (d.oldest_waiting_at ? age(t - d.oldest_waiting_at) : std::string("nessuna")) + "\n";
    std::vector<Profile> to;
    for (Profile& p : s_.store->profiles("admin"))
      if (!p.disabled && !p.email.empty()) to.push_back(std::move(p));
    if (!to.empty() && !outbox::queue_summary(*s_.store, to, text, t)) return;  // tried again next round
    note("daily summary " + day + " queued for " + std::to_string(to.size()) + " admin(s)");
  }
  outbox::set_state(*s_.store, "summary_day", day);
}

// Items become one mail per recipient, at most one per digest interval.
void Notifier::compose_due(int64_t t, int64_t* wake_at) {
  for (const auto& [realm, user] : outbox::waiting_recipients(*s_.store)) {
    int64_t last = outbox::last_mail_at(*s_.store, realm, user);
    if (last > 0 && config_.digest_s > 0 && t < last + config_.digest_s) {
      if (*wake_at == 0 || last + config_.digest_s < *wake_at) *wake_at = last + config_.digest_s;
      continue;
    }
    auto p = s_.store->profile(realm, user);
    auto items = outbox::items_of(*s_.store, realm, user);
    if (items.empty()) continue;
    std::string email = p && !p->email.empty() ? p->email : "";
    std::vector<int64_t> ids;
    std::string body, first_ref;
    int news = 0, escalations = 0, summaries = 0;
    for (const outbox::Item& item : items) {
      ids.push_back(item.id);
      if (item.kind == "summary") {
        summaries++;
        body += item.note + "\n";
        continue;
      }
      auto r = s_.store->get(item.request_id);
      if (!r) continue;
      item.kind == "escalation" ? escalations++ : news++;
      if (first_ref.empty()) first_ref = r->ref;
      std::string lang = language_name_it(r->lang);
      body += std::string(item.kind == "escalation" ? "NON ANCORA PRESA (scaduto il tempo di presa in carico)\n"
                                                    : "Nuova richiesta\n") +
              "Codice: " + r->ref + "\nLingua: " + (lang.empty() ? r->lang : lang) + "\nArgomento: " + r->topic +
              "\nSportello: " + r->kiosk + "\nEta': " + age(t - r->received_at) + "\nApri: " + config_.console_url +
              "/console/request/" + r->id + "\n\n";
    }
    std::string subject;
    if (summaries > 0 && news + escalations == 0) subject = "Sportello: riepilogo giornaliero";
    else if (news + escalations == 1) subject = std::string("Sportello: ") + (escalations ? "richiesta non presa " : "nuova richiesta ") + first_ref;
    else subject = "Sportello: " + std::to_string(news + escalations) + " richieste (" + std::to_string(escalations) + " non prese)";
    if (email.empty()) {
      // The address was removed since: the items stay, and go out once there is one again.
      continue;
    }
    body += "--\nMessaggio automatico di sportello-hub. Nome e telefono sono solo nella console,\n"
            "per il mediatore che prende la richiesta.\n";
    int64_t id = outbox::create_mail(*s_.store, realm, user, email, subject, body, message_domain_, ids, t);
    if (id > 0) note("mail " + std::to_string(id) + " queued for " + user + " (" + std::to_string(ids.size()) + " item(s))");
  }
}

// The first mail due, sent once: 'sending' is committed before the relay is contacted.
bool Notifier::send_one(int64_t t) {
  auto mail = outbox::next_due(*s_.store, t);
  if (!mail) return false;
  if (!outbox::mark_sending(*s_.store, mail->id)) return false;
  if (pause_ == "before_send") {
    // Tests kill the hub here (after the commit, before the relay): the mail must go out once.
    note("test pause before sending mail " + std::to_string(mail->id));
    for (;;) pause();
  }
  std::string message = "From: Sportello <" + config_.smtp_from + ">\r\nTo: <" + mail->email + ">\r\nSubject: " +
                        mail->subject + "\r\nDate: " + mail_date(unix_now()) + "\r\nMessage-ID: " + mail->message_id +
                        "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                        "Content-Transfer-Encoding: 8bit\r\nAuto-Submitted: auto-generated\r\n\r\n";
  for (char c : mail->body) {
    if (c == '\n') message += "\r\n";
    else message += c;
  }
  SmtpResult sent = smtp_send(config_, mail->email, message);
  if (sent.ok && pause_ == "after_send") {
    // Tests kill the hub here (the relay took the mail, 'sent' is not committed): the one window
    // where a mail goes out twice, with the same Message-ID (see notify.h).
    note("test pause after sending mail " + std::to_string(mail->id));
    for (;;) pause();
  }
  if (sent.ok) {
    outbox::mark_sent(*s_.store, mail->id, sent.answer, now());
    note("mail " + std::to_string(mail->id) + " to " + mail->user + " sent: " + sent.answer);
    return true;
  }
  int64_t delay = config_.retry_base_s;
  for (int64_t i = 1; i < mail->attempts + 1 && delay < config_.retry_max_s; i++) delay *= 2;
  delay = std::min<int64_t>(delay, config_.retry_max_s);
  outbox::mark_retry(*s_.store, mail->id, sent.answer, now() + delay);
  note("mail " + std::to_string(mail->id) + " to " + mail->user + " not sent (attempt " +
       std::to_string(mail->attempts + 1) + ", again in " + std::to_string(delay) + " s): " + sent.answer);
  return false;
}

}  // namespace hub
