// [SECTION] Mediator console: server-rendered Italian pages that work on a phone without
// JavaScript. Personal data is opened only on a request's own page, for the mediator who claimed
// it, and only once the view is in the audit table (without the data itself).
#include "console_internal.h"
#include "notify.h"

#include <algorithm>

namespace hub {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

// Served as a file: the CSP allows no inline style or script.
static const char* kStyle =
    "body{font-family:sans-serif;margin:0;padding:12px;background:#f7f7f2;color:#1c2024}"
    "h1{font-size:1.3em}a{color:#0b5563}table{border-collapse:collapse;width:100%}"
    "td,th{padding:8px 6px;border-bottom:1px solid #ccc;text-align:left;font-size:.95em}"
    "button,input,select{font-size:1em;padding:10px;margin:4px 0;border-radius:6px;border:1px solid #999}"
    "button{background:#0b5563;color:#fff;border:0;min-height:44px}.msg{padding:10px;background:#fde8c8}"
    "nav a{margin-right:14px}.card{background:#fff;padding:12px;border-radius:8px;margin:8px 0}"
    ".inline{display:inline}@media(max-width:560px){.wide{display:none}}"
    "tr.escalated td{background:#f8d7d3}tr.escalated td:first-child{border-left:6px solid #b3261e}";

std::string page(const std::string& title, const std::string& body) {
  return "<!doctype html><html lang=it><head><meta charset=utf-8><title>" + esc(title) +
         "</title><meta name=viewport content='width=device-width,initial-scale=1'>"
         "<link rel=stylesheet href=/console/style.css></head><body>" + body + "</body></html>";
}

std::string url_encode(const std::string& s) {
  std::string o;
  char buf[4];
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.') o += (char)c;
    else snprintf(buf, sizeof buf, "%%%02X", c), o += buf;
  }
  return o;
}

std::string age_text(int64_t seconds) {
  if (seconds < 3600) return std::to_string(seconds / 60) + " min";
  if (seconds < 86400) return std::to_string(seconds / 3600) + " h";
  return std::to_string(seconds / 86400) + " giorni";
}

static std::string status_text(const std::string& s) {
  if (s == "received") return "da prendere";
  if (s == "in_progress") return "in corso";
  if (s == "done") return "chiusa";
  if (s == "unreachable") return "non raggiungibile";
  return s;
}

// The navigation of a console page for this session's role, with the logout form.
static std::string nav(const ConsoleSession& session) {
  std::string links = session.role == "mediator" ? "<a href=/console/>Coda</a>" : "";
  links += "<a href=/console/fleet>Chioschi</a><a href=/console/stats>Numeri</a><a href=/console/password>Password</a>"
           "<a href=/console/profile>Profilo</a>";
  return "<nav>" + links + "<form method=post action=/console/logout class=inline><input type=hidden name=csrf value='" +
         esc(session.csrf) + "'><button id=logout>Esci</button></form></nav>";
}

static void queue(Server& s, const httplib::Request& req, httplib::Response& res) {
  auto session = require_role(s, req, res, "console", {"mediator"});
  if (!session) return;
  Filter f{req.get_param_value("lang"), req.get_param_value("topic"), req.get_param_value("kiosk"),
           req.get_param_value("status"), 0};
  // At most a year back: hours beyond that (or not a number) mean any age.
  std::string age = req.get_param_value("age_h");
  if (!age.empty() && age.size() <= 4 && age.find_first_not_of("0123456789") == std::string::npos)
    f.max_age_s = std::min<int64_t>(std::atoll(age.c_str()), 24 * 366) * 3600;
  int64_t now = unix_now();
  std::string body = nav(*session) + "<h1>Richieste</h1>";
  body += "<form method=get><input name=lang placeholder=lingua size=4 value='" + esc(f.lang) +
          "'> <input name=topic placeholder=argomento size=9 value='" + esc(f.topic) +
          "'> <input name=kiosk placeholder=chiosco size=7 value='" + esc(f.kiosk) +
          "'> <select name=status><option value=''>aperte</option><option value=all>tutte</option><option value=closed>chiuse</option><option value=received>da prendere</option>"
          "<option value=in_progress>in corso</option></select>"
          " <input name=age_h placeholder='ultime ore' size=5 value='" + esc(age) + "'> <button>Filtra</button></form>";
  body += "<table><tr><th>Codice</th><th>Lingua</th><th>Argomento</th><th class=wide>Contatto</th><th class=wide>Chiosco</th><th>Età</th>"
          "<th>Stato</th></tr>";
  std::set<std::string> escalated = outbox::escalated_open(*s.store);  // unclaimed past their desk's time
  for (const Request& r : s.store->list(f, now))
    body += std::string(escalated.count(r.id) ? "<tr class=escalated>" : "<tr>") + "<td><a id='" + esc(r.ref) + "' href='/console/request/" + esc(r.id) + "'>" + esc(r.ref) + "</a></td><td>" +
            esc(r.lang) + "</td><td>" + esc(r.topic) + "</td><td class=wide>" +
            (r.contact == "desk" ? "allo sportello " + esc(r.desk_day) : std::string("telefono")) + "</td><td class=wide>" +
            esc(r.kiosk) + "</td><td>" + age_text(now - r.received_at) + "</td><td>" + status_text(r.status) +
            (r.mediator.empty() ? "" : " (" + esc(r.mediator) + ")") + "</td></tr>";
  body += "</table>";
  send_page(res, 200, "Richieste", body);
}

