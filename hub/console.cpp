// [SECTION] Mediator console: server-rendered Italian pages that work on a phone without
// JavaScript. Personal data is opened only on a request's own page, for a logged-in mediator,
// and every such view is written to the audit table (without the data itself).
#include "server_internal.h"

#include <nlohmann/json.hpp>

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

static const char* kStyle =
    "<meta name=viewport content='width=device-width,initial-scale=1'><style>"
    "body{font-family:sans-serif;margin:0;padding:12px;background:#f7f7f2;color:#1c2024}"
    "h1{font-size:1.3em}a{color:#0b5563}table{border-collapse:collapse;width:100%}"
    "td,th{padding:8px 6px;border-bottom:1px solid #ccc;text-align:left;font-size:.95em}"
    "button,input,select{font-size:1em;padding:10px;margin:4px 0;border-radius:6px;border:1px solid #999}"
    "button{background:#0b5563;color:#fff;border:0;min-height:44px}.msg{padding:10px;background:#fde8c8}"
    "nav a{margin-right:14px}.card{background:#fff;padding:12px;border-radius:8px;margin:8px 0}"
    "@media(max-width:560px){.wide{display:none}}</style>";

std::string page(const std::string& title, const std::string& body) {
  return "<!doctype html><html lang=it><head><meta charset=utf-8><title>" + esc(title) + "</title>" + kStyle +
         "</head><body>" + body + "</body></html>";
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

// The logged-in mediator and the session's CSRF token, or nullopt after redirecting to login.
static std::optional<std::pair<std::string, std::string>> require_login(Server& s, const httplib::Request& req,
                                                                         httplib::Response& res) {
  std::string cookie = req.get_header_value("Cookie");
  size_t at = cookie.find("sportello_session=");
  if (at != std::string::npos) {
    std::string token = cookie.substr(at + 18, cookie.find(';', at) == std::string::npos ? std::string::npos
                                                                                          : cookie.find(';', at) - at - 18);
    if (auto session = s.store->session(sha256_hex(token), unix_now())) return session;
  }
  res.set_redirect("/console/login");
  return std::nullopt;
}

static void login_form(httplib::Response& res, const std::string& message) {
  std::string body = "<h1>Sportello – mediatori</h1>";
  if (!message.empty()) body += "<p class=msg>" + esc(message) + "</p>";
  body += "<form method=post action=/console/login><label>Utente<br><input name=user autocomplete=username "
          "required></label><br><label>Password<br><input name=password type=password "
          "autocomplete=current-password required></label><br><button>Entra</button></form>";
  res.set_content(page("Accesso", body), "text/html; charset=utf-8");
}

static void login(Server& s, const httplib::Request& req, httplib::Response& res) {
  std::string user = req.get_param_value("user"), password = req.get_param_value("password");
  int64_t now = unix_now();
  if (!s.store->login_allowed(user, now)) {
    log_event("login_locked", req.remote_addr, "user=" + user);
    res.status = 429;
    return login_form(res, "Troppi tentativi falliti. Riprova tra 15 minuti.");
  }
  auto hash = s.store->mediator_hash(user);
  if (!hash || !password_verify(*hash, password)) {
    s.store->login_failed(user, now);
    log_event("login_failed", req.remote_addr, "user=" + user);
    res.status = 401;
    return login_form(res, "Utente o password non validi.");
  }
  s.store->login_succeeded(user);
  log_event("login", req.remote_addr, "user=" + user);
  std::string token = random_token(), csrf = random_token(16);
  s.store->add_session(sha256_hex(token), user, csrf, now + 8 * 3600);
  res.set_header("Set-Cookie", "sportello_session=" + token + "; Path=/console; HttpOnly; SameSite=Strict" +
                                   (s.tls ? "; Secure" : ""));
  res.set_redirect("/console/");
}

static void queue(Server& s, const httplib::Request& req, httplib::Response& res) {
  auto session = require_login(s, req, res);
  if (!session) return;
  Filter f{req.get_param_value("lang"), req.get_param_value("topic"), req.get_param_value("kiosk"),
           req.get_param_value("status"), 0};
  std::string age = req.get_param_value("age_h");
  if (!age.empty()) f.max_age_s = std::clamp<int64_t>(std::atoll(age.c_str()), 0, 24 * 366 * 10) * 3600;
  int64_t now = unix_now();
  std::string body = "<nav><a href=/console/>Coda</a><a href=/console/fleet>Chioschi</a><form method=post "
                     "action=/console/logout style=display:inline><input type=hidden name=csrf value='" +
                     esc(session->second) + "'><button>Esci</button></form></nav><h1>Richieste</h1>";
  body += "<form method=get><input name=lang placeholder=lingua size=4 value='" + esc(f.lang) +
          "'> <input name=topic placeholder=argomento size=9 value='" + esc(f.topic) +
          "'> <input name=kiosk placeholder=chiosco size=7 value='" + esc(f.kiosk) +
          "'> <select name=status><option value=''>aperte</option><option value=all>tutte</option><option value=closed>chiuse</option><option value=received>da prendere</option>"
          "<option value=in_progress>in corso</option></select>"
          " <input name=age_h placeholder='ultime ore' size=5 value='" + esc(age) + "'> <button>Filtra</button></form>";
  body += "<table><tr><th>Codice</th><th>Lingua</th><th>Argomento</th><th class=wide>Contatto</th><th class=wide>Chiosco</th><th>Età</th>"
          "<th>Stato</th></tr>";
  for (const Request& r : s.store->list(f, now))
    body += "<tr><td><a id='" + esc(r.ref) + "' href='/console/request/" + esc(r.id) + "'>" + esc(r.ref) + "</a></td><td>" +
            esc(r.lang) + "</td><td>" + esc(r.topic) + "</td><td class=wide>" +
            (r.contact == "desk" ? "allo sportello " + esc(r.desk_day) : std::string("telefono")) + "</td><td class=wide>" +
            esc(r.kiosk) + "</td><td>" + age_text(now - r.received_at) + "</td><td>" + status_text(r.status) +
            (r.mediator.empty() ? "" : " (" + esc(r.mediator) + ")") + "</td></tr>";
  body += "</table>";
  res.set_content(page("Richieste", body), "text/html; charset=utf-8");
}

static void detail(Server& s, const httplib::Request& req, httplib::Response& res) {
  auto session = require_login(s, req, res);
  if (!session) return;
  auto r = s.store->get(req.matches[1]);
  if (!r) {
    res.status = 404;
    return res.set_content(page("Non trovata", "<p>Richiesta non trovata.</p>"), "text/html; charset=utf-8");
  }
  std::string body = "<nav><a href=/console/>← Coda</a></nav><h1>Richiesta " + esc(r->ref) + "</h1>";
  std::string message = req.get_param_value("msg");
  if (!message.empty()) body += "<p class=msg>" + esc(message) + "</p>";
  body += "<div class=card>Lingua: " + esc(r->lang) + "<br>Argomento: " + esc(r->topic) + "<br>Contatto: " +
          (r->contact == "desk" ? "torna allo sportello il " + esc(r->desk_day) : std::string("richiamare al telefono")) +
          "<br>Chiosco: " + esc(r->kiosk) + "<br>Stato: " + status_text(r->status) +
          (r->mediator.empty() ? "" : " (" + esc(r->mediator) + ")") + "</div>";
  // Opened by the store for the claiming mediator only, after the view is audited; wiped once
  // the page is built (the page buffer is then the one copy left).
  Personal person;
  AuditEvent view{unix_now(), session->first, "mediator", "view_personal", r->id, req.remote_addr};
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
      res.status = 503;
      body += "<p class=msg id=personal>Registro degli accessi non scrivibile: dati personali non mostrati.</p>";
      break;
    default: body += "<p class=msg id=personal>Dati personali non leggibili con la chiave di questo hub.</p>";
  }
  auto action = [&](const char* what, const char* label) {
    return "<form method=post action='/console/request/" + esc(r->id) + "/" + what +
           "'><input type=hidden name=csrf value='" + esc(session->second) + "'><button id=" + what + ">" + label +
           "</button></form>";
  };
  if (r->status == "received") body += action("claim", "Prendo io");
  if (r->status == "in_progress" && r->mediator == session->first)
    body += action("done", "Chiusa: contattato") + action("unreachable", "Non raggiungibile");
  res.set_content(page("Richiesta " + r->ref, body), "text/html; charset=utf-8");
}

