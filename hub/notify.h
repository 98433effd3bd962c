// The hub's notifications: mediator profiles' pages, the e-mail outbox and its sender thread,
// escalation of requests left unclaimed, the admins' daily summary, a request's timeline.
// Internal to hub/ (server.cpp starts the notifier; the consoles link its pages).
//
// Delivery. A new request is "routed" once (its recipients chosen and written as notify_items in
// the same transaction that marks it routed); items become a mail (notify_mails, the outbox) in
// one transaction, at most one mail per recipient per digest interval. A mail is sent so:
//   1. UPDATE state='sending', attempts+1 (committed, fsync'd)
//   2. SMTP transaction (libcurl), bounded by smtp-timeout
//   3. UPDATE state='sent' with the server's answer (or back to 'pending' with a backoff)
// A crash before 2 leaves 'sending': the next start sends it (once). A crash between the relay's
// "250" and 3 (one fsync'd UPDATE: a window of milliseconds) sends it again at the next start:
// delivery is at-least-once with that window, and exactly-once otherwise. Every attempt of a mail
// carries the same Message-ID (<sportello-notify-ROW.HUBID@domain>), so a duplicate from that
// window is recognisable (and dropped by relays and clients that de-duplicate on Message-ID).
//
// Privacy: mails, items, the outbox and the logs carry a request's reference, language, topic,
// desk (kiosk), age and a console link: never a name or phone (the hub cannot read those
// without opening the sealed box, which only a claiming mediator's page does).
#pragma once

#include "server_internal.h"

#include <condition_variable>
#include <functional>
#include <set>
#include <thread>

