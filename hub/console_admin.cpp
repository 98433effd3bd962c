// [SECTION] Admin console: server-rendered pages (no script) to publish a content release, roll it
// out to the canary group then to all, and watch the fleet. Admins log in apart from mediators:
// their own accounts, their own cookie (sportello_admin, Path=/console/admin) and sessions of role
// "admin", so a mediator's session never opens these pages and an admin's never opens the queue.
#include "server_internal.h"

#include <memory>

namespace hub {

static const char* kHtml = "text/html; charset=utf-8";
static const char* kCookie = "sportello_admin=";

static std::string cookie_token(const httplib::Request& req) {
  std::string cookie = req.get_header_value("Cookie");
  size_t at = cookie.find(kCookie);
  if (at == std::string::npos) return {};
  at += strlen(kCookie);
  size_t end = cookie.find(';', at);
  return cookie.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// The logged-in admin and the session's CSRF token, or nullopt after redirecting to the login.
static std::optional<std::pair<std::string, std::string>> require_admin(Server& s, const httplib::Request& req,
                                                                         httplib::Response& res) {
  std::string token = cookie_token(req);
  if (!token.empty()) {
    if (auto session = s.store->session(sha256_hex(token), unix_now(), "admin")) return session;
  }
  res.set_redirect("/console/admin/login");
  return std::nullopt;
}

static std::string nav(const std::string& csrf) {
  return "<nav><a href=/console/admin/>Rilasci</a><a href=/console/admin/fleet>Chioschi</a><form method=post "
         "action=/console/admin/logout style=display:inline><input type=hidden name=csrf value='" + esc(csrf) +
         "'><button>Esci</button></form></nav>";
}

static void login_form(httplib::Response& res, const std::string& message) {
  std::string body = "<h1>Sportello – amministrazione</h1>";
  if (!message.empty()) body += "<p class=msg>" + esc(message) + "</p>";
  body += "<form method=post action=/console/admin/login><label>Utente<br><input name=user autocomplete=username "
          "required></label><br><label>Password<br><input name=password type=password "
          "autocomplete=current-password required></label><br><button>Entra</button></form>";
  res.set_content(page("Accesso amministrazione", body), kHtml);
}

static void login(Server& s, const httplib::Request& req, httplib::Response& res) {
  std::string user = req.get_param_value("user"), password = req.get_param_value("password");
  int64_t now = unix_now();
  if (user.size() > 64 || !s.store->login_allowed(user, now, "admin")) {
    log_event("admin_login_locked", req.remote_addr, "user=" + user);
    res.status = 429;
    return login_form(res, "Troppi tentativi falliti. Riprova tra 15 minuti.");
  }
  auto hash = s.store->admin_hash(user);
  if (!hash || !password_verify(*hash, password)) {
    s.store->login_failed(user, now, "admin");
    log_event("admin_login_failed", req.remote_addr, "user=" + user);
    res.status = 401;
    return login_form(res, "Utente o password non validi.");
  }
  s.store->login_succeeded(user, "admin");
  log_event("admin_login", req.remote_addr, "user=" + user);
  std::string token = random_token(), csrf = random_token(16);
  s.store->add_session(sha256_hex(token), user, csrf, now + 8 * 3600, "admin");
  s.store->audit(user, "", "admin_login", now);
  res.set_header("Set-Cookie", std::string(kCookie) + token + "; Path=/console/admin; HttpOnly; SameSite=Strict" +
                                   (s.tls ? "; Secure" : ""));
  res.set_redirect("/console/admin/");
}

static std::string date_text(int64_t unix_s) { return unix_s ? release::format_utc(unix_s) : std::string("—"); }

static void releases_page(Server& s, const httplib::Request& req, httplib::Response& res) {
  auto session = require_admin(s, req, res);
  if (!session) return;
  std::map<int64_t, int64_t> running;
  for (const KioskStatus& k : s.store->fleet()) running[k.running_version]++;
  std::string csrf = esc(session->second);
  std::string body = nav(session->second) + "<h1>Rilasci dei contenuti</h1>";
  std::string message = req.get_param_value("msg");
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
      return "<form method=post action=/console/admin/rollout style=display:inline><input type=hidden name=csrf value='" +
             csrf + "'><input type=hidden name=version value=" + std::to_string(r.version) +
             "><input type=hidden name=to value=" + target + "><button id=rollout-" + target + "-" +
             std::to_string(r.version) + ">" + label + "</button></form> ";
    };
    std::string actions = r.all ? "" : button("canary", "Ai canary") + button("all", "A tutti");
    body += "<tr><td>" + std::to_string(r.version) + "</td><td>" + date_text(r.created_at) + "</td><td>" +
            esc(r.published_by) + "</td><td>" + to + "</td><td>" + std::to_string(running[r.version]) + "</td><td>" +
            actions + "</td></tr>";
  }
  res.set_content(page("Rilasci", body + "</table>"), kHtml);
}

