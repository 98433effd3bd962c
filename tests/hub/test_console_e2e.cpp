// The consoles' defences against the real hub on loopback: login throttling and its cost in
// password hashes, headers, sessions, message codes, CSRF and origins, password rules, roles,
// admin tasks and the audit log.
#include "harness.h"

#include <catch2/catch.hpp>
#include <curl/curl.h>
#include <sodium.h>

#include <atomic>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

namespace {

using harness::Hub;

struct Reply {
  long status = 0;
  std::string body, headers;
  // The first value of a header (case-insensitive name), or "".
  std::string header(const std::string& name) const {
    std::istringstream lines(headers);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.size() <= name.size() || line[name.size()] != ':' || strncasecmp(line.c_str(), name.c_str(), name.size()))
        continue;
      std::string v = line.substr(name.size() + 1);
      while (!v.empty() && (v.front() == ' ')) v.erase(0, 1);
      while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.pop_back();
      return v;
    }
    return {};
  }
  // The session cookie this answer set ("name=value"), or "".
  std::string cookie() const {
    std::string c = header("Set-Cookie");
    return c.substr(0, c.find(';'));
  }
};

size_t collect(char* p, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

// One exchange; body given: a urlencoded POST. from: the local address to connect from.
Reply http(const std::string& url, const std::string& body = "", const std::vector<std::string>& headers = {},
           const std::string& from = "", bool post = false) {
  Reply r;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), &curl_easy_cleanup);
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  if (post || !body.empty()) {
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE, (long)body.size());
  }
  if (!from.empty()) curl_easy_setopt(c.get(), CURLOPT_INTERFACE, ("host!" + from).c_str());
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c.get(), CURLOPT_HEADERFUNCTION, collect);
  curl_easy_setopt(c.get(), CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, 60L);
  curl_easy_perform(c.get());
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(list);
  return r;
}

std::string login_body(const std::string& user, const std::string& password) {
  return "user=" + user + "&password=" + password;
}

// Logs in on a realm's page and returns the "Cookie: ..." header of the new session ("" on failure).
std::string login(const Hub& hub, const std::string& user, const std::string& password, bool admin = false) {
  Reply r = http(hub.url(admin ? "/console/admin/login" : "/console/login"), login_body(user, password));
  return r.status == 302 && !r.cookie().empty() ? "Cookie: " + r.cookie() : "";
}

std::string csrf_in(const std::string& html) {
  size_t at = html.find("name=csrf value='");
  if (at == std::string::npos) return {};
  at += 17;
  return html.substr(at, html.find('\'', at) - at);
}

// How many Argon2id computations the hub has logged so far.
int hashes_logged(const Hub& hub) {
  std::string log = harness::read_file(hub.dir + "/hub.log");
  int n = 0;
  for (size_t at = log.find("argon2id "); at != std::string::npos; at = log.find("argon2id ", at + 1)) n++;
  return n;
}

std::string sealed_for(const std::string& public_key_b64, const std::string& plain) {
  unsigned char pk[crypto_box_PUBLICKEYBYTES];
  size_t len = 0;
  sodium_base642bin(pk, sizeof pk, public_key_b64.data(), public_key_b64.size(), nullptr, &len, nullptr,
                    sodium_base64_VARIANT_ORIGINAL);
  std::vector<unsigned char> out(plain.size() + crypto_box_SEALBYTES);
  crypto_box_seal(out.data(), (const unsigned char*)plain.data(), plain.size(), pk);
  std::string b64(sodium_base64_encoded_len(out.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(b64.data(), b64.size(), out.data(), out.size(), sodium_base64_VARIANT_ORIGINAL);
  b64.resize(strlen(b64.c_str()));
  return b64;
}

// Posts a request as kiosk GR-01 whose sealed part is `plain`; true on 201.
bool post_request(const Hub& hub, const std::string& id, const std::string& ref, const std::string& plain) {
  std::string body = "{\"id\":\"" + id + "\",\"ref\":\"" + ref +
                     "\",\"kiosk\":\"GR-01\",\"created_at\":\"2026-11-22T10:00:00Z\",\"lang\":\"ar\",\"topic\":\"health\","
                     "\"contact\":\"phone\",\"sealed\":\"" + sealed_for(hub.public_key, plain) + "\"}";
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), &curl_easy_cleanup);
  curl_slist* list = nullptr;
  for (std::string h : {"Authorization: Bearer " + hub.token, "Idempotency-Key: " + id, std::string("Content-Type: application/json")})
    list = curl_slist_append(list, h.c_str());
  std::string sink;
  curl_easy_setopt(c.get(), CURLOPT_URL, hub.url("/api/v1/requests").c_str());
  curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &sink);
  curl_easy_perform(c.get());
  long status = 0;
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(list);
  return status == 201;
}

