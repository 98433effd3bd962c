// [SECTION] Console sessions and logins, shared by the mediators' and the admins' consoles.
// Index
//   [SECTION] Headers, pages, cookies, forms
//   [SECTION] Routes: headers, origin check, no exception text
//   [SECTION] Sessions and roles
//   [SECTION] Login: throttled, capped, no user enumeration
//   [SECTION] Logout and own password
#include "console_internal.h"

#include <sodium.h>

#include <cstdio>
#include <mutex>

namespace hub {

// [SECTION] Headers, pages, cookies, forms ---------------------------------------------------------
void security_headers(const Server& s, httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
                 "frame-ancestors 'none'; form-action 'self'");
  res.set_header("X-Content-Type-Options", "nosniff");
  // same-origin, not no-referrer: no URL ever leaves for another site either way, but under
  // no-referrer browsers send "Origin: null" on our own forms, and the origin check needs it.
  res.set_header("Referrer-Policy", "same-origin");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Cross-Origin-Opener-Policy", "same-origin");
  (void)s;   // Strict-Transport-Security comes with every answer, from the server's pre-routing
}

void send_page(httplib::Response& res, int status, const std::string& title, const std::string& body) {
  auto html = std::make_shared<std::string>(page(title, body));
  res.status = status;
  res.set_content_provider(html->size(), "text/html; charset=utf-8",
                           [html](size_t offset, size_t length, httplib::DataSink& sink) {
                             return sink.write(html->data() + offset, length);
                           });
}

std::string cookie_value(const httplib::Request& req, const std::string& name) {
  std::string header = req.get_header_value("Cookie");
  size_t at = 0;
  while (at < header.size()) {
    size_t end = header.find(';', at);
    if (end == std::string::npos) end = header.size();
    size_t first = header.find_first_not_of(' ', at);
    size_t eq = header.find('=', first);
    if (first < end && eq < end && header.compare(first, eq - first, name) == 0 && eq - first == name.size())
      return header.substr(eq + 1, end - eq - 1);
    at = end + 1;
  }
  return {};
}

std::string cookie_name(const Server& s, const std::string& realm) {
  std::string base = realm == "admin" ? "sportello_admin" : "sportello_session";
  return s.tls || s.config.tls_proxy ? "__Host-" + base : base;
}

static std::string cookie_header(const Server& s, const std::string& realm, const std::string& value, bool clear) {
  bool secure = s.tls || s.config.tls_proxy;
  return cookie_name(s, realm) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "") +
         (clear ? "; Max-Age=0" : "");
}

std::string form_value(const httplib::Request& req, const std::string& name) {
  if (req.method != "POST" || req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) != 0)
    return {};
  httplib::Params fields;
  httplib::detail::parse_query_text(req.body, fields);
  auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