// The multipart upload: the CSRF field must come first; the manifest is kept in memory (bounded),
// each target file streams to disk under its own hash. Then the manifest is published.
static void upload(Server& s, const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
  auto session = require_admin(s, req, res);
  if (!session) return;
  if (!req.is_multipart_form_data()) return res.set_redirect("/console/admin/?msg=" + url_encode("Modulo non valido."));
  std::string csrf, manifest, current;
  std::vector<std::unique_ptr<TargetUpload>> targets;
  bool refused = false;
  reader(
      [&](const httplib::MultipartFormData& part) {
        current = part.name;
        if (current != "csrf" && csrf != session->second) return !(refused = true);
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
  std::string message;
  if (refused || csrf != session->second) {
    message = "Caricamento rifiutato: modulo scaduto, troppi file o file troppo grandi.";
  } else {
    for (auto& t : targets) {
      std::string problem = t->finish();
      if (!problem.empty() && problem != "empty_target") message = "Un file non è stato salvato (" + problem + ").";
    }
    if (message.empty()) {
      auto [status, answer] = publish_release(s, manifest, session->first);
      message = status == 201 ? "Rilascio " + std::to_string(answer.value("version", (int64_t)0)) +
                                    " pubblicato. Ora distribuiscilo ai canary o a tutti."
                              : "Rilascio rifiutato: " + answer.value("error", std::string()) + " — " +
                                    answer.value("detail", std::string());
    }
  }
  res.set_redirect("/console/admin/?msg=" + url_encode(message));
}

static void rollout(Server& s, const httplib::Request& req, httplib::Response& res) {
  auto session = require_admin(s, req, res);
  if (!session) return;
  if (req.get_param_value("csrf") != session->second) {
    res.status = 403;
    return res.set_content(page("Vietato", "<p>Modulo scaduto: ricarica la pagina.</p>"), kHtml);
  }
  std::string version_text = req.get_param_value("version"), to = req.get_param_value("to");
  int64_t version = version_text.size() <= 18 && version_text.find_first_not_of("0123456789") == std::string::npos
                        ? std::atoll(version_text.c_str())
                        : 0;
  bool all = to == "all";
  std::string message;
  if ((to != "all" && to != "canary") || !s.store->roll_out(version, all ? std::vector<std::string>{}
                                                                          : std::vector<std::string>{"canary"},
                                                            all, unix_now())) {
    message = "Distribuzione non possibile.";
  } else {
    s.store->audit(session->first, "release:" + std::to_string(version), "rollout:" + to, unix_now());
    message = "Rilascio " + std::to_string(version) + (all ? " distribuito a tutti i chioschi." : " distribuito ai canary.");
  }
  res.set_redirect("/console/admin/?msg=" + url_encode(message));
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
  std::string body = nav(session->second) + "<h1>Chioschi e contenuti</h1><table><tr><th>Chiosco</th><th>Gruppo</th>"
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
  res.set_content(page("Chioschi", body + "</table>"), kHtml);
}

void install_admin_console(httplib::Server& http, Server& s) {
  http.Get("/console/admin/login", [](const httplib::Request&, httplib::Response& res) { login_form(res, ""); });
  http.Post("/console/admin/login", [&s](const httplib::Request& q, httplib::Response& r) { login(s, q, r); });
  http.Post("/console/admin/logout", [&s](const httplib::Request& q, httplib::Response& r) {
    auto session = require_admin(s, q, r);
    if (session && q.get_param_value("csrf") == session->second) s.store->drop_session(sha256_hex(cookie_token(q)));
    r.set_redirect("/console/admin/login");
  });
  http.Get("/console/admin/", [&s](const httplib::Request& q, httplib::Response& r) { releases_page(s, q, r); });
  http.Get("/console/admin/fleet", [&s](const httplib::Request& q, httplib::Response& r) { fleet_page(s, q, r); });
  http.Post("/console/admin/rollout", [&s](const httplib::Request& q, httplib::Response& r) { rollout(s, q, r); });
  http.Post("/console/admin/upload",
            [&s](const httplib::Request& q, httplib::Response& r, const httplib::ContentReader& reader) {
              upload(s, q, r, reader);
            });
}

}  // namespace hub