// Runs a sportello-hub subcommand on the hub's data with `input` on stdin; its exit status.
int hub_cli(const Hub& hub, const std::string& args, const std::string& input = "") {
  std::string cmd = "printf '%s\\n' '" + input + "' | SPORTELLO_TEST_CHEAP_HASH=1 '" SPORTELLO_HUB_BIN "' " + args +
                    " --data '" + hub.data +
                    "' >/dev/null 2>&1";
  int status = system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const char* kId = "4b5c6d7e-8f9a-4b1c-9d2e-3f4a5b6c7d8e";

}  // namespace

TEST_CASE("100 parallel wrong passwords cost at most the allowed number of password hashes", "[e2e][hub][console]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  REQUIRE(hub.start("console-burst"));
  int before = hashes_logged(hub);
  std::map<long, int> statuses;
  std::mutex mutex;
  std::vector<std::thread> threads;
  for (int i = 0; i < 100; i++)
    threads.emplace_back([&] {
      long status = http(hub.url("/console/login"), login_body("anna", "wrong-password-123")).status;
      std::lock_guard<std::mutex> lock(mutex);
      statuses[status]++;
    });
  for (auto& t : threads) t.join();
  int spent = hashes_logged(hub) - before;
  INFO("401: " << statuses[401] << ", 429: " << statuses[429] << ", 503: " << statuses[503]);
  CHECK(spent <= 5);                                   // LoginLimits::per_pair
  CHECK(statuses[401] == spent);
  CHECK(statuses[401] + statuses[429] + statuses[503] == 100);
  CHECK(statuses[429] > 0);
  // The right password from the attacked address is refused now, like a wrong one...
  CHECK(http(hub.url("/console/login"), login_body("anna", "password-anna")).status == 429);
  // ...but anna, from an address that never failed, still gets in: the lockout is not hers.
  CHECK(http(hub.url("/console/login"), login_body("anna", "password-anna"), {}, "127.0.0.2").status == 302);

  // An unknown user costs one hash per attempt and is throttled the same way (no enumeration).
  before = hashes_logged(hub);
  std::vector<long> unknown;
  for (int i = 0; i < 7; i++)
    unknown.push_back(http(hub.url("/console/login"), login_body("nobody", "wrong-password-123"), {}, "127.0.0.3").status);
  CHECK(unknown == std::vector<long>{401, 401, 401, 401, 401, 429, 429});
  CHECK(hashes_logged(hub) - before == 5);

  // The window slides: failures 14 minutes old still count, 16 minutes old no longer do.
  REQUIRE(hub.sql("UPDATE login_attempts SET at = at - 840"));
  CHECK(http(hub.url("/console/login"), login_body("nobody", "x"), {}, "127.0.0.3").status == 429);
  REQUIRE(hub.sql("UPDATE login_attempts SET at = at - 120"));
  CHECK(http(hub.url("/console/login"), login_body("nobody", "x"), {}, "127.0.0.3").status == 401);

  // Attempts against many users from one address: at most 20 password checks.
  before = hashes_logged(hub);
  int refused = 0;
  for (int i = 0; i < 30; i++)
    refused += http(hub.url("/console/login"), login_body("user" + std::to_string(i), "x"), {}, "127.0.0.4").status == 429;
  CHECK(hashes_logged(hub) - before == 20);
  CHECK(refused == 10);
  // Failures, lockouts and the good login are in the audit table.
  // Failures, lockouts and the good login are in the audit table, with role and client address.
  CHECK(hub.count("SELECT count(*) FROM audit WHERE action = 'console_lockout' AND user = 'anna'"
                  " AND role = 'mediator'") >= 1);
  CHECK(hub.count("SELECT count(*) FROM audit WHERE action = 'console_login_failed' AND user = 'nobody'"
                  " AND role = ''") >= 1);
  CHECK(hub.count("SELECT count(*) FROM audit WHERE action = 'console_login_ok' AND client = '127.0.0.2'"
                  " AND role = 'mediator'") == 1);
}