static void act(Server& s, const httplib::Request& req, httplib::Response& res) {
  auto session = require_login(s, req, res);
  if (!session) return;
  if (req.get_param_value("csrf") != session->second) {
    res.status = 403;
    return res.set_content(page("Vietato", "<p>Modulo scaduto: ricarica la pagina.</p>"), "text/html; charset=utf-8");
  }
  std::string id = req.matches[1], what = req.matches[2], message;
  int64_t now = unix_now();
  if (what == "claim") {
    if (s.store->claim(id, session->first, now)) {
      message = "Richiesta presa in carico.";
    } else {
      auto r = s.store->get(id);
      message = r && !r->mediator.empty() ? "Richiesta già presa da " + r->mediator + "." : "Richiesta non disponibile.";
    }
  } else {
    message = s.store->close(id, session->first, what, now) ? "Richiesta chiusa." : "Non è possibile chiudere questa richiesta.";
  }
  s.store->audit(session->first, id, what, now);
  res.set_redirect("/console/request/" + id + "?msg=" + url_encode(message));
}

static void fleet(Server& s, const httplib::Request& req, httplib::Response& res) {
  if (!require_login(s, req, res)) return;
  int64_t now = unix_now();
  std::string body = "<nav><a href=/console/>← Coda</a></nav><h1>Chioschi</h1><table><tr><th>Chiosco</th><th>Ultimo "
                     "contatto</th><th>In coda</th><th>Più vecchia</th><th>Errori</th><th>Contenuti</th></tr>";
  for (const KioskStatus& k : s.store->fleet()) {
    bool offline = now - k.last_heartbeat > 600;
    body += "<tr><td>" + esc(k.id) + "</td><td>" +
            (k.last_heartbeat ? age_text(now - k.last_heartbeat) + " fa" : std::string("mai")) +
            (offline ? " <b>offline</b>" : "") + "</td><td>" + std::to_string(k.queue_depth) + "</td><td>" +
            age_text(k.oldest_unsent_age_s) + "</td><td>" + std::to_string(k.permanent_errors) + "</td><td>" +
            esc(k.content_version) + "</td></tr>";
  }
  res.set_content(page("Chioschi", body + "</table>"), "text/html; charset=utf-8");
}

