// [SECTION] Admin console: accounts and the audit log. An admin adds mediators, council members
// and admins, disables and enables them, resets a password and ends a user's sessions; every
// such act is audited. The audit log is shown (newest first) and exported as CSV.
#include "console_internal.h"

namespace hub {

namespace {

using Req = const httplib::Request&;
using Res = httplib::Response&;

// A new account's name: lower-case letters, digits, '.', '_', '-'; at most 32.
bool valid_user_name(const std::string& user) {
  if (user.empty() || user.size() > 32 || !(islower((unsigned char)user[0]) || isdigit((unsigned char)user[0])))
    return false;
  return user.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-") == std::string::npos;
}

std::string role_text(const std::string& role) {
  if (role == "mediator") return "mediatore";
  if (role == "council") return "consiglio (sola lettura)";
  if (role == "admin") return "amministratore";
  return role;
}

std::string realm_of_role(const std::string& role) { return role == "admin" ? "admin" : "console"; }

std::string account_rows(const std::vector<Account>& accounts, const std::string& realm, const std::string& csrf) {
  std::string rows;
  for (const Account& a : accounts) {
    auto button = [&](const char* what, const char* label, const std::string& extra = "") {
      return "<form method=post action=/console/admin/users/" + std::string(what) +
             " class=inline><input type=hidden name=csrf value='" + esc(csrf) +
             "'><input type=hidden name=realm value=" + realm + "><input type=hidden name=user value='" + esc(a.user) +
             "'>" + extra + "<button id='" + what + "-" + realm + "-" + esc(a.user) + "'>" + label + "</button></form> ";
    };
    std::string id = realm + "-" + esc(a.user);
    rows += "<tr id='user-" + id + "'><td>" + esc(a.user) + "</td><td>" + role_text(a.role) + "</td><td>" +
            (a.disabled ? "disattivato" : "attivo") + "</td><td>" + std::to_string(a.sessions) + "</td><td>" +
            (a.disabled ? button("enable", "Riattiva") : button("disable", "Disattiva")) +
            button("revoke", "Chiudi sessioni") +
            button("reset", "Reimposta password",
                   "<input name=password type=password autocomplete=new-password minlength=12 "
                   "placeholder='nuova password' required> ") +
            "</td></tr>";
  }
  return rows;
}

void users_page(Server& s, Req req, Res res) {
  auto session = require_role(s, req, res, "admin", {"admin"});
  if (!session) return;
  std::string body = admin_nav(session->csrf) + "<h1>Utenti</h1>";
  std::string message = message_text(req.get_param_value("m"));
  if (!message.empty()) body += "<p class=msg id=msg>" + esc(message) + "</p>";
  body += "<div class=card><h2>Aggiungi un utente</h2><form method=post action=/console/admin/users/add>"
          "<input type=hidden name=csrf value='" + esc(session->csrf) +
          "'><label>Nome (minuscole, cifre, . _ -)<br><input name=user required maxlength=32></label><br>"
          "<label>Ruolo<br><select name=role><option value=mediator>mediatore</option>"
          "<option value=council>consiglio (sola lettura)</option><option value=admin>amministratore</option>"
          "</select></label><br><label>Password (almeno 12 caratteri)<br><input name=password type=password "
          "autocomplete=new-password minlength=12 required></label><br><button id=add>Aggiungi</button></form></div>";
  body += "<table><tr><th>Utente</th><th>Ruolo</th><th>Stato</th><th>Sessioni</th><th></th></tr>" +
          account_rows(s.store->accounts("console"), "console", session->csrf) +
          account_rows(s.store->accounts("admin"), "admin", session->csrf) + "</table>";
  send_page(res, 200, "Utenti", body);
}

void add_user(Server& s, Req req, Res res) {
  auto session = require_role(s, req, res, "admin", {"admin"});
  if (!session || !require_csrf(*session, req, res)) return;
  std::string user = form_value(req, "user"), role = form_value(req, "role"), password = form_value(req, "password");
  if (!valid_user_name(user) || (role != "mediator" && role != "council" && role != "admin"))
    return res.set_redirect("/console/admin/users?m=user_exists");
  if (!password_problem(password, user).empty()) return res.set_redirect("/console/admin/users?m=weak_password");
  std::string hash = capped_hash(s, password);
  sodium_memzero(password.data(), password.size());
  if (hash.empty()) {
    res.set_header("Retry-After", "2");
    return send_page(res, 503, "Occupato", "<p>" + esc(message_text("busy")) + "</p>");
  }
  if (!s.store->add_account(realm_of_role(role), user, role, hash))
    return res.set_redirect("/console/admin/users?m=user_exists");
  s.store->audit(audit_event(req, session->user, session->role, "user_added:" + role, "user:" + user));
  res.set_redirect("/console/admin/users?m=user_added");
}

// disable | enable | revoke | reset, on the account named by the form's realm and user.
void change_user(Server& s, Req req, Res res) {
  auto session = require_role(s, req, res, "admin", {"admin"});
  if (!session || !require_csrf(*session, req, res)) return;
  std::string what = req.matches[1], realm = form_value(req, "realm"), user = form_value(req, "user");
  if ((realm != "console" && realm != "admin") || !s.store->account(realm, user))
    return res.set_redirect("/console/admin/users?m=no_user");
  // An admin cannot disable their own account: the last admin would lock everyone out.
  if (what == "disable" && realm == "admin" && user == session->user)
    return res.set_redirect("/console/admin/users?m=no_user");
  std::string code, subject = "user:" + user + (realm == "admin" ? " (admin)" : "");
  if (what == "disable" || what == "enable") {
    bool disable = what == "disable";
    if (!s.store->set_disabled(realm, user, disable)) return res.set_redirect("/console/admin/users?m=no_user");
    code = disable ? "user_disabled" : "user_enabled";
  } else if (what == "revoke") {
    s.store->end_sessions(realm, user);
    code = "sessions_revoked";
  } else {
    std::string password = form_value(req, "password");
    if (!password_problem(password, user).empty()) return res.set_redirect("/console/admin/users?m=weak_password");
    std::string hash = capped_hash(s, password);
    sodium_memzero(password.data(), password.size());
    if (hash.empty()) {
      res.set_header("Retry-After", "2");
      return send_page(res, 503, "Occupato", "<p>" + esc(message_text("busy")) + "</p>");
    }
    if (!s.store->set_password(realm, user, hash)) return res.set_redirect("/console/admin/users?m=no_user");
    code = "password_reset";
  }
  s.store->audit(audit_event(req, session->user, session->role, code, subject));
  if (realm == "console" && code != "user_enabled") s.events.publish({Event::UserSessionsEnded, user, ""});  // live streams end
  res.set_redirect("/console/admin/users?m=" + code);
}

std::string time_text(int64_t at) { return at ? release::format_utc(at) : std::string(); }

void audit_page(Server& s, Req req, Res res) {
  auto session = require_role(s, req, res, "admin", {"admin"});
  if (!session) return;
  std::string body = admin_nav(session->csrf) +
                     "<h1>Registro</h1><p>Gli ultimi 500 eventi. <a id=csv href=/console/admin/audit.csv>Scarica tutto "
                     "(CSV)</a></p><table><tr><th>Quando (UTC)</th><th>Chi</th><th>Ruolo</th><th>Evento</th>"
                     "<th>Oggetto</th><th>Indirizzo</th></tr>";
  for (const AuditEvent& e : s.store->audit_log(500))
    body += "<tr><td>" + time_text(e.at) + "</td><td>" + esc(e.actor) + "</td><td>" + esc(e.role) + "</td><td>" +
            esc(e.action) + "</td><td>" + esc(e.object) + "</td><td>" + esc(e.client) + "</td></tr>";
  send_page(res, 200, "Registro", body + "</table>");
}

// One CSV field: quoted, quotes doubled, and a leading = + - @ defused for spreadsheets.
std::string csv_field(const std::string& value) {
  std::string v = !value.empty() && strchr("=+-@\t\r", value[0]) ? "'" + value : value;
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void audit_csv(Server& s, Req req, Res res) {
  auto session = require_role(s, req, res, "admin", {"admin"});
  if (!session) return;
  auto csv = std::make_shared<std::string>("at_utc,unix,actor,role,action,object,client\r\n");
  for (const AuditEvent& e : s.store->audit_log(1000000))
    *csv += csv_field(time_text(e.at)) + "," + std::to_string(e.at) + "," + csv_field(e.actor) + "," +
            csv_field(e.role) + "," + csv_field(e.action) + "," + csv_field(e.object) + "," + csv_field(e.client) +
            "\r\n";
  s.store->audit(audit_event(req, session->user, session->role, "audit_exported", ""));
  res.set_header("Content-Disposition", "attachment; filename=\"sportello-audit.csv\"");
  res.set_content_provider(csv->size(), "text/csv; charset=utf-8",
                           [csv](size_t offset, size_t length, httplib::DataSink& sink) {
                             return sink.write(csv->data() + offset, length);
                           });
}

}  // namespace

void install_users_console(httplib::Server& http, Server& s) {
  http.Get("/console/admin/users", console_route(s, [&s](Req q, Res r) { users_page(s, q, r); }));
  http.Post("/console/admin/users/add", console_route(s, [&s](Req q, Res r) { add_user(s, q, r); }));
  http.Post(R"(/console/admin/users/(disable|enable|revoke|reset))",
            console_route(s, [&s](Req q, Res r) { change_user(s, q, r); }));
  http.Get("/console/admin/audit", console_route(s, [&s](Req q, Res r) { audit_page(s, q, r); }));
  http.Get("/console/admin/audit.csv", console_route(s, [&s](Req q, Res r) { audit_csv(s, q, r); }));
}

}  // namespace hub