TEST_CASE("console pages: security headers, no compression, no exception text, message codes", "[e2e][hub][console]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  REQUIRE(hub.start("console-headers"));
  REQUIRE(post_request(hub, kId, "GR1-BCDF", "{\"name\":1}"));
  std::string anna = login(hub, "anna", "password-anna");
  REQUIRE(!anna.empty());
  for (std::string path : std::vector<std::string>{"/console/login", "/console/", "/console/fleet", "/console/request/" + std::string(kId)}) {
    Reply r = http(hub.url(path), "", {anna, "Accept-Encoding: gzip, deflate, br"});
    INFO(path << "\n" << r.headers);
    CHECK(r.status == 200);
    CHECK(r.header("Cache-Control") == "no-store");
    std::string csp = r.header("Content-Security-Policy");
    CHECK(csp.find("default-src 'self'") != std::string::npos);
    CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
    CHECK(csp.find("form-action 'self'") != std::string::npos);
    CHECK(csp.find("unsafe-inline") == std::string::npos);
    CHECK(r.header("X-Content-Type-Options") == "nosniff");
    CHECK(r.header("Referrer-Policy") == "same-origin");
    CHECK(r.header("Content-Encoding").empty());     // BREACH: pages with tokens are never compressed
    CHECK(r.body.find("<style>") == std::string::npos);
  }
  // A sealed payload of the wrong shape: the page stays viewable, then (once claimed: name and
  // phone open only for the claimant) says it is unreadable; never an exception's text.
  Reply odd = http(hub.url("/console/request/") + kId, "", {anna});
  CHECK(odd.status == 200);
  CHECK(odd.headers.find("EXCEPTION") == std::string::npos);
  CHECK(odd.body.find("id=claim") != std::string::npos);
  // ?msg= text never reaches the page; unknown codes show nothing.
  Reply injected = http(hub.url("/console/request/") + kId + "?msg=Chiama+il+3331234567&m=Chiama", "", {anna});
  CHECK(injected.body.find("3331234567") == std::string::npos);
  CHECK(injected.body.find("id=msg") == std::string::npos);
  Reply claimed = http(hub.url("/console/request/") + kId + "/claim", "csrf=" + csrf_in(odd.body), {anna});
  CHECK(claimed.header("Location") == "/console/request/" + std::string(kId) + "?m=claimed");
  Reply unreadable = http(hub.url("/console/request/") + kId, "", {anna});
  CHECK(unreadable.status == 200);
  CHECK(unreadable.body.find("id=unreadable") != std::string::npos);
  CHECK(unreadable.headers.find("EXCEPTION") == std::string::npos);
  CHECK(unreadable.body.find("type_error") == std::string::npos);
}

