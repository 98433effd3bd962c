// [SECTION] Mediator console: server-rendered Italian pages that work on a phone without
// JavaScript. Personal data is opened only on a request's own page, for the mediator who claimed
// it, and only once the view is in the audit table (without the data itself).
#include "console_internal.h"
#include "notify.h"

#include <algorithm>
#include <map>

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

// Served as files: the CSP allows no inline style or script. Colours meet WCAG 2.1 AA contrast
// (4.5:1 for text) on their backgrounds; touch targets are at least 44 px; readable at 360 px.
static const char* kStyle =
    "body{font-family:sans-serif;margin:0;padding:12px;background:#f7f7f2;color:#1c2024;line-height:1.4}"
    "h1{font-size:1.3em}a{color:#0b5563}table{border-collapse:collapse;width:100%}"
    "td,th{padding:8px 6px;border-bottom:1px solid #ccc;text-align:left;font-size:.95em;vertical-align:top}"
    "button,input,select{font-size:1em;padding:10px;margin:4px 0;border-radius:6px;border:1px solid #6b6b6b;"
    "background:#fff;color:#1c2024;max-width:100%}"
    "button{background:#0b5563;color:#fff;border:0;min-height:44px}.msg{padding:10px;background:#fde8c8}"
    "nav{display:flex;flex-wrap:wrap;align-items:center;gap:4px 14px}nav a{padding:10px 0}"
    ".card{background:#fff;padding:12px;border-radius:8px;margin:8px 0}"
    ".inline{display:inline}.scroll{overflow-x:auto;max-width:100%}.filters{display:flex;flex-wrap:wrap;gap:0 12px;align-items:flex-end}"
    ".filters label{display:flex;flex-direction:column;font-size:.9em}"
    ".tools{display:flex;gap:14px;align-items:center}.tools a{padding:10px 0}"
    ".wait{color:#8a4b00;font-weight:bold}.late{color:#a4161a;font-weight:bold}"
    "tr.escalated td{background:#f8d7d3}tr.escalated td:first-child{border-left:6px solid #b3261e}"
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}"
    "@media(max-width:560px){.wide{display:none}body{padding:8px}td,th{padding:8px 4px}}";

// The live console (served as a file, allowed by script-src 'self'): on an event from
// /console/events the page fetches itself again, with its own session and authorization, and
// swaps in the part marked data-live. Without JavaScript the "Aggiorna" link does the same.
static const char* kScript = R"js((function () {
  "use strict";
  var live = document.querySelector("[data-live]");
  if (!live || !window.EventSource || !window.fetch) return;
  var root = document.documentElement, status = document.getElementById("live-status");
  var kind = live.getAttribute("data-live"), pending = null, running = false, again = false;
  function say(text) { if (status) status.textContent = text; }
  function refresh() {
    if (running) { again = true; return; }
    running = true;
    fetch(location.href, {credentials: "same-origin", redirect: "manual", cache: "no-store"}).then(function (r) {
      if (r.type === "opaqueredirect" || !r.ok) { location.reload(); throw new Error("session"); }
      return r.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live]");
      if (fresh) { live.innerHTML = fresh.innerHTML; }
      root.setAttribute("data-refreshes", String(Number(root.getAttribute("data-refreshes") || "0") + 1));
      say("Aggiornato alle " + new Date().toLocaleTimeString("it-IT", {hour: "2-digit", minute: "2-digit"}));
    }).catch(function () {}).then(function () {
      running = false;
      if (again) { again = false; refresh(); }
    });
  }
  function soon() { if (pending) return; pending = setTimeout(function () { pending = null; refresh(); }, 150); }
  // A refused stream (the hub busy, or at --max-live) is not retried by the browser: try again
  // later, at a random moment, so that many consoles do not come back at once.
  function connect() {
    var source = new EventSource("/console/events");
    source.addEventListener("open", function () { root.setAttribute("data-live-state", "open"); say("In diretta"); });
    source.addEventListener("error", function () {
      var closed = source.readyState === 2;
      root.setAttribute("data-live-state", closed ? "closed" : "retrying");
      say(closed ? "Aggiornamento automatico fermo: usa Aggiorna" : "Riconnessione…");
      if (closed) setTimeout(connect, 15000 + Math.random() * 30000);
    });
    source.addEventListener("queue", soon);
    source.addEventListener("request", function (e) {
      var d = {};
      try { d = JSON.parse(e.data); } catch (x) { return; }
      if (kind === "queue" || kind === "request:" + d.id) soon();
    });
  }
  connect();
})();
)js";