static void detail(Server& s, const httplib::Request& req, httplib::Response& res) {
  auto session = require_role(s, req, res, "console", {"mediator"});
  if (!session) return;
  auto r = s.store->get(req.matches[1]);
  if (!r) return send_page(res, 404, "Non trovata", nav(*session) + "<p>Richiesta non trovata.</p>");
  std::string body = nav(*session) + "<h1>Richiesta " + esc(r->ref) + "</h1>";
  int status = 200;
  std::string code = req.get_param_value("m"), message = message_text(code);
  if (code == "taken" && !r->mediator.empty()) message = "Richiesta già presa da " + r->mediator + ".";
  if (!message.empty()) body += "<p class=msg id=msg>" + esc(message) + "</p>";
  body += "<div class=card>Lingua: " + esc(r->lang) + "<br>Argomento: " + esc(r->topic) + "<br>Contatto: " +
          (r->contact == "desk" ? "torna allo sportello il " + esc(r->desk_day) : std::string("richiamare al telefono")) +
          "<br>Chiosco: " + esc(r->kiosk) + "<br>Stato: " + status_text(r->status) +
          (r->mediator.empty() ? "" : " (" + esc(r->mediator) + ")") + "</div>";
  // Opened by the store for the claiming mediator only, after the view is audited (nothing is
  // shown when that write fails); wiped once the page is built (the page buffer is then the one
  // copy left). A payload of the wrong shape says so, and the page stays usable.
  Personal person;
  AuditEvent view = audit_event(req, session->user, session->role, "view_personal", r->id);
  switch (s.store->open_personal(r->id, s.keys, view, unix_now() - (int64_t)s.config.retention_days * 86400, &person)) {
    case OpenResult::Ok:
      body += "<div class=card>Nome: <b id=name>" + esc(person.name.str()) + "</b><br>Telefono: <b id=phone>" +
              esc(person.phone.str()) + "</b></div>";
      break;
    case OpenResult::NotClaimant:
      body += "<p id=personal>Nome e telefono sono visibili solo al mediatore che ha preso la richiesta.</p>";
      break;
    case OpenResult::Expired: body += "<p id=personal>Dati personali cancellati (periodo di conservazione).</p>"; break;
    case OpenResult::AuditFailed:
      status = 503;
      body += "<p class=msg id=personal>Registro degli accessi non scrivibile: dati personali non mostrati.</p>";
      break;
    default: body += "<p class=msg id=unreadable>Dati personali non leggibili.</p>";
  }
  auto action = [&](const char* what, const char* label) {
    return "<form method=post action='/console/request/" + esc(r->id) + "/" + what +
           "'><input type=hidden name=csrf value='" + esc(session->csrf) + "'><button id=" + what + ">" + label +
           "</button></form>";
  };
  body += "<p><a id=timeline href='/console/request/" + esc(r->id) + "/timeline'>Storia della richiesta</a></p>";
  if (r->status == "received") body += action("claim", "Prendo io");
  if (r->status == "in_progress" && r->mediator == session->user)
    body += action("done", "Chiusa: contattato") + action("unreachable", "Non raggiungibile");
  send_page(res, status, "Richiesta " + r->ref, body);
}