TEST_CASE("console sessions: exact cookie, idle and absolute limits, logout, password change ends them",
          "[e2e][hub][console]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  REQUIRE(hub.start("console-sessions"));
  std::string anna = login(hub, "anna", "password-anna");
  REQUIRE(anna.rfind("Cookie: sportello_session=", 0) == 0);
  std::string token = anna.substr(strlen("Cookie: sportello_session="));
  CHECK(http(hub.url("/console/"), "", {anna}).status == 200);
  CHECK(http(hub.url("/console/"), "", {"Cookie: xsportello_session=" + token}).status == 302);
  CHECK(http(hub.url("/console/"), "", {"Cookie: other=1; sportello_session=" + token}).status == 200);

  // Idle for 31 minutes: over. Another session past its absolute end: over too.
  REQUIRE(hub.sql("UPDATE sessions SET last_seen = last_seen - 1860"));
  CHECK(http(hub.url("/console/"), "", {anna}).status == 302);
  std::string again = login(hub, "anna", "password-anna");
  CHECK(!hub.sql("UPDATE sessions SET csrf = csrf WHERE last_seen < strftime('%s','now') - 1800"));  // deleted at login
  REQUIRE(hub.sql("UPDATE sessions SET expires = strftime('%s','now') - 1"));
  CHECK(http(hub.url("/console/"), "", {again}).status == 302);

  // Logout: the cookie is cleared and the session is gone, even for a copy of the cookie.
  std::string third = login(hub, "anna", "password-anna");
  Reply queue = http(hub.url("/console/"), "", {third});
  Reply out = http(hub.url("/console/logout"), "csrf=" + csrf_in(queue.body), {third});
  CHECK(out.status == 302);
  CHECK(out.header("Set-Cookie").find("Max-Age=0") != std::string::npos);
  CHECK(http(hub.url("/console/"), "", {third}).status == 302);

  // A password change ends every session of the user (the one that changed it too).
  std::string one = login(hub, "anna", "password-anna"), two = login(hub, "anna", "password-anna");
  std::string csrf = csrf_in(http(hub.url("/console/password"), "", {one}).body);
  CHECK(http(hub.url("/console/password"), "csrf=" + csrf + "&current=password-anna&new=short&again=short", {one})
            .header("Location") == "/console/password?m=weak_password");
  CHECK(http(hub.url("/console/password"),
             "csrf=" + csrf + "&current=password-anna&new=password1234&again=password1234", {one})
            .header("Location") == "/console/password?m=weak_password");
  Reply changed = http(hub.url("/console/password"),
                       "csrf=" + csrf + "&current=password-anna&new=lungo+e+nuovo+2026&again=lungo+e+nuovo+2026", {one});
  CHECK(changed.header("Location") == "/console/login?m=password_changed");
  CHECK(http(hub.url("/console/"), "", {one}).status == 302);
  CHECK(http(hub.url("/console/"), "", {two}).status == 302);
  CHECK(login(hub, "anna", "password-anna").empty());
  CHECK(!login(hub, "anna", "lungo e nuovo 2026").empty());
  CHECK(hub.count("SELECT count(*) FROM audit WHERE action = 'console_password_changed' AND user = 'anna'") == 1);
}

TEST_CASE("console forms: CSRF and passwords from POST bodies only, cross-site POSTs refused, hashes upgraded",
          "[e2e][hub][console]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  REQUIRE(hub.start("console-csrf"));
  REQUIRE(post_request(hub, kId, "GR1-BCDF", "{\"name\":\"Qq\",\"phone\":\"1\"}"));
  // The harness made anna's hash with the cheapest parameters: the first login redoes it.
  REQUIRE(hub.sql("UPDATE mediators SET user = user WHERE user = 'anna' AND password_hash NOT LIKE '%m=65536%'"));
  CHECK(http(hub.url("/console/login?user=anna&password=password-anna"), "", {}, "", true).status == 401);
  std::string anna = login(hub, "anna", "password-anna");
  REQUIRE(!anna.empty());
  CHECK(hub.sql("UPDATE mediators SET user = user WHERE user = 'anna' AND password_hash LIKE '%m=65536%'"));
  std::string csrf = csrf_in(http(hub.url("/console/request/") + kId, "", {anna}).body);
  REQUIRE(!csrf.empty());
  std::string claim = hub.url("/console/request/") + kId + "/claim";
  CHECK(http(claim + "?csrf=" + csrf, "", {anna}, "", true).status == 403);
  CHECK(http(claim, "csrf=" + csrf.substr(1) + "x", {anna}).status == 403);
  CHECK(http(claim, "csrf=" + csrf, {anna, "Origin: http://evil.example"}).status == 403);
  CHECK(http(claim, "csrf=" + csrf, {anna, "Sec-Fetch-Site: cross-site"}).status == 403);
  CHECK(http(hub.url("/console/login"), login_body("anna", "password-anna"), {"Origin: null"}).status == 403);
  Reply same = http(claim, "csrf=" + csrf, {anna, "Origin: " + hub.url(""), "Sec-Fetch-Site: same-origin"});
  CHECK(same.header("Location").find("?m=claimed") != std::string::npos);
  // The CLI applies the same password rules.
  CHECK(hub_cli(hub, "add-mediator --user dora --cheap-hash", "corta") != 0);
  CHECK(hub_cli(hub, "add-mediator --user dora --cheap-hash", "qwertyuiop123") != 0);
  CHECK(hub_cli(hub, "add-mediator --user dora --cheap-hash", "una frase lunga abbastanza") == 0);
}