void install_console(httplib::Server& http, Server& s) {
  http.Get("/console/login", [](const httplib::Request&, httplib::Response& res) { login_form(res, ""); });
  http.Post("/console/login", [&s](const httplib::Request& q, httplib::Response& r) { login(s, q, r); });
  http.Post("/console/logout", [&s](const httplib::Request& q, httplib::Response& r) {
    auto session = require_login(s, q, r);
    std::string cookie = q.get_header_value("Cookie");
    size_t at = cookie.find("sportello_session=");
    if (session && at != std::string::npos && q.get_param_value("csrf") == session->second)
      s.store->drop_session(sha256_hex(cookie.substr(at + 18, cookie.find(';', at) - at - 18)));
    r.set_redirect("/console/login");
  });
  http.Get("/console/", [&s](const httplib::Request& q, httplib::Response& r) { queue(s, q, r); });
  http.Get("/console/fleet", [&s](const httplib::Request& q, httplib::Response& r) { fleet(s, q, r); });
  http.Get(R"(/console/request/([0-9a-f-]{36}))", [&s](const httplib::Request& q, httplib::Response& r) { detail(s, q, r); });
  http.Post(R"(/console/request/([0-9a-f-]{36})/(claim|done|unreachable))",
            [&s](const httplib::Request& q, httplib::Response& r) { act(s, q, r); });
}

}  // namespace hub