bool csrf_ok(const std::string& expected, const std::string& given) {
  return !expected.empty() && expected.size() == given.size() &&
         sodium_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

std::string message_text(const std::string& code) {
  static const std::pair<const char*, const char*> kTexts[] = {
      {"failed", "Utente o password non validi."},
      {"throttled", "Troppi tentativi falliti. Riprova tra 15 minuti."},
      {"busy", "Il servizio è occupato: riprova tra qualche secondo."},
      {"logged_out", "Sei uscito."},
      {"password_changed", "Password cambiata: entra con la nuova password."},
      {"claimed", "Richiesta presa in carico."},
      {"taken", "Richiesta già presa da un altro mediatore."},
      {"unavailable", "Richiesta non disponibile."},
      {"closed", "Richiesta chiusa."},
      {"not_closed", "Non è possibile chiudere questa richiesta."},
      {"published", "Rilascio pubblicato. Ora distribuiscilo ai canary o a tutti."},
      {"upload_refused", "Caricamento rifiutato: modulo scaduto, troppi file o file troppo grandi."},
      {"target_not_saved", "Un file del rilascio non è stato salvato."},
      {"publish_refused", "Rilascio rifiutato."},
      {"bad_form", "Modulo non valido."},
      {"rolled_out_canary", "Rilascio distribuito ai canary."},
      {"rolled_out_all", "Rilascio distribuito a tutti i chioschi."},
      {"rollout_failed", "Distribuzione non possibile."},
      {"user_added", "Utente aggiunto."},
      {"user_exists", "Esiste già un utente con questo nome, o il nome non è valido."},
      {"user_disabled", "Utente disattivato: le sue sessioni sono chiuse."},
      {"user_enabled", "Utente riattivato."},
      {"password_reset", "Password reimpostata: le sessioni dell'utente sono chiuse."},
      {"sessions_revoked", "Sessioni dell'utente chiuse."},
      {"no_user", "Utente non trovato."},
      {"weak_password", "Password rifiutata: almeno 12 caratteri, non tra le più usate, non il nome utente."},
      {"wrong_password", "La password attuale non è corretta."},
      {"mismatch", "Le due nuove password non coincidono."},
  };
  for (const auto& [key, text] : kTexts)
    if (code == key) return text;
  return {};
}

// [SECTION] Routes: headers, origin check, no exception text ---------------------------------------
// A browser marks a cross-site request with Sec-Fetch-Site and, on a POST, with Origin ("null"
// from sandboxes, data: pages and no-referrer pages: refused). Clients that send neither are not
// browsers, so they carry no victim's cookies: nothing to forge.
static bool same_origin(const httplib::Request& req) {
  std::string site = req.get_header_value("Sec-Fetch-Site");
  if (!site.empty()) return site == "same-origin" || site == "none";
  if (!req.has_header("Origin")) return true;
  std::string origin = req.get_header_value("Origin");
  size_t scheme = origin.find("://");
  return scheme != std::string::npos && origin.substr(scheme + 3) == req.get_header_value("Host");
}

static void fail_safely(const Server& s, httplib::Response& res) {
  res = httplib::Response();
  security_headers(s, res);
  send_page(res, 500, "Errore", "<p>Errore interno. Riprova; se si ripete, avvisa l'amministratore.</p>");
}

static bool admitted(Server& s, const httplib::Request& req, httplib::Response& res) {
  security_headers(s, res);
  if (req.method != "POST" || same_origin(req)) return true;
  log_event("cross_site_post_refused", client_address(req));
  send_page(res, 403, "Vietato", "<p>Richiesta rifiutata: viene da un altro sito.</p>");
  return false;
}

httplib::Server::Handler console_route(Server& s, ConsoleHandler handler) {
  return [&s, handler](const httplib::Request& req, httplib::Response& res) {
    if (!admitted(s, req, res)) return;
    try {
      handler(req, res);
    } catch (...) {
      fail_safely(s, res);
    }
  };
}

httplib::Server::HandlerWithContentReader console_upload_route(Server& s, ConsoleUploadHandler handler) {
  return [&s, handler](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    if (!admitted(s, req, res)) return;
    try {
      handler(req, res, reader);
    } catch (...) {
      fail_safely(s, res);
    }
  };
}

// [SECTION] Sessions and roles ---------------------------------------------------------------------
static const char* login_path(const std::string& realm) {
  return realm == "admin" ? "/console/admin/login" : "/console/login";
}

std::optional<ConsoleSession> require_role(Server& s, const httplib::Request& req, httplib::Response& res,
                                           const std::string& realm, std::initializer_list<const char*> roles) {
  std::string token = cookie_value(req, cookie_name(s, realm));
  if (!token.empty() && token.size() <= 128) {
    if (auto session = s.store->touch_session(realm, sha256_hex(token), unix_now(), kSessionIdleS)) {
      for (const char* role : roles)
        if (session->role == role) return session;
      send_page(res, 403, "Non autorizzato", "<p>Questa pagina non è per il tuo ruolo.</p>");
      return std::nullopt;
    }
  }
  res.set_redirect(login_path(realm));
  return std::nullopt;
}

bool require_csrf(const ConsoleSession& session, const httplib::Request& req, httplib::Response& res) {
  if (csrf_ok(session.csrf, form_value(req, "csrf"))) return true;
  send_page(res, 403, "Vietato", "<p>Modulo scaduto: ricarica la pagina.</p>");
  return false;
}

// [SECTION] Login: throttled, capped, no user enumeration ------------------------------------------
// One Argon2id computation slot while it lives; ok() is false when the cap was reached.
class HashSlot {
public:
  explicit HashSlot(Server& s) : s_(s), ok_(s.hashing.fetch_add(1) < s.config.max_password_hashes) {}
  ~HashSlot() { s_.hashing.fetch_sub(1); }
  HashSlot(const HashSlot&) = delete;
  HashSlot& operator=(const HashSlot&) = delete;
  bool ok() const { return ok_; }

private:
  Server& s_;
  bool ok_;
};

// Every Argon2id computation of a login is counted and logged: what a burst really cost.
static void count_hash(Server& s, const char* what) {
  unsigned long long n = ++s.password_checks;
  fprintf(stderr, "sportello-hub: argon2id %s (password checks so far: %llu)\n", what, n);
}

// A hash with the same parameters as real ones, so an unknown user costs what a known one does.
static const std::string& dummy_hash() {
  static std::once_flag once;
  static std::string hash;
  std::call_once(once, [] { hash = password_hash(random_token(), false); });
  return hash;
}

std::string capped_hash(Server& s, const std::string& password) {
  HashSlot slot(s);
  if (!slot.ok()) return {};
  count_hash(s, "hash");
  return password_hash(password, false);
}

// The log's name of a console event: the admins' console prefixes its own ("admin_login_failed").
static std::string log_name(const std::string& realm, const char* event) {
  return realm == "admin" ? std::string("admin_") + event : std::string(event);
}

void login_page(Server& s, const httplib::Request& req, httplib::Response& res, const std::string& realm, int status,
                const std::string& message) {
  (void)s;
  std::string code = message.empty() ? req.get_param_value("m") : message;
  std::string text = message_text(code);
  std::string body = realm == "admin" ? "<h1>Sportello – amministrazione</h1>" : "<h1>Sportello – mediatori</h1>";
  if (!text.empty()) body += "<p class=msg id=msg>" + esc(text) + "</p>";
  body += std::string("<form method=post action=") + login_path(realm) +
          "><label>Utente<br><input name=user autocomplete=username required maxlength=64></label><br>"
          "<label>Password<br><input name=password type=password autocomplete=current-password required></label>"
          "<br><button>Entra</button></form>";
  send_page(res, status, realm == "admin" ? "Accesso amministrazione" : "Accesso", body);
}

void login_post(Server& s, const httplib::Request& req, httplib::Response& res, const std::string& realm) {
  std::string user = form_value(req, "user"), password = form_value(req, "password");
  if (user.size() > 64 || !valid_utf8(user)) user = "?";
  std::string address = client_address(req);
  int64_t now = unix_now();
  LoginReservation gate = s.store->login_reserve(realm, user, address, now, kLoginLimits);
  if (!gate.attempt) {
    log_event(log_name(realm, "login_locked"), address, "user=" + user.substr(0, 64));
    res.set_header("Retry-After", std::to_string(kLoginLimits.window_s));
    return login_page(s, req, res, realm, 429, "throttled");
  }
  HashSlot slot(s);
  if (!slot.ok()) {
    s.store->login_cancel(gate.attempt);
    res.set_header("Retry-After", "2");
    return login_page(s, req, res, realm, 503, "busy");
  }
  std::optional<Account> account = s.store->account(realm, user);
  bool usable = account && !account->disabled;
  // Unknown and disabled users are checked against a dummy hash: same cost, same answer.
  const std::string& hash = usable ? account->hash : dummy_hash();
  count_hash(s, "verify");
  bool verified = password_verify(hash, password) && usable;
  // Security events carry the account's role (none for an unknown name) and the client address.
  auto event = [&](const std::string& what) {
    return audit_event(req, user, account ? account->role : std::string(), realm + "_" + what, "");
  };
  if (!verified) {
    s.store->audit(event("login_failed"));
    if (gate.pair_failures + 1 == kLoginLimits.per_pair || gate.user_failures + 1 == kLoginLimits.per_user ||
        gate.address_failures + 1 == kLoginLimits.per_address)
      s.store->audit(event("lockout"));
    log_event(log_name(realm, "login_failed"), address, "user=" + user.substr(0, 64));
    sodium_memzero(password.data(), password.size());
    return login_page(s, req, res, realm, 401, "failed");
  }
  s.store->login_ok(realm, user, address);
  if (password_needs_rehash(account->hash)) {
    count_hash(s, "rehash");
    std::string upgraded = password_hash(password, false);
    if (!upgraded.empty() && s.store->upgrade_hash(realm, user, account->hash, upgraded))
      s.store->audit(event("password_rehashed"));
  }
  sodium_memzero(password.data(), password.size());
  s.store->expire_sessions(now, kSessionIdleS);
  std::string token = random_token(), csrf = random_token(16);
  if (!s.store->open_session(sha256_hex(token), user, account->role, csrf, now, kSessionMaxS))
    return send_page(res, 500, "Errore", "<p>Errore interno.</p>");
  s.store->audit(event("login_ok"));
  log_event(log_name(realm, "login"), address, "user=" + user.substr(0, 64));
  res.set_header("Set-Cookie", cookie_header(s, realm, token, false));
  res.set_redirect(realm == "admin" ? "/console/admin/" : account->role == "council" ? "/console/fleet" : "/console/");
}

// [SECTION] Logout and own password ----------------------------------------------------------------
void logout_post(Server& s, const httplib::Request& req, httplib::Response& res, const std::string& realm) {
  std::string token = cookie_value(req, cookie_name(s, realm));
  auto session = token.empty() ? std::nullopt : s.store->touch_session(realm, sha256_hex(token), unix_now(), kSessionIdleS);
  if (session && !csrf_ok(session->csrf, form_value(req, "csrf")))
    return send_page(res, 403, "Vietato", "<p>Modulo scaduto: ricarica la pagina.</p>");
  if (session) {
    s.store->end_session(sha256_hex(token));
    s.events.publish({Event::SessionEnded, sha256_hex(token), ""});
    s.store->audit(audit_event(req, session->user, session->role, realm + "_logout", ""));
  }
  res.set_header("Set-Cookie", cookie_header(s, realm, "", true));
  res.set_redirect(std::string(login_path(realm)) + "?m=logged_out");
}

static const char* home_of(const std::string& realm) { return realm == "admin" ? "/console/admin/" : "/console/"; }
static const char* password_path(const std::string& realm) {
  return realm == "admin" ? "/console/admin/password" : "/console/password";
}

static std::initializer_list<const char*> roles_of_realm(const std::string& realm) {
  static const std::initializer_list<const char*> admin = {"admin"}, console = {"mediator", "council"};
  return realm == "admin" ? admin : console;
}

void password_page(Server& s, const httplib::Request& req, httplib::Response& res, const std::string& realm) {
  auto session = require_role(s, req, res, realm, roles_of_realm(realm));
  if (!session) return;
  std::string text = message_text(req.get_param_value("m"));
  std::string body = std::string("<nav><a href=") + home_of(realm) + ">← Indietro</a></nav><h1>Cambia password</h1>";
  if (!text.empty()) body += "<p class=msg id=msg>" + esc(text) + "</p>";
  body += std::string("<form method=post action=") + password_path(realm) +
          "><input type=hidden name=csrf value='" + esc(session->csrf) +
          "'><label>Password attuale<br><input name=current type=password autocomplete=current-password "
          "required></label><br><label>Nuova password (almeno 12 caratteri)<br><input name=new type=password "
          "autocomplete=new-password minlength=12 required></label><br><label>Ripeti la nuova password<br>"
          "<input name=again type=password autocomplete=new-password minlength=12 required></label><br>"
          "<button id=change>Cambia</button></form>";
  send_page(res, 200, "Cambia password", body);
}

void password_post(Server& s, const httplib::Request& req, httplib::Response& res, const std::string& realm) {
  auto session = require_role(s, req, res, realm, roles_of_realm(realm));
  if (!session || !require_csrf(*session, req, res)) return;
  std::string current = form_value(req, "current"), fresh = form_value(req, "new"), again = form_value(req, "again");
  std::string back = std::string(password_path(realm)) + "?m=";
  if (fresh != again) return res.set_redirect(back + "mismatch");
  if (!password_problem(fresh, session->user).empty()) return res.set_redirect(back + "weak_password");
  auto account = s.store->account(realm, session->user);
  std::string hash;
  {
    HashSlot slot(s);
    if (!slot.ok()) {
      res.set_header("Retry-After", "2");
      return send_page(res, 503, "Occupato", "<p>" + esc(message_text("busy")) + "</p>");
    }
    count_hash(s, "verify");
    if (!account || !password_verify(account->hash, current)) {
      s.store->audit(audit_event(req, session->user, session->role, realm + "_password_change_refused", ""));
      return res.set_redirect(back + "wrong_password");
    }
    count_hash(s, "hash");
    hash = password_hash(fresh, false);
  }
  if (hash.empty() || !s.store->set_password(realm, session->user, hash))
    return send_page(res, 500, "Errore", "<p>Errore interno.</p>");
  s.store->audit(audit_event(req, session->user, session->role, realm + "_password_changed", ""));
  if (realm == "console") s.events.publish({Event::UserSessionsEnded, session->user, ""});
  res.set_header("Set-Cookie", cookie_header(s, realm, "", true));
  res.set_redirect(std::string(login_path(realm)) + "?m=password_changed");
}

}  // namespace hub