TEST_CASE("console roles: each route refuses the roles it should", "[e2e][hub][console]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  REQUIRE(hub.start("console-roles"));
  REQUIRE(post_request(hub, kId, "GR1-BCDF", "{\"name\":\"Qqrole\",\"phone\":\"1\"}"));
  REQUIRE(hub_cli(hub, "add-council --user carla --cheap-hash", "password-carla") == 0);
  std::map<std::string, std::string> cookies = {{"none", ""},
                                                {"mediator", login(hub, "anna", "password-anna")},
                                                {"council", login(hub, "carla", "password-carla")},
                                                {"admin", login(hub, "ada", "password-ada", true)}};
  for (const auto& [role, cookie] : cookies) REQUIRE((role == "none" || !cookie.empty()));
  struct Route {
    std::string path;
    std::vector<std::string> allowed;
  };
  std::string request = "/console/request/" + std::string(kId);
  std::vector<Route> routes = {
      {"/console/", {"mediator"}},
      {request, {"mediator"}},
      {"/console/fleet", {"mediator", "council"}},
      {"/console/stats", {"mediator", "council"}},
      {"/console/password", {"mediator", "council"}},
      {"/console/admin/", {"admin"}},
      {"/console/admin/fleet", {"admin"}},
      {"/console/admin/users", {"admin"}},
      {"/console/admin/audit", {"admin"}},
      {"/console/admin/audit.csv", {"admin"}},
      {"/console/admin/password", {"admin"}},
  };
  for (const Route& route : routes) {
    for (const auto& [role, cookie] : cookies) {
      bool allowed = std::find(route.allowed.begin(), route.allowed.end(), role) != route.allowed.end();
      Reply r = http(hub.url(route.path), "", cookie.empty() ? std::vector<std::string>{} : std::vector<std::string>{cookie});
      INFO(route.path << " as " << role << ": " << r.status);
      CHECK((r.status == 200) == allowed);
      if (!allowed) CHECK((r.status == 302 || r.status == 403));
      if (!allowed) CHECK(r.body.find("GR1-BCDF") == std::string::npos);
    }
  }
  Reply stats = http(hub.url("/console/stats"), "", {cookies["council"]});
  CHECK(stats.body.find("id=total>1<") != std::string::npos);
  CHECK(stats.body.find("GR1-BCDF") == std::string::npos);
  CHECK(stats.body.find("Qqrole") == std::string::npos);
  // POSTs too: a council member cannot claim, a mediator cannot roll out or add users.
  CHECK(http(hub.url(request + "/claim"), "csrf=x", {cookies["council"]}).status == 403);
  CHECK(http(hub.url("/console/admin/rollout"), "csrf=x&version=1&to=all", {cookies["mediator"]}).status == 302);
  CHECK(http(hub.url("/console/admin/users/add"), "csrf=x&user=eve&role=admin&password=abcdefghijklmn",
             {cookies["mediator"]}).status == 302);
  CHECK(login(hub, "eve", "abcdefghijklmn", true).empty());
}

