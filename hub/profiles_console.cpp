// [SECTION] Profile pages. A mediator (or council member) sets their own duty and notification
// address at /console/profile and sees the languages and desks an admin gave them; an admin sets
// every field of every account at /console/admin/profiles. Every change is audited
// (action "profile_set" or "duty_set", object "user:<name>").
#include "console_internal.h"
#include "notify.h"

#include <algorithm>

namespace hub {

namespace {

using Req = const httplib::Request&;
using Res = httplib::Response&;

std::string profile_message(const std::string& code) {
  if (code == "saved") return "Profilo salvato.";
  if (code == "invalid") return "Profilo non salvato: controlla l'indirizzo e-mail.";
  return {};
}

std::string hidden_csrf(const std::string& csrf) { return "<input type=hidden name=csrf value='" + esc(csrf) + "'>"; }

std::string languages_text(const std::vector<std::string>& codes) {
  std::string out;
  for (const std::string& c : codes) out += (out.empty() ? "" : ", ") + language_name_it(c) + " (" + c + ")";
  return out.empty() ? "—" : out;
}

std::string list_text(const std::vector<std::string>& items) { return items.empty() ? "—" : join_list(items); }

bool contains(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// [SECTION] A mediator's own profile

void my_profile(Server& s, Req req, Res res) {
  auto session = require_role(s, req, res, "console", {"mediator", "council"});
  if (!session) return;
  auto p = s.store->profile("console", session->user);
  if (!p) return send_page(res, 404, "Profilo", "<p>Utente non trovato.</p>");
  std::string body = std::string("<nav>") + (session->role == "mediator" ? "<a href=/console/>Coda</a>" : "") +
                     "<a href=/console/fleet>Chioschi</a><a href=/console/stats>Numeri</a>"
                     "<a href=/console/password>Password</a></nav><h1>Il mio profilo</h1>";
  std::string message = profile_message(req.get_param_value("m"));
  if (!message.empty()) body += "<p class=msg id=msg>" + esc(message) + "</p>";
  body += "<div class=card>Lingue: <span id=languages>" + esc(languages_text(p->languages)) +
          "</span><br>Sportelli: <span id=desks>" + esc(list_text(p->desks)) + "</span>" +
          (p->coordinator ? "<br><b id=coordinator>Coordinatore</b>" : "") +
          "<br><small>Lingue e sportelli li assegna l'amministrazione.</small></div>";
  body += "<form method=post action=/console/profile>" + hidden_csrf(session->csrf) +
          "<label><input type=checkbox name=on_duty value=1 id=on_duty" + (p->on_duty ? " checked" : "") +
          "> In servizio (ricevo le notifiche)</label><br><label>E-mail per le notifiche<br><input name=email "
          "type=email maxlength=254 id=email value='" + esc(p->email) +
          "'></label><br><button id=save>Salva</button></form>";
  send_page(res, 200, "Il mio profilo", body);
}

void my_profile_post(Server& s, Req req, Res res) {
  auto session = require_role(s, req, res, "console", {"mediator", "council"});
  if (!session || !require_csrf(*session, req, res)) return;
  bool on = form_value(req, "on_duty") == "1";
  std::string email = form_value(req, "email");
  if (!s.store->set_duty("console", session->user, on, email, unix_now()))
    return res.set_redirect("/console/profile?m=invalid");
  s.store->audit(audit_event(req, session->user, session->role, on ? "duty_set:on" : "duty_set:off",
                             "user:" + session->user));
  res.set_redirect("/console/profile?m=saved");
}

// [SECTION] The admins' page

void profiles_page(Server& s, Req req, Res res) {
  auto session = require_role(s, req, res, "admin", {"admin"});
  if (!session) return;
  std::string body = admin_nav(session->csrf) + "<h1>Profili</h1>";
  std::string message = profile_message(req.get_param_value("m"));
  if (!message.empty()) body += "<p class=msg id=msg>" + esc(message) + "</p>";
  body += "<p>Le richieste nuove vanno ai mediatori in servizio che parlano la lingua e coprono lo sportello; "
          "se nessuno corrisponde, ai coordinatori. Il riepilogo giornaliero va agli amministratori con un "
          "indirizzo.</p><table><tr><th>Utente</th><th>Ruolo</th><th>In servizio</th><th>Lingue</th>"
          "<th>Sportelli</th><th>E-mail</th><th></th></tr>";
  for (const char* realm : {"console", "admin"}) {
    for (const Profile& p : s.store->profiles(realm)) {
      std::string id = std::string(realm) + "-" + p.user;
      body += "<tr id='profile-" + esc(id) + "'><td>" + esc(p.user) + "</td><td>" + esc(p.role) +
              (p.coordinator ? ", coordinatore" : "") + (p.disabled ? " (disattivato)" : "") + "</td><td>" +
              (p.on_duty ? "sì" : "no") + "</td><td>" + esc(list_text(p.languages)) + "</td><td>" +
              esc(list_text(p.desks)) + "</td><td>" + esc(p.email.empty() ? "—" : p.email) +
              "</td><td><a id='edit-" + esc(id) + "' href='/console/admin/profiles/" + realm + "/" +
              url_encode(p.user) + "'>Modifica</a></td></tr>";
    }
  }
  send_page(res, 200, "Profili", body + "</table>");
}

void profile_edit_page(Server& s, Req req, Res res) {
  auto session = require_role(s, req, res, "admin", {"admin"});
  if (!session) return;
  std::string realm = req.matches[1], user = req.matches[2];
  auto p = s.store->profile(realm, user);
  if (!p) return send_page(res, 404, "Profilo", admin_nav(session->csrf) + "<p>Utente non trovato.</p>");
  std::string body = admin_nav(session->csrf) + "<h1>Profilo di " + esc(p->user) + "</h1>" +
                     "<form method=post action='/console/admin/profiles/" + realm + "/" + url_encode(p->user) + "'>" +
                     hidden_csrf(session->csrf);
  if (realm == "console") {
    body += "<fieldset><legend>Lingue</legend>";
    for (const std::string& code : request_languages())
      body += "<label><input type=checkbox name='lang_" + code + "' value=1" +
              (contains(p->languages, code) ? " checked" : "") + "> " + language_name_it(code) + "</label> ";
    body += "</fieldset><fieldset><legend>Sportelli (chioschi)</legend>";
    std::vector<std::string> desks;
    for (const KioskStatus& k : s.store->fleet()) desks.push_back(k.id);
    for (const std::string& d : p->desks)
      if (!contains(desks, d)) desks.push_back(d);  // a kiosk removed since: still shown, can be unticked
    for (const std::string& d : desks)
      body += "<label><input type=checkbox name='desk_" + esc(d) + "' value=1" + (contains(p->desks, d) ? " checked" : "") +
              "> " + esc(d) + "</label> ";
    body += "</fieldset><label><input type=checkbox name=on_duty value=1" + std::string(p->on_duty ? " checked" : "") +
            "> In servizio</label><br><label><input type=checkbox name=coordinator value=1" +
            (p->coordinator ? " checked" : "") + "> Coordinatore</label><br>";
  }
  body += "<label>E-mail<br><input name=email type=email maxlength=254 value='" + esc(p->email) +
          "'></label><br><button id=save>Salva</button></form>";
  send_page(res, 200, "Profilo", body);
}

void profile_edit_post(Server& s, Req req, Res res) {
  auto session = require_role(s, req, res, "admin", {"admin"});
  if (!session || !require_csrf(*session, req, res)) return;
  std::string realm = req.matches[1], user = req.matches[2];
  auto current = s.store->profile(realm, user);
  if (!current) return send_page(res, 404, "Profilo", admin_nav(session->csrf) + "<p>Utente non trovato.</p>");
  Profile p = *current;
  p.email = form_value(req, "email");
  if (realm == "console") {
    p.languages.clear();
    for (const std::string& code : request_languages())
      if (form_value(req, "lang_" + code) == "1") p.languages.push_back(code);
    std::vector<std::string> known;
    for (const KioskStatus& k : s.store->fleet()) known.push_back(k.id);
    for (const std::string& d : current->desks)
      if (!contains(known, d)) known.push_back(d);
    p.desks.clear();
    for (const std::string& d : known)
      if (form_value(req, "desk_" + d) == "1") p.desks.push_back(d);
    p.on_duty = form_value(req, "on_duty") == "1";
    p.coordinator = form_value(req, "coordinator") == "1";
  }
  if (!s.store->set_profile(p, unix_now())) return res.set_redirect("/console/admin/profiles?m=invalid");
  s.store->audit(audit_event(req, session->user, session->role, "profile_set",
                             "user:" + user + (realm == "admin" ? " (admin)" : "")));
  res.set_redirect("/console/admin/profiles?m=saved");
}

}  // namespace

void install_profiles_console(httplib::Server& http, Server& s) {
  http.Get("/console/profile", console_route(s, [&s](Req q, Res r) { my_profile(s, q, r); }));
  http.Post("/console/profile", console_route(s, [&s](Req q, Res r) { my_profile_post(s, q, r); }));
  http.Get("/console/admin/profiles", console_route(s, [&s](Req q, Res r) { profiles_page(s, q, r); }));
  http.Get(R"(/console/admin/profiles/(console|admin)/([a-z0-9._-]{1,64}))",
           console_route(s, [&s](Req q, Res r) { profile_edit_page(s, q, r); }));
  http.Post(R"(/console/admin/profiles/(console|admin)/([a-z0-9._-]{1,64}))",
            console_route(s, [&s](Req q, Res r) { profile_edit_post(s, q, r); }));
}

}  // namespace hub