namespace hub {

// [SECTION] Working hours (notify_hours.cpp)
// Opening hours of a desk per weekday, minutes from local midnight; Monday is day 0.
struct WeekHours {
  std::vector<std::pair<int, int>> day[7];
};
// "Mo-Fr 08:00-14:00; Sa 09:00-12:00,15:00-18:00" (days Mo Tu We Th Fr Sa Su, ranges or single
// days, "24:00" allowed as an end). False (and *error) when it is not that shape.
bool parse_week_hours(const std::string& text, WeekHours* out, std::string* error);
// Seconds of opening hours between two Unix times, in the process's local time zone (TZ).
int64_t working_seconds(const WeekHours& hours, int64_t from, int64_t to);

// [SECTION] Configuration (notify_config.cpp): `--notify-config FILE`, `key = value` lines.
struct NotifyConfig {
  bool enabled = false;                 // false: no mail is sent (escalation is still shown)
  std::string smtp_url;                 // smtps://relay:465 (TLS) or smtp://relay:587 (STARTTLS)
  bool smtp_plain = false;              // smtp-tls = none: plain SMTP (loopback relays only)
  std::string smtp_from, smtp_user, smtp_password, smtp_ca_file;
  int smtp_timeout_s = 30;              // one SMTP transaction, connect to the final answer
  int retry_base_s = 30;                // first retry; doubles up to retry_max_s
  int retry_max_s = 3600;
  std::string console_url;              // https://hub.example.org (the mails' links)
  int64_t digest_s = 15 * 60;           // at most one mail per recipient per interval (0: none)
  double escalation_hours = 4;          // working hours unclaimed before a request escalates
  WeekHours desk_hours;                 // default for every desk
  std::map<std::string, WeekHours> desk_hours_for;  // per kiosk id
  int summary_minute = 18 * 60;         // local time of the daily summary
};
// Reads and checks the file (the password file too). "" or what is wrong ("FILE:LINE: ...").
std::string load_notify_config(const std::string& path, NotifyConfig* out);
NotifyConfig default_notify_config();   // no mail; desks Mo-Fr 08:00-14:00, 4 working hours

// [SECTION] SMTP (smtp.cpp)
struct SmtpResult {
  bool ok = false;
  std::string answer;                   // the server's last reply line, or libcurl's error
};
// One mail through the relay: envelope from config.smtp_from to `to`, the message as given.
SmtpResult smtp_send(const NotifyConfig& config, const std::string& to, const std::string& message);

// [SECTION] Store queries of the notifications (store_outbox.cpp)
struct OutboxMail {
  int64_t id = 0, attempts = 0, next_at = 0, created_at = 0, sent_at = 0;
  std::string realm, user, email, subject, body, message_id, state, last_answer;
};
struct TimelineStep {
  int64_t at = 0;
  std::string actor, role, action;
};
struct DaySummary {
  int64_t open = 0, waiting = 0, claimed = 0, closed = 0, oldest_waiting_at = 0;
};
namespace outbox {
std::string state(Store& st, const std::string& key);
bool set_state(Store& st, const std::string& key, const std::string& value);
// Requests received at or after `since` not yet routed (at most kUnroutedBatch, oldest first).
constexpr size_t kUnroutedBatch = 100;
std::vector<Request> unrouted(Store& st, int64_t since);
// Marks the requests routed and queues an item per recipient, with their audit rows, in one
// transaction (one fsync per round however many requests arrived, not one per request).
bool route(Store& st, const std::vector<std::pair<Request, std::vector<Profile>>>& routes, int64_t now);
// Unclaimed requests (status received) not escalated yet.
std::vector<Request> unescalated(Store& st);
bool escalate(Store& st, const Request& r, const std::vector<Profile>& to, int64_t now);
// Queues a summary item for each recipient (note: its text).
bool queue_summary(Store& st, const std::vector<Profile>& to, const std::string& note, int64_t now);
// Recipients with items not in a mail yet: (realm, user) pairs.
std::vector<std::pair<std::string, std::string>> waiting_recipients(Store& st);
struct Item {
  int64_t id = 0;
  std::string kind, request_id, note;
  int64_t created_at = 0;
};
std::vector<Item> items_of(Store& st, const std::string& realm, const std::string& user);
int64_t last_mail_at(Store& st, const std::string& realm, const std::string& user);  // 0: none
// Creates the mail from these items (one transaction); its id, or 0.
int64_t create_mail(Store& st, const std::string& realm, const std::string& user, const std::string& email,
                    const std::string& subject, const std::string& body, const std::string& message_domain,
                    const std::vector<int64_t>& items, int64_t now);
std::optional<OutboxMail> next_due(Store& st, int64_t now);
int64_t earliest_pending(Store& st);  // next_at of the first pending mail, 0 when none
bool mark_sending(Store& st, int64_t id);
bool mark_sent(Store& st, int64_t id, const std::string& answer, int64_t now);
bool mark_retry(Store& st, int64_t id, const std::string& answer, int64_t next_at);
std::vector<OutboxMail> list(Store& st, int64_t limit);
std::vector<TimelineStep> timeline(Store& st, const std::string& request_id);
std::set<std::string> escalated_open(Store& st);  // ids of unclaimed escalated requests
DaySummary day_summary(Store& st, int64_t day_start, int64_t now);
}  // namespace outbox

// [SECTION] The notifier (notify.cpp): one thread, never on a request's path.
class Notifier {
public:
  Notifier(Server& s, NotifyConfig config);
  ~Notifier();                          // stops and joins
  void start();
  void wake();                          // a request arrived: route it now
  // With several hub instances on one database only the holder of the notifier's job lock
  // routes, sends and escalates (cluster.h); the others wait until woken. Set before start().
  void set_may_run(std::function<bool()> may_run) { may_run_ = std::move(may_run); }
  void stop();
  const NotifyConfig& config() const { return config_; }
  int64_t now() const;                  // the notifier's clock (SPORTELLO_TEST_CLOCK_FILE in tests)

private:
  void run();
  bool step(int64_t* wake_at);          // one round; true when more is due at once; *wake_at: when the next is due
  bool route_new(int64_t now, int64_t* wake_at);  // true when a full batch was routed (more may wait)
  void escalate_due(int64_t now);
  void summary_due(int64_t now);
  void compose_due(int64_t now, int64_t* wake_at);
  bool send_one(int64_t now);
  Server& s_;
  NotifyConfig config_;
  std::string clock_file_, pause_;
  std::function<bool()> may_run_;       // empty: always (one instance)
  int64_t routing_since_ = 0;
  int64_t scan_from_ = 0;               // requests received before this are all routed (see route_new)
  std::string message_domain_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool woken_ = false, stopping_ = false;
  std::thread thread_;
};

// [SECTION] Console pages (profiles_console.cpp, notify_console.cpp)
// /console/profile (a mediator or council member: duty and address; languages and desks shown)
// and /console/admin/profiles[/<realm>/<user>] (an admin: every field of every account).
void install_profiles_console(httplib::Server& http, Server& s);
// /console/admin/outbox (every mail: state, attempts, the SMTP server's last answer) and
// /console/request/<id>/timeline (a mediator: the request's steps from the audit log).
void install_notify_console(httplib::Server& http, Server& s);

}  // namespace hub