TEST_CASE("admin tasks: add, reset, revoke, disable users, the audit log read and exported", "[e2e][hub][console]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  REQUIRE(hub.start("console-admin-users"));
  std::string ada = login(hub, "ada", "password-ada", true);
  REQUIRE(!ada.empty());
  std::string csrf = csrf_in(http(hub.url("/console/admin/users"), "", {ada}).body);
  REQUIRE(!csrf.empty());
  auto post = [&](const std::string& what, const std::string& fields) {
    return http(hub.url("/console/admin/users/" + what), "csrf=" + csrf + "&" + fields, {ada}).header("Location");
  };
  CHECK(post("add", "user=carla&role=council&password=password") == "/console/admin/users?m=weak_password");
  CHECK(post("add", "user=carla&role=council&password=carla+ha+una+password") == "/console/admin/users?m=user_added");
  CHECK(post("add", "user=carla&role=mediator&password=carla+ha+una+password") == "/console/admin/users?m=user_exists");
  std::string carla = login(hub, "carla", "carla ha una password");
  REQUIRE(!carla.empty());
  CHECK(http(hub.url("/console/fleet"), "", {carla}).status == 200);
  CHECK(http(hub.url("/console/"), "", {carla}).status == 403);

  std::string bruno = login(hub, "bruno", "password-bruno");
  CHECK(post("revoke", "realm=console&user=bruno") == "/console/admin/users?m=sessions_revoked");
  CHECK(http(hub.url("/console/"), "", {bruno}).status == 302);
  bruno = login(hub, "bruno", "password-bruno");
  CHECK(post("reset", "realm=console&user=bruno&password=bruno+riparte+da+qui") == "/console/admin/users?m=password_reset");
  CHECK(http(hub.url("/console/"), "", {bruno}).status == 302);
  CHECK(login(hub, "bruno", "password-bruno").empty());
  bruno = login(hub, "bruno", "bruno riparte da qui");
  REQUIRE(!bruno.empty());
  CHECK(post("disable", "realm=console&user=bruno") == "/console/admin/users?m=user_disabled");
  CHECK(http(hub.url("/console/"), "", {bruno}).status == 302);
  CHECK(login(hub, "bruno", "bruno riparte da qui").empty());
  CHECK(post("disable", "realm=admin&user=ada") == "/console/admin/users?m=no_user");  // never oneself
  // The CLI: disable and enable, revoke.
  CHECK(hub_cli(hub, "disable-user --user carla") == 0);
  CHECK(http(hub.url("/console/fleet"), "", {carla}).status == 302);
  CHECK(hub_cli(hub, "enable-user --user carla") == 0);
  CHECK(!login(hub, "carla", "carla ha una password").empty());
  CHECK(hub_cli(hub, "disable-user --user nobody") != 0);

  Reply audit = http(hub.url("/console/admin/audit"), "", {ada});
  for (const char* event : {"admin_login_ok", "user_added:council", "sessions_revoked", "password_reset",
                            "user_disabled", "user_enabled", "console_login_ok"})
    CHECK(audit.body.find(event) != std::string::npos);
  Reply csv = http(hub.url("/console/admin/audit.csv"), "", {ada});
  CHECK(csv.status == 200);
  CHECK(csv.header("Content-Type").rfind("text/csv", 0) == 0);
  CHECK(csv.body.rfind("at_utc,unix,actor,role,action,object,client\r\n", 0) == 0);
  CHECK(csv.body.find("\"ada\",\"admin\",\"user_disabled\",\"user:bruno\",\"127.0.0.1\"") != std::string::npos);
  CHECK(csv.body.find("\"sportello-hub disable-user\",\"operator\",\"user_disabled\",\"user:carla\",\"cli\"") !=
        std::string::npos);
}
