// [SECTION] Kiosk API v1 (hub/PROTOCOL.md): requests stored exactly once, status by reference
// code, heartbeats. Every rejection stores nothing and says why in a small JSON body.
#include "server_internal.h"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <cstring>

namespace hub {

static void json_reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

static void error_reply(httplib::Response& res, int status, const std::string& error) {
  json_reply(res, status, {{"error", error}});
}

// The kiosk behind a bearer token, or "" (and a 401 already set).
static std::string authenticate(Server& s, const httplib::Request& req, httplib::Response& res) {
  std::string auth = req.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  if (auth.rfind(prefix, 0) == 0) {
    if (auto kiosk = s.store->kiosk_for_token(sha256_hex(auth.substr(prefix.size())))) return *kiosk;
  }
  error_reply(res, 401, "unknown_token");
  return {};
}

static bool is_string(const nlohmann::json& j, const char* key) { return j.contains(key) && j[key].is_string(); }

// Does s follow pattern, where 'x' is a lower-case hex digit, 'A' a capital or digit, '9' a digit?
static bool shaped(const std::string& s, const char* pattern) {
  size_t n = strlen(pattern);
  if (s.size() != n) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i], p = pattern[i];
    bool ok = p == 'x' ? (isdigit((unsigned char)c) || (c >= 'a' && c <= 'f'))
              : p == 'A' ? (isdigit((unsigned char)c) || (c >= 'A' && c <= 'Z'))
              : p == '9' ? isdigit((unsigned char)c) != 0
                         : c == p;
    if (!ok) return false;
  }
  return true;
}

static bool valid_uuid_v4(const std::string& s) {
  return shaped(s, "xxxxxxxx-xxxx-4xxx-xxxx-xxxxxxxxxxxx") && strchr("89ab", s[19]) != nullptr;
}

// PREFIX-CODE: 1 to 4 capitals or digits, a dash, 4 to 6 capitals or digits.
static bool valid_ref(const std::string& s) {
  size_t dash = s.find('-');
  if (dash == std::string::npos || dash < 1 || dash > 4 || s.size() - dash - 1 < 4 || s.size() - dash - 1 > 6) return false;
  std::string letters = s.substr(0, dash) + s.substr(dash + 1);
  return shaped(letters, std::string(letters.size(), 'A').c_str());
}

// Checks a request body; returns "" or the reason for a 400.
static std::string validate(const nlohmann::json& j, Request* r) {
  if (!j.is_object()) return "not_an_object";
  for (const char* key : {"id", "ref", "kiosk", "created_at", "lang", "topic", "contact", "sealed"})
    if (!is_string(j, key)) return std::string("missing_or_invalid_") + key;
  r->id = j["id"];
  r->ref = j["ref"];
  r->kiosk = j["kiosk"];
  r->created_at = j["created_at"];
  r->lang = j["lang"];
  r->topic = j["topic"];
  r->contact = j["contact"];
  if (!valid_uuid_v4(r->id)) return "invalid_id";
  if (!valid_ref(r->ref)) return "invalid_ref";
  if (r->lang.size() > 8 || r->topic.size() > 32 || r->created_at.size() > 32) return "field_too_long";
  if (r->contact != "phone" && r->contact != "desk") return "invalid_contact";
  if (j.contains("desk_day")) {
    if (!is_string(j, "desk_day") || r->contact != "desk") return "invalid_desk_day";
    r->desk_day = j["desk_day"];
    if (!shaped(r->desk_day, "9999-99-99")) return "invalid_desk_day";
  }
  if (!base64_decode(j["sealed"].get<std::string>(), &r->sealed) || r->sealed.size() < crypto_box_SEALBYTES)
    return "invalid_sealed";
  return {};
}

static void post_request(Server& s, const httplib::Request& req, httplib::Response& res) {
  std::string kiosk = authenticate(s, req, res);
  if (kiosk.empty()) return;
  if (req.get_header_value("Content-Type").rfind("application/json", 0) != 0) return error_reply(res, 415, "json_only");
  if (!valid_utf8(req.body)) return error_reply(res, 400, "invalid_utf8");
  nlohmann::json j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded()) return error_reply(res, 400, "invalid_json");
  Request r;
  std::string problem = validate(j, &r);
  if (!problem.empty()) return error_reply(res, 400, problem);
  if (req.get_header_value("Idempotency-Key") != r.id) return error_reply(res, 400, "idempotency_key_mismatch");
  if (r.kiosk != kiosk) return error_reply(res, 403, "kiosk_mismatch");
  switch (s.store->store(r, sha256_hex(req.body), unix_now())) {
    case StoreResult::Created: return json_reply(res, 201, {{"id", r.id}, {"ref", r.ref}, {"status", "received"}});
    case StoreResult::Replayed: return json_reply(res, 200, {{"id", r.id}, {"ref", r.ref}, {"status", "received"}});
    case StoreResult::Conflict: return error_reply(res, 409, "idempotency_conflict");
    case StoreResult::Error: return error_reply(res, 500, "storage");
  }
}

static void get_status(Server& s, const httplib::Request& req, httplib::Response& res) {
  if (authenticate(s, req, res).empty()) return;
  std::string ref = req.get_param_value("ref");
  auto status = s.store->status_of(ref);
  if (!status) return error_reply(res, 404, "not_found");
  json_reply(res, 200, {{"ref", ref}, {"status", *status}});
}

static void post_heartbeat(Server& s, const httplib::Request& req, httplib::Response& res) {
  std::string kiosk = authenticate(s, req, res);
  if (kiosk.empty()) return;
  nlohmann::json j = valid_utf8(req.body) ? nlohmann::json::parse(req.body, nullptr, false) : nlohmann::json();
  if (!j.is_object()) return error_reply(res, 400, "invalid_json");
  if (j.value("kiosk", "") != kiosk) return error_reply(res, 403, "kiosk_mismatch");
  KioskStatus k;
  k.id = kiosk;
  k.last_heartbeat = unix_now();
  k.queue_depth = j.value("queue_depth", 0);
  k.oldest_unsent_age_s = j.value("oldest_unsent_age_s", 0);
  k.permanent_errors = j.value("permanent_errors", 0);
  k.content_version = j.value("content_version", "");
  k.app_version = j.value("app_version", "");
  s.store->heartbeat(k);
  res.status = 204;
}

void install_api(httplib::Server& http, Server& s) {
  // Load shedding: past max_inflight the kiosk is told when to come back, and nothing is stored.
  auto guarded = [&s](void (*handler)(Server&, const httplib::Request&, httplib::Response&)) {
    return [&s, handler](const httplib::Request& req, httplib::Response& res) {
      if (s.inflight.fetch_add(1) >= s.config.max_inflight) {
        s.inflight.fetch_sub(1);
        res.set_header("Retry-After", "5");
        return error_reply(res, 503, "busy");
      }
      try {
        handler(s, req, res);
      } catch (const std::exception&) {  // nlohmann type errors on odd input: never a crash
        error_reply(res, 400, "invalid_request");
      }
      s.inflight.fetch_sub(1);
    };
  };
  http.Post("/api/v1/requests", guarded(post_request));
  http.Get("/api/v1/requests/status", guarded(get_status));
  http.Post("/api/v1/heartbeat", guarded(post_heartbeat));
}

}  // namespace hub
