// Shared between the kiosk API and the console: the server's state and small helpers.
#pragma once

#include "events.h"
#include "hub.h"
#include "release/release.h"

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include <atomic>
#include <chrono>

namespace hub {

class Notifier;

struct Server {
  ServeConfig config;
  std::unique_ptr<Store> store;
  KeyPair keys;
  bool tls = false;
  std::atomic<int> inflight{0};
  release::Trust trust;                 // empty: every publish is refused
  uint64_t max_target_bytes = 0;
  std::atomic<int> hashing{0};          // Argon2id computations running now (consoles' logins)
  std::atomic<uint64_t> password_checks{0};  // Argon2id computations since start (logged)
  EventBus events;                      // request and session facts, for the live consoles
  Notifier* notifier = nullptr;         // mails and escalations (notify.h); woken by new requests
};

// Body caps, checked on Content-Length before a byte of the body is read (server.cpp).
constexpr size_t kKioskBodyMax = 16 * 1024;
constexpr size_t kAdminJsonMax = 64 * 1024;

inline void json_reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

inline void error_reply(httplib::Response& res, int status, const std::string& error, const std::string& detail = "") {
  nlohmann::json body = {{"error", error}};
  if (!detail.empty()) body["detail"] = detail;
  json_reply(res, status, body);
}

using ApiHandler = void (*)(Server&, const httplib::Request&, httplib::Response&);
// Load shedding and exception safety around an API handler (api.cpp).
httplib::Server::Handler guarded(Server& s, ApiHandler handler);
// The kiosk behind a bearer token, or "" (and a 401 already set).
std::string authenticate_kiosk(Server& s, const httplib::Request& req, httplib::Response& res);
// The admin behind a bearer token, or "" (and a 401 already set). Kiosk tokens are not admin tokens.
std::string authenticate_admin(Server& s, const httplib::Request& req, httplib::Response& res);
// The client's address, as the logs, the login throttling and the audit log all see it: the
// TCP peer (api.cpp).
std::string client_address(const httplib::Request& req);
// An audit row for this exchange: now, from the request's client address (api.cpp).
AuditEvent audit_event(const httplib::Request& req, const std::string& actor, const std::string& role,
                       const std::string& action, const std::string& object);

// Publishes an envelope on behalf of an admin: verified against the hub's trust, above every
// published version, every target present. Returns the HTTP status and the JSON answer.
// client: the address the publish came from, for the audit log.
std::pair<int, nlohmann::json> publish_release(Server& s, const std::string& envelope, const std::string& admin,
                                               const std::string& client = "");
// Stores a target whose bytes come in pieces: written to a temporary file, hashed as they come,
// kept as DATA/targets/<sha256> only when the hash is the expected one (or, with no expected
// hash, under whatever hash the bytes have: the console's upload, checked at publish).
class TargetUpload {
public:
  TargetUpload(Server& s, std::string expected_sha256);
  ~TargetUpload();                      // removes the temporary file unless finish() kept it
  TargetUpload(const TargetUpload&) = delete;
  TargetUpload& operator=(const TargetUpload&) = delete;
  bool write(const char* data, size_t n);  // false: cannot write or over the size cap
  // Checks the hash and renames into place (fsync'd). "" on success, else an error code.
  std::string finish();
  uint64_t size() const { return size_; }
  const std::string& sha256() const { return actual_; }
  bool over_cap() const { return over_cap_; }

private:
  Server& s_;
  std::string expected_, actual_, tmp_path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  bool over_cap_ = false;
  crypto_hash_sha256_state state_;
};
std::string targets_dir(const Server& s);


inline int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void install_api(httplib::Server& http, Server& s);
void install_content(httplib::Server& http, Server& s);     // kiosk: manifest, targets
void install_admin_api(httplib::Server& http, Server& s);   // admin: targets, releases, rollout, fleet
void install_console(httplib::Server& http, Server& s);
void install_admin_console(httplib::Server& http, Server& s);
// HTML helpers of the consoles (console.cpp): escaping for text and attributes, the page frame.
std::string esc(const std::string& s);
std::string page(const std::string& title, const std::string& body);
std::string url_encode(const std::string& s);
std::string age_text(int64_t seconds);
// The fleet as the admin API and console show it: per kiosk, its update and whether it is stale.
nlohmann::json fleet_json(Server& s, int64_t now);
bool load_keys(const std::string& data_dir, KeyPair* keys, std::string* error);

// [SECTION] HTTP layer (front.cpp)
// The largest body a route may send; checked on Content-Length before anything is read (server.cpp).
size_t body_cap(const Server& s, const std::string& path);
constexpr const char* kHsts = "max-age=31536000";
// One line on stderr: "sportello-hub: EVENT client=ADDR DETAIL", every control character and
// non-ASCII byte escaped (\xHH) so that no input can forge or split a line. For logins, failures,
// lockouts and refusals; never a body, a token, a password, or a visitor's name or phone.
void log_event(const std::string& event, const std::string& client, const std::string& detail = "");
std::string log_escape(const std::string& text);
// httplib's routing without its accept loop: the front reads and bounds each request, then hands
// it here through its own stream, one request at a time.
class Routes : public httplib::Server {
public:
  bool serve_one(httplib::Stream& strm, bool close, bool* closed) {
    bool c = false;
    bool ok = process_request(strm, close, c, nullptr);
    *closed = c;
    return ok;
  }
  // httplib stops streaming a response when it believes its listening socket is closed: tell it
  // which socket is ours (INVALID_SOCKET when stopping).
  void set_listening(socket_t fd) { svr_sock_ = fd; }
};
// A request head, as far as the front looks at it (front_head.cpp).
struct Head {
  std::string method, path;
  bool has_length = false, chunked = false, encoded = false, expect = false;
  uint64_t length = 0;
  std::string forwarded;                 // rightmost X-Forwarded-For entry
  size_t expect_at = std::string::npos;  // where the Expect header's name starts in the buffer
};
// Parses the head in buf[0, len) (it ends with its empty line): {0, ""} or the status and error
// code of the refusal.
std::pair<int, const char*> parse_head(const std::string& buf, size_t len, Head* h);
bool valid_ip(const std::string& s);  // a literal IPv4 or IPv6 address
class Front;
struct FrontDeleter {
  void operator()(Front* f) const;
};
using FrontPtr = std::unique_ptr<Front, FrontDeleter>;
// Binds the configured address (port 0: any free port), with TLS when a certificate is set.
FrontPtr front_open(Server& s, Routes& routes, std::string* error);
int front_port(const Front& f);
void front_run(Front& f);   // serves until front_stop(); then waits for the running handlers
void front_stop();          // async-signal-safe

}  // namespace hub