std::string page(const std::string& title, const std::string& body) {
  // The navigation stays outside the main landmark; everything else is the page's main content.
  std::string nav, main = body;
  if (body.rfind("<nav>", 0) == 0) {
    size_t end = body.find("</nav>") + 6;
    nav = body.substr(0, end), main = body.substr(end);
  }
  // Tables scroll sideways inside their own focusable region, so that the page itself fits a
  // phone's width (WCAG 1.4.10: data tables may scroll in two dimensions, the page may not).
  for (size_t at = 0; (at = main.find("<table", at)) != std::string::npos;) {
    const std::string open = "<div class=scroll tabindex=0 role=region aria-label='Tabella (scorre di lato)'>";
    main.insert(at, open);
    size_t end = main.find("</table>", at + open.size());
    if (end == std::string::npos) break;
    main.insert(end + 8, "</div>");
    at = end + 14;
  }
  return "<!doctype html><html lang=it><head><meta charset=utf-8><title>" + esc(title) +
         "</title><meta name=viewport content='width=device-width,initial-scale=1'>"
         "<link rel=stylesheet href=/console/style.css><script src=/console/live.js defer></script></head><body>" +
         nav + "<main>" + main + "</main></body></html>";
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

// A labelled choice of the queue's filter: "all" first, then the options, the current one selected.
static std::string choice(const char* name, const char* label, const std::string& current, const char* all,
                          const std::vector<std::pair<std::string, std::string>>& options) {
  std::string id = std::string("f-") + name;
  std::string out = "<label for=" + id + ">" + label + "<select id=" + id + " name=" + name + "><option value=''>" + all +
                    "</option>";
  for (const auto& [value, text] : options)
    out += "<option value='" + esc(value) + "'" + (value == current ? " selected" : "") + ">" + esc(text) + "</option>";
  return out + "</select></label>";
}

// How long a request has waited, coloured when it matters: a request nobody took for 4 hours is
// late, for a day very late (said in words too, not by colour alone).
static std::string waited(const Request& r, int64_t now) {
  int64_t age = now - r.received_at;
  std::string text = age_text(std::max<int64_t>(age, 0));
  if (r.status != "received" || age < 4 * 3600) return "<td>" + text + "</td>";
  bool late = age >= 86400;
  return std::string("<td class=") + (late ? "late" : "wait") + ">" + text + "<span class=sr>" +
         (late ? " (in attesa da più di un giorno)" : " (in attesa da più di 4 ore)") + "</span></td>";
}

static void queue(Server& s, const httplib::Request& req, httplib::Response& res) {
  auto session = require_role(s, req, res, "console", {"mediator"});
  if (!session) return;
  Filter f{req.get_param_value("lang"), req.get_param_value("topic"), req.get_param_value("kiosk"),
           req.get_param_value("status"), 0, {}, {}};
  // At most a year back: hours beyond that (or not a number) mean any age.
  std::string age = req.get_param_value("age_h");
  if (!age.empty() && age.size() <= 4 && age.find_first_not_of("0123456789") == std::string::npos)
    f.max_age_s = std::min<int64_t>(std::atoll(age.c_str()), 24 * 366) * 3600;
  // The queue opens on the mediator's own languages and desks (their profile); "tutte" is one tap
  // away (mine=0). A profile without either shows everything.
  std::optional<Profile> profile = s.store->profile("console", session->user);
  bool has_mine = profile && (!profile->languages.empty() || !profile->desks.empty());
  bool mine = has_mine && req.get_param_value("mine") != "0";
  if (mine) f.langs = profile->languages, f.kiosks = profile->desks;
  int64_t now = unix_now();
  auto topics = topic_names(s);
  auto kiosks = kiosk_names(s);
  std::vector<std::pair<std::string, std::string>> langs, topic_options, kiosk_options;
  for (const std::string& code : language_codes()) langs.push_back({code, language_text(code)});
  std::map<std::string, std::string> seen_topics = topics;  // the release's topics and those requests carry
  for (const auto& [topic, count] : s.store->request_counts("topic")) seen_topics.emplace(topic, topic), (void)count;
  for (const auto& [id, name] : seen_topics) topic_options.push_back({id, topic_text(topics, id)});
  for (const auto& [id, name] : kiosks) kiosk_options.push_back({id, name});
  std::string body = nav(*session) + "<h1>Richieste</h1>";
  body += "<p class=tools><a id=reload href='" + esc(req.target.empty() ? "/console/" : req.target) +
          "'>Aggiorna</a><span id=live-status role=status></span></p>";
  if (has_mine) {
    std::string langs_text, desks_text;
    for (const std::string& l : profile->languages) langs_text += (langs_text.empty() ? "" : ", ") + language_text(l);
    for (const std::string& k : profile->desks) {
      auto it = kiosks.find(k);
      desks_text += (desks_text.empty() ? "" : ", ") + (it == kiosks.end() ? k : it->second);
    }
    std::string what = (langs_text.empty() ? "" : langs_text) + (langs_text.empty() || desks_text.empty() ? "" : "; ") + desks_text;
    body += mine ? "<p id=mine>Le tue lingue e i tuoi sportelli (" + esc(what) +
                       "). <a id=show-all href='/console/?mine=0'>Mostra tutte le richieste</a></p>"
                 : "<p id=mine>Tutte le richieste. <a id=show-mine href='/console/'>Solo le mie lingue e i miei sportelli</a></p>";
  }
  body += "<form method=get class=filters>" + std::string(mine ? "" : has_mine ? "<input type=hidden name=mine value=0>" : "") +
          choice("lang", "Lingua", f.lang, "tutte", langs) +
          choice("topic", "Argomento", f.topic, "tutti", topic_options) +
          choice("kiosk", "Sportello", f.kiosk, "tutti", kiosk_options) +
          choice("status", "Stato", f.status, "aperte",
                 {{"all", "tutte"}, {"closed", "chiuse"}, {"received", "da prendere"}, {"in_progress", "in corso"}}) +
          choice("age_h", "Arrivate", age, "in qualsiasi momento",
                 {{"1", "nell'ultima ora"}, {"24", "nelle ultime 24 ore"}, {"168", "nell'ultima settimana"}}) +
          "<button>Filtra</button></form>";
  body += "<table><caption class=sr>Richieste filtrate, le più recenti prima</caption><thead><tr><th scope=col>Codice</th>"
          "<th scope=col>Lingua</th><th scope=col>Argomento</th><th scope=col class=wide>Contatto</th>"
          "<th scope=col class=wide>Sportello</th><th scope=col>Attesa</th><th scope=col>Stato</th></tr></thead>"
          "<tbody id=rows data-live=queue>";
  std::vector<Request> rows = s.store->list(f, now);
  std::set<std::string> escalated = outbox::escalated_open(*s.store);  // unclaimed past their desk's time
  for (const Request& r : rows) {
    auto kiosk = kiosks.find(r.kiosk);
    bool late = escalated.count(r.id) > 0;
    body += "<tr id='row-" + esc(r.id) + "' data-state=" + esc(r.status) + (late ? " class=escalated" : "") +
            "><td><a id='" + esc(r.ref) + "' href='/console/request/" + esc(r.id) + "'>" + esc(r.ref) + "</a>" +
            (late ? "<span class=sr> (segnalata: nessuno l'ha presa in tempo)</span>" : "") + "</td><td>" + language_html(r.lang) +
            "</td><td>" + esc(topic_text(topics, r.topic)) + "</td><td class=wide>" +
            (r.contact == "desk" ? "allo sportello " + esc(r.desk_day) : std::string("telefono")) + "</td><td class=wide>" +
            esc(kiosk == kiosks.end() ? r.kiosk : kiosk->second) + "</td>" + waited(r, now) + "<td>" +
            status_text(r.status) + (r.mediator.empty() ? "" : " (" + esc(r.mediator) + ")") + "</td></tr>";
  }
  if (rows.empty()) body += "<tr><td colspan=7>Nessuna richiesta con questi filtri.</td></tr>";
  body += "</tbody></table>";
  send_page(res, 200, "Richieste", body);
}

static void detail(Server& s, const httplib::Request& req, httplib::Response& res) {
  auto session = require_role(s, req, res, "console", {"mediator"});
  if (!session) return;
  auto r = s.store->get(req.matches[1]);
  if (!r) return send_page(res, 404, "Non trovata", nav(*session) + "<h1>Non trovata</h1><p>Richiesta non trovata.</p>");
  std::string body = nav(*session) + "<h1>Richiesta " + esc(r->ref) + "</h1>";
  body += "<p class=tools><a id=reload href='/console/request/" + esc(r->id) +
          "'>Aggiorna</a><span id=live-status role=status></span></p><div id=live data-live='request:" + esc(r->id) + "'>";
  int status = 200;
  std::string code = req.get_param_value("m"), message = message_text(code);
  if (code == "taken" && !r->mediator.empty()) message = "Richiesta già presa da " + r->mediator + ".";
  if (!message.empty()) body += "<p class=msg id=msg>" + esc(message) + "</p>";
  auto kiosks = kiosk_names(s);
  auto kiosk = kiosks.find(r->kiosk);
  body += "<div class=card>Lingua: " + language_html(r->lang) + "<br>Argomento: " + esc(topic_text(topic_names(s), r->topic)) +
          "<br>Contatto: " +
          (r->contact == "desk" ? "torna allo sportello il " + esc(r->desk_day) : std::string("richiamare al telefono")) +
          "<br>Sportello: " + esc(kiosk == kiosks.end() ? r->kiosk : kiosk->second) + "<br>Arrivata: " +
          age_text(std::max<int64_t>(unix_now() - r->received_at, 0)) + " fa<br>Stato: <b id=state data-state=" +
          esc(r->status) + ">" + status_text(r->status) + (r->mediator.empty() ? "" : " (" + esc(r->mediator) + ")") +
          "</b></div>";
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
  send_page(res, status, "Richiesta " + r->ref, body + "</div>");
}

static void act(Server& s, const httplib::Request& req, httplib::Response& res) {
  auto session = require_role(s, req, res, "console", {"mediator"});
  if (!session || !require_csrf(*session, req, res)) return;
  std::string id = req.matches[1], what = req.matches[2], code;
  int64_t now = unix_now();
  if (what == "claim") {
    if (s.store->claim(id, session->user, now)) {
      code = "claimed";
      s.events.publish({Event::RequestChanged, id, "in_progress"});
    } else {
      auto r = s.store->get(id);
      code = r && !r->mediator.empty() ? "taken" : "unavailable";
    }
  } else {
    code = s.store->close(id, session->user, what, now) ? "closed" : "not_closed";
    if (code == "closed") s.events.publish({Event::RequestChanged, id, what});
  }
  // A refused attempt is logged as one: "claim" in the log is always the claim that took effect
  // (two mediators racing, even on two instances, leave one).
  bool done = code == "claimed" || code == "closed";
  s.store->audit(audit_event(req, session->user, session->role, done ? what : what + "_refused", id));
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
  http.Get("/console/live.js", console_route(s, [](Req, Res res) { res.set_content(kScript, "text/javascript"); }));
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
