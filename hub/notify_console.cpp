// [SECTION] Console pages of the notifications: the admins' outbox (every mail with its state,
// attempts and the SMTP server's last answer) and a request's timeline for mediators (made at the
// kiosk, received, who was notified, claimed by whom, unreachable attempts, closed), read from
// the append-only audit log. Neither page shows a visitor's name or phone.
#include "console_internal.h"
#include "notify.h"

#include "release/release.h"

namespace hub {

namespace {

using Req = const httplib::Request&;
using Res = httplib::Response&;

std::string when(int64_t t) { return t ? release::format_utc(t) : std::string("—"); }

std::string state_text(const std::string& s) {
  if (s == "pending") return "in attesa";
  if (s == "sending") return "in invio";
  if (s == "sent") return "inviata";
  return s;
}

void outbox_page(Server& s, Req req, Res res) {
  auto session = require_role(s, req, res, "admin", {"admin"});
  if (!session) return;
  std::string body = admin_nav(session->csrf) + "<h1>Notifiche e-mail</h1>";
  const NotifyConfig* c = s.notifier ? &s.notifier->config() : nullptr;
  body += c && c->enabled ? "<p id=relay>Relay: " + esc(c->smtp_url) + "</p>"
                          : std::string("<p id=relay>Nessun relay configurato (--notify-config): nessuna e-mail.</p>");
  body += "<table><tr><th>#</th><th>Destinatario</th><th>Oggetto</th><th>Stato</th><th>Tentativi</th>"
          "<th>Creata</th><th>Inviata / prossimo tentativo</th><th>Ultima risposta SMTP</th></tr>";
  for (const OutboxMail& m : outbox::list(*s.store, 500))
    body += "<tr id='mail-" + std::to_string(m.id) + "' class='" + esc(m.state) + "'><td>" + std::to_string(m.id) +
            "</td><td>" + esc(m.user) + "</td><td>" + esc(m.subject) + "</td><td class=state>" + state_text(m.state) +
            "</td><td>" + std::to_string(m.attempts) + "</td><td>" + when(m.created_at) + "</td><td>" +
            (m.state == "sent" ? when(m.sent_at) : when(m.next_at)) + "</td><td class=answer>" + esc(m.last_answer) +
            "</td></tr>";
  send_page(res, 200, "Notifiche", body + "</table>");
}

// "notify_queued:anna" -> "notifica per anna in coda".
std::string step_text(const TimelineStep& t) {
  const std::string& a = t.action;
  auto after = [&](const char* prefix) { return a.substr(strlen(prefix)); };
  if (a == "created") return "Creata al chiosco " + t.actor;
  if (a == "received") return "Ricevuta dall'hub";
  if (a.rfind("notify_queued:", 0) == 0) return "Notifica per " + after("notify_queued:") + " in coda";
  if (a.rfind("notify_sent:", 0) == 0) return "E-mail a " + after("notify_sent:") + " accettata dal server";
  if (a == "notify_nobody") return "Nessun mediatore né coordinatore da avvisare";
  if (a == "escalated") return "Non presa in tempo: segnalata ai coordinatori";
  if (a == "claim") return "Presa in carico da " + t.actor;
  if (a == "claim_refused") return "Presa in carico tentata da " + t.actor + " (era già presa)";
  if (a == "unreachable") return "Non raggiungibile (" + t.actor + ")";
  if (a == "done") return "Chiusa da " + t.actor;
  if (a == "view_personal") return "Dati personali visti da " + t.actor;
  if (a == "erase") return "Dati personali cancellati";
  return a + " (" + t.actor + ")";
}

void timeline_page(Server& s, Req req, Res res) {
  auto session = require_role(s, req, res, "console", {"mediator"});
  if (!session) return;
  auto r = s.store->get(req.matches[1]);
  if (!r) return send_page(res, 404, "Non trovata", "<p>Richiesta non trovata.</p>");
  std::string body = "<nav><a href=/console/>Coda</a><a href='/console/request/" + esc(r->id) +
                     "'>Richiesta</a></nav><h1>Storia della richiesta " + esc(r->ref) + "</h1><ol id=timeline>";
  for (const TimelineStep& t : outbox::timeline(*s.store, r->id))
    body += "<li class='step " + esc(t.action.substr(0, t.action.find(':'))) + "'><time>" + when(t.at) + "</time> " +
            esc(step_text(t)) + "</li>";
  send_page(res, 200, "Storia " + r->ref, body + "</ol>");
}

}  // namespace

void install_notify_console(httplib::Server& http, Server& s) {
  http.Get("/console/admin/outbox", console_route(s, [&s](Req q, Res r) { outbox_page(s, q, r); }));
  http.Get(R"(/console/request/([0-9a-f-]{36})/timeline)", console_route(s, [&s](Req q, Res r) { timeline_page(s, q, r); }));
}

}  // namespace hub
