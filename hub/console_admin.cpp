// [SECTION] Admin console: server-rendered pages (no script) to publish a content release, roll it
// out to the canary group then to all, and watch the fleet. Admins log in apart from mediators:
// their own accounts, their own cookie (sportello_admin; __Host-sportello_admin under TLS) and
// sessions of role "admin", so a mediator's session never opens these pages and an admin's never
// opens the queue. Users and the audit log are in console_users.cpp.
#include "console_internal.h"

#include <memory>

namespace hub {

// The logged-in admin, or nullopt after redirecting to the login.
static std::optional<ConsoleSession> require_admin(Server& s, const httplib::Request& req, httplib::Response& res) {
  return require_role(s, req, res, "admin", {"admin"});
}

std::string admin_nav(const std::string& csrf) {
  return "<nav><a href=/console/admin/>Rilasci</a><a href=/console/admin/fleet>Chioschi</a>"
         "<a href=/console/admin/users>Utenti</a><a href=/console/admin/profiles>Profili</a>"
         "<a href=/console/admin/outbox>Notifiche</a>"
         "<a href=/console/admin/audit>Registro</a>"
         "<a href=/console/admin/password>Password</a><form method=post action=/console/admin/logout class=inline>"
         "<input type=hidden name=csrf value='" + esc(csrf) + "'><button id=logout>Esci</button></form></nav>";
}

// Why a publish was refused, in fixed words per refusal code (never text from the request).
static std::string refusal_text(const std::string& code) {
  static const std::pair<const char*, const char*> kTexts[] = {
      {"no_release_key", "L'hub non ha chiavi di rilascio."},
      {"too_large", "Il manifest è troppo grande."},
      {"not_a_manifest", "Il file non è un manifest."},
      {"unsigned", "Il manifest non è firmato."},
      {"unknown_key", "Il manifest è firmato da una chiave sconosciuta."},
      {"bad_signature", "Una firma non è valida (manifest alterato)."},
      {"too_few_signatures", "Mancano firme."},
      {"bad_manifest", "Il manifest non è valido."},
      {"unsupported_format", "Formato del manifest non supportato."},
      {"expired", "Il manifest è scaduto."},
      {"rollback", "La versione non è più alta dell'ultima pubblicata."},
      {"no_content", "Il rilascio non contiene il pacchetto dei contenuti."},
      {"missing_targets", "Mancano dei file del rilascio."},
      {"storage", "Errore di archiviazione."},
  };
  for (const auto& [key, text] : kTexts)
    if (code == key) return text;
  return {};
}

static std::string date_text(int64_t unix_s) { return unix_s ? release::format_utc(unix_s) : std::string("—"); }

static void releases_page(Server& s, const httplib::Request& req, httplib::Response& res) {
  auto session = require_admin(s, req, res);
  if (!session) return;
  std::map<int64_t, int64_t> running;
  for (const KioskStatus& k : s.store->fleet()) running[k.running_version]++;
  std::string csrf = esc(session->csrf);
  std::string body = admin_nav(session->csrf) + "<h1>Rilasci dei contenuti</h1>";
  std::string message = message_text(req.get_param_value("m"));
  std::string version = req.get_param_value("v"), why = req.get_param_value("why");
  if (version.empty() || version.size() > 18 || version.find_first_not_of("0123456789") != std::string::npos) version.clear();
  if (req.get_param_value("m") == "published" && !version.empty())
    message = "Rilascio " + version + " pubblicato. Ora distribuiscilo ai canary o a tutti.";
  if (req.get_param_value("m") == "publish_refused") message += " " + refusal_text(why);
  if (!message.empty()) body += "<p class=msg id=msg>" + esc(message) + "</p>";
  if (s.trust.keys.empty())
    body += "<p class=msg>Questo hub non ha chiavi di rilascio (--release-key): nessun rilascio può essere pubblicato.</p>";
  body += "<div class=card><h2>Pubblica un rilascio</h2><form method=post action=/console/admin/upload "
          "enctype=multipart/form-data><input type=hidden name=csrf value='" + csrf +
          "'><label>Manifest firmato (manifest.json)<br><input type=file name=manifest required></label><br>"
          "<label>File del rilascio (targets/…)<br><input type=file name=targets multiple></label><br>"
          "<button id=upload>Carica e pubblica</button></form></div>";
  body += "<table><tr><th>Versione</th><th>Pubblicato</th><th>Da</th><th>Distribuito a</th><th>Chioschi</th><th></th></tr>";
  for (const Release& r : s.store->releases()) {
    std::string to = r.all ? std::string("tutti") : "";
    for (const std::string& g : r.groups) to += (to.empty() ? "" : ", ") + esc(g);
    if (to.empty()) to = "nessuno";
    auto button = [&](const char* target, const char* label) {
      return "<form method=post action=/console/admin/rollout class=inline><input type=hidden name=csrf value='" +
             csrf + "'><input type=hidden name=version value=" + std::to_string(r.version) +
             "><input type=hidden name=to value=" + target + "><button id=rollout-" + target + "-" +
             std::to_string(r.version) + ">" + label + "</button></form> ";
    };
    std::string actions = r.all ? "" : button("canary", "Ai canary") + button("all", "A tutti");
    body += "<tr><td>" + std::to_string(r.version) + "</td><td>" + date_text(r.created_at) + "</td><td>" +
            esc(r.published_by) + "</td><td>" + to + "</td><td>" + std::to_string(running[r.version]) + "</td><td>" +
            actions + "</td></tr>";
  }
  send_page(res, 200, "Rilasci", body + "</table>");
}

// The multipart upload: the CSRF field must come first; the manifest is kept in memory (bounded),
// each target file streams to disk under its own hash. Then the manifest is published.
static void upload(Server& s, const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
  auto session = require_admin(s, req, res);
  if (!session) return;
  if (!req.is_multipart_form_data()) return res.set_redirect("/console/admin/?m=bad_form");
  std::string csrf, manifest, current;
  std::vector<std::unique_ptr<TargetUpload>> targets;
  bool refused = false;
  reader(
      [&](const httplib::MultipartFormData& part) {
        current = part.name;
        if (current != "csrf" && !csrf_ok(session->csrf, csrf)) return !(refused = true);
        if (current == "targets" && !part.filename.empty()) {
          if (targets.size() >= release::kMaxTargets) return !(refused = true);
          targets.push_back(std::make_unique<TargetUpload>(s, ""));
        }
        return true;
      },
      [&](const char* data, size_t n) {
        if (current == "csrf") return csrf.size() + n <= 64 ? (csrf.append(data, n), true) : !(refused = true);
        if (current == "manifest")
          return manifest.size() + n <= release::kMaxManifestBytes ? (manifest.append(data, n), true) : !(refused = true);
        if (current == "targets" && !targets.empty()) return targets.back()->write(data, n) || !(refused = true);
        return true;  // unknown fields are ignored
      });
  std::string query;
  if (refused || !csrf_ok(session->csrf, csrf)) {
    query = "m=upload_refused";
  } else {
    for (auto& t : targets) {
      std::string problem = t->finish();
      if (!problem.empty() && problem != "empty_target") query = "m=target_not_saved";
    }
    if (query.empty()) {
      auto [status, answer] = publish_release(s, manifest, session->user, client_address(req));
      query = status == 201 ? "m=published&v=" + std::to_string(answer.value("version", (int64_t)0))
                            : "m=publish_refused&why=" + url_encode(answer.value("error", std::string()));
    }
  }
  res.set_redirect("/console/admin/?" + query);
}

static void rollout(Server& s, const httplib::Request& req, httplib::Response& res) {
  auto session = require_admin(s, req, res);
  if (!session || !require_csrf(*session, req, res)) return;
  std::string version_text = form_value(req, "version"), to = form_value(req, "to");
  int64_t version = version_text.size() <= 18 && version_text.find_first_not_of("0123456789") == std::string::npos
                        ? std::atoll(version_text.c_str())
                        : 0;
  bool all = to == "all";
  std::string code;
  if ((to != "all" && to != "canary") || !s.store->roll_out(version, all ? std::vector<std::string>{}
                                                                          : std::vector<std::string>{"canary"},
                                                            all, unix_now())) {
    code = "rollout_failed";
  } else {
    s.store->audit(audit_event(req, session->user, session->role, "rollout:" + to, "release:" + std::to_string(version)));
    code = all ? "rolled_out_all" : "rolled_out_canary";
  }
  res.set_redirect("/console/admin/?m=" + code);
}

static std::string state_text(const std::string& state) {
  if (state == "idle") return "aggiornato";
  if (state == "checking") return "controllo";
  if (state == "downloading") return "scaricamento";
  if (state == "installing") return "installazione";
  if (state == "error") return "errore";
  return state;
}

static void fleet_page(Server& s, const httplib::Request& req, httplib::Response& res) {
  auto session = require_admin(s, req, res);
  if (!session) return;
  int64_t now = unix_now();
  nlohmann::json fleet = fleet_json(s, now);
  std::string body = admin_nav(session->csrf) + "<h1>Chioschi e contenuti</h1><table><tr><th>Chiosco</th><th>Gruppo</th>"
                     "<th>Versione</th><th>Stato</th><th class=wide>Ultimo errore</th><th>Download</th>"
                     "<th>Ultimo contatto</th></tr>";
  for (const auto& k : fleet["kiosks"]) {
    const nlohmann::json& u = k["update"];
    std::string state = u.is_object() ? state_text(u.value("state", "")) : "—";
    std::string error = u.is_object() ? u.value("last_error", "") : "";
    std::string progress = "—";
    if (u.is_object() && u.value("total", (int64_t)0) > 0)
      progress = std::to_string(u.value("downloaded", (int64_t)0) * 100 / u.value("total", (int64_t)1)) + " %";
    int64_t beat = k["last_heartbeat"];
    std::string version = std::to_string(k["content_version"].get<int64_t>());
    if (k["target_version"].get<int64_t>() > k["content_version"].get<int64_t>())
      version += " → " + std::to_string(k["target_version"].get<int64_t>());
    body += "<tr id='kiosk-" + esc(k["id"]) + "'><td>" + esc(k["id"]) + "</td><td>" + esc(k["group"]) + "</td><td>" +
            version + (k["stale"].get<bool>() ? " <b class=stale>in ritardo</b>" : "") + "</td><td>" + esc(state) +
            "</td><td class=wide>" + esc(error) + "</td><td>" + progress + "</td><td>" +
            (beat ? age_text(now - beat) + " fa" : std::string("mai")) + "</td></tr>";
  }
  send_page(res, 200, "Chioschi", body + "</table>");
}

void install_admin_console(httplib::Server& http, Server& s) {
  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  http.Get("/console/admin/login", console_route(s, [&s](Req q, Res r) { login_page(s, q, r, "admin", 200, ""); }));
  http.Post("/console/admin/login", console_route(s, [&s](Req q, Res r) { login_post(s, q, r, "admin"); }));
  http.Post("/console/admin/logout", console_route(s, [&s](Req q, Res r) { logout_post(s, q, r, "admin"); }));
  http.Get("/console/admin/password", console_route(s, [&s](Req q, Res r) { password_page(s, q, r, "admin"); }));
  http.Post("/console/admin/password", console_route(s, [&s](Req q, Res r) { password_post(s, q, r, "admin"); }));
  http.Get("/console/admin/", console_route(s, [&s](Req q, Res r) { releases_page(s, q, r); }));
  http.Get("/console/admin/fleet", console_route(s, [&s](Req q, Res r) { fleet_page(s, q, r); }));
  http.Post("/console/admin/rollout", console_route(s, [&s](Req q, Res r) { rollout(s, q, r); }));
  http.Post("/console/admin/upload", console_upload_route(s, [&s](Req q, Res r, const httplib::ContentReader& reader) {
              upload(s, q, r, reader);
            }));
  install_users_console(http, s);
}

}  // namespace hub