static void act(Server& s, const httplib::Request& req, httplib::Response& res) {
  auto session = require_role(s, req, res, "console", {"mediator"});
  if (!session || !require_csrf(*session, req, res)) return;
  std::string id = req.matches[1], what = req.matches[2], code;
  int64_t now = unix_now();
  if (what == "claim") {
    if (s.store->claim(id, session->user, now)) {
      code = "claimed";
    } else {
      auto r = s.store->get(id);
      code = r && !r->mediator.empty() ? "taken" : "unavailable";
    }
  } else {
    code = s.store->close(id, session->user, what, now) ? "closed" : "not_closed";
  }
  s.store->audit(audit_event(req, session->user, session->role, what, id));
  res.set_redirect("/console/request/" + id + "?m=" + code);
}

static void fleet(Server& s, const httplib::Request& req, httplib::Response& res) {
  auto session = require_role(s, req, res, "console", {"mediator", "council"});
  if (!session) return;
  int64_t now = unix_now();
  std::string body = nav(*session) + "<h1>Chioschi</h1><table><tr><th>Chiosco</th><th>Ultimo "
                     "contatto</th><th>In coda</th><th>Più vecchia</th><th>Errori</th><th>Contenuti</th></tr>";
  for (const KioskStatus& k : s.store->fleet()) {
    bool offline = now - k.last_heartbeat > 600;
    body += "<tr><td>" + esc(k.id) + "</td><td>" +
            (k.last_heartbeat ? age_text(now - k.last_heartbeat) + " fa" : std::string("mai")) +
            (offline ? " <b>offline</b>" : "") + "</td><td>" + std::to_string(k.queue_depth) + "</td><td>" +
            age_text(k.oldest_unsent_age_s) + "</td><td>" + std::to_string(k.permanent_errors) + "</td><td>" +
            esc(k.content_version) + "</td></tr>";
  }
  send_page(res, 200, "Chioschi", body + "</table>");
}

// Aggregate counts for the council's reports: how many requests, by state, language, topic and
// kiosk. Never a reference, a name or a phone.
static void stats(Server& s, const httplib::Request& req, httplib::Response& res) {
  auto session = require_role(s, req, res, "console", {"mediator", "council"});
  if (!session) return;
  std::string body = nav(*session) + "<h1>Numeri</h1><p>Richieste in tutto: <b id=total>" +
                     std::to_string(s.store->count_requests()) + "</b></p>";
  for (auto [column, title] : {std::make_pair("status", "Per stato"), std::make_pair("lang", "Per lingua"),
                               std::make_pair("topic", "Per argomento"), std::make_pair("kiosk", "Per chiosco")}) {
    body += std::string("<h2>") + title + "</h2><table>";
    for (const auto& [value, count] : s.store->request_counts(column))
      body += "<tr><td>" + esc(std::string(column) == "status" ? status_text(value) : value) + "</td><td>" +
              std::to_string(count) + "</td></tr>";
    body += "</table>";
  }
  send_page(res, 200, "Numeri", body);
}

void install_console(httplib::Server& http, Server& s) {
  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  http.Get("/console/style.css", console_route(s, [](Req, Res res) { res.set_content(kStyle, "text/css"); }));
  http.Get("/console/login", console_route(s, [&s](Req q, Res r) { login_page(s, q, r, "console", 200, ""); }));
  http.Post("/console/login", console_route(s, [&s](Req q, Res r) { login_post(s, q, r, "console"); }));
  http.Post("/console/logout", console_route(s, [&s](Req q, Res r) { logout_post(s, q, r, "console"); }));
  http.Get("/console/password", console_route(s, [&s](Req q, Res r) { password_page(s, q, r, "console"); }));
  http.Post("/console/password", console_route(s, [&s](Req q, Res r) { password_post(s, q, r, "console"); }));
  http.Get("/console/", console_route(s, [&s](Req q, Res r) { queue(s, q, r); }));
  http.Get("/console/fleet", console_route(s, [&s](Req q, Res r) { fleet(s, q, r); }));
  http.Get("/console/stats", console_route(s, [&s](Req q, Res r) { stats(s, q, r); }));
  http.Get(R"(/console/request/([0-9a-f-]{36}))", console_route(s, [&s](Req q, Res r) { detail(s, q, r); }));
  http.Post(R"(/console/request/([0-9a-f-]{36})/(claim|done|unreachable))",
            console_route(s, [&s](Req q, Res r) { act(s, q, r); }));
}

}  // namespace hub
