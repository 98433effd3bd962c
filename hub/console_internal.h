// Shared by the consoles (console.cpp, console_admin.cpp, console_users.cpp): sessions and their
// cookies, the throttled login, security headers, forms read from POST bodies only, message codes.
// Roles and the pages they open (see hub/README.md, "Roles"):
//   mediator  /console/ (queue), /console/request/..., /console/fleet, /console/stats, /console/password
//   council   /console/fleet, /console/stats, /console/password (no request, no personal data)
//   admin     /console/admin/... (releases, fleet, users, audit, password); nothing of the mediators'
#pragma once

#include "server_internal.h"

#include <functional>
#include <initializer_list>
#include <map>

namespace hub {

constexpr int64_t kSessionIdleS = 30 * 60;     // a session unused this long is over
constexpr int64_t kSessionMaxS = 8 * 3600;     // and none lives longer than a working day
inline const LoginLimits kLoginLimits{};

// Every console answer: no caching, a CSP without inline code, no framing, no sniffing, no
// referrer, HSTS where the browser reached us over TLS.
void security_headers(const Server& s, httplib::Response& res);
// An HTML page. Sent with a fixed length, which httplib never compresses: pages carry CSRF tokens
// and personal data next to reflected input, the conditions of BREACH.
void send_page(httplib::Response& res, int status, const std::string& title, const std::string& body);
// The value of the cookie with exactly this name, or "".
std::string cookie_value(const httplib::Request& req, const std::string& name);
// The session cookie's name of a realm ("console" or "admin"): __Host- prefixed under TLS.
std::string cookie_name(const Server& s, const std::string& realm);
// A field of a POSTed urlencoded form; never from the query string (passwords, CSRF tokens).
std::string form_value(const httplib::Request& req, const std::string& name);
// Equal CSRF tokens, compared in constant time.
bool csrf_ok(const std::string& expected, const std::string& given);
// The fixed text of a message code (?m=...), or "" for an unknown code.
std::string message_text(const std::string& code);

using ConsoleHandler = std::function<void(const httplib::Request&, httplib::Response&)>;
using ConsoleUploadHandler =
    std::function<void(const httplib::Request&, httplib::Response&, const httplib::ContentReader&)>;
// A console route: security headers, cross-site POSTs refused, and any exception turned into a
// plain 500 page (never its text, which httplib would otherwise put in a header).
httplib::Server::Handler console_route(Server& s, ConsoleHandler handler);
httplib::Server::HandlerWithContentReader console_upload_route(Server& s, ConsoleUploadHandler handler);

// The live session of the realm when its role is one of `roles`. Otherwise nullopt, after a
// redirect to the realm's login (no session) or a 403 page (a session of another role).
std::optional<ConsoleSession> require_role(Server& s, const httplib::Request& req, httplib::Response& res,
                                           const std::string& realm, std::initializer_list<const char*> roles);
// The POSTed CSRF token matches the session's; else a 403 page is set and false returned.
bool require_csrf(const ConsoleSession& session, const httplib::Request& req, httplib::Response& res);

// The login page of a realm (message: a code of message_text) and its POST: throttled per
// (user, address), address and user; one Argon2id check at most per admitted attempt, under a
// cap of concurrent ones; a hash from older parameters is redone; the session cookie is set.
void login_page(Server& s, const httplib::Request& req, httplib::Response& res, const std::string& realm, int status,
                const std::string& message);
void login_post(Server& s, const httplib::Request& req, httplib::Response& res, const std::string& realm);
void logout_post(Server& s, const httplib::Request& req, httplib::Response& res, const std::string& realm);
// The own-password page of a realm's user (GET form, POST change). A change ends every session.
void password_page(Server& s, const httplib::Request& req, httplib::Response& res, const std::string& realm);
void password_post(Server& s, const httplib::Request& req, httplib::Response& res, const std::string& realm);
// The admin console's navigation with its logout form (console_admin.cpp).
std::string admin_nav(const std::string& csrf);
// Users (add, disable, reset a password, revoke sessions) and the audit log (console_users.cpp).
void install_users_console(httplib::Server& http, Server& s);
// Names instead of codes (console_names.cpp): a language as "arabo · العربية" (HTML, the native
// name marked with its lang; or plain text for an <option>), the kiosk's 18 language codes, the
// topics' Italian names from the newest published release's content pack (id -> name; cached per
// release), a topic's name or its id, the kiosks' names (id -> name, or the id when unnamed).
std::string language_html(const std::string& code);
std::string language_text(const std::string& code);
std::vector<std::string> language_codes();
std::map<std::string, std::string> topic_names(Server& s);
std::string topic_text(const std::map<std::string, std::string>& names, const std::string& id);
std::map<std::string, std::string> kiosk_names(Server& s);
// An Argon2id hash of a new password under the concurrency cap; "" when the cap is reached.
std::string capped_hash(Server& s, const std::string& password);

}  // namespace hub
