// [SECTION] Kiosk API v1 (hub/PROTOCOL.md): requests stored exactly once, status by reference
// code, heartbeats. Every rejection stores nothing and says why in a small JSON body.
#include "server_internal.h"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <cstring>

namespace hub {

// The bearer token of a request, or "".
static std::string bearer(const httplib::Request& req) {
  std::string auth = req.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  if (auth.rfind(prefix, 0) != 0 || auth.size() > prefix.size() + 256) return {};
  return auth.substr(prefix.size());
}

std::string authenticate_kiosk(Server& s, const httplib::Request& req, httplib::Response& res) {
  std::string token = bearer(req);
  if (!token.empty()) {
    if (auto kiosk = s.store->kiosk_for_token(sha256_hex(token))) return *kiosk;
  }
  error_reply(res, 401, "unknown_token");
  return {};
}

std::string authenticate_admin(Server& s, const httplib::Request& req, httplib::Response& res) {
  std::string token = bearer(req);
  if (!token.empty()) {
    if (auto admin = s.store->admin_for_token(sha256_hex(token))) return *admin;
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
  std::string kiosk = authenticate_kiosk(s, req, res);
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
  if (authenticate_kiosk(s, req, res).empty()) return;
  std::string ref = req.get_param_value("ref");
  auto status = s.store->status_of(ref);
  if (!status) return error_reply(res, 404, "not_found");
  json_reply(res, 200, {{"ref", ref}, {"status", *status}});
}

// Checks the updater's status in a heartbeat (update::status_to_json) and keeps only its known
// fields, re-serialized; returns "" or the reason for a 400.
static std::string validate_update(const nlohmann::json& u, std::string* out) {
  if (!u.is_object()) return "invalid_update";
  static const char* const kText[] = {"state", "last_error", "last_refusal"};
  static const char* const kNumbers[] = {"installed_version", "offered_version", "last_check", "last_install",
                                         "downloaded", "total"};
  nlohmann::json kept = nlohmann::json::object();
  for (const char* key : kText) {
    if (!u.contains(key)) continue;
    if (!u[key].is_string()) return std::string("invalid_update_") + key;
    std::string v = u[key];
    if (v.size() > (strcmp(key, "last_error") == 0 ? 512u : 32u)) return std::string("invalid_update_") + key;
    kept[key] = v;
  }
  for (const char* key : kNumbers) {
    if (!u.contains(key)) continue;
    if (!u[key].is_number_integer() || u[key].get<int64_t>() < 0) return std::string("invalid_update_") + key;
    kept[key] = u[key].get<int64_t>();
  }
  *out = kept.dump();
  return {};
}

static void post_heartbeat(Server& s, const httplib::Request& req, httplib::Response& res) {
  std::string kiosk = authenticate_kiosk(s, req, res);
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
  // The content version was a free string before signed releases; now it is the release's number.
  int64_t running = 0;
  if (j.contains("content_version") && j["content_version"].is_number_integer()) {
    running = j["content_version"].get<int64_t>();
    k.content_version = std::to_string(running);
  } else {
    k.content_version = j.value("content_version", "");
    if (!k.content_version.empty() && k.content_version.size() < 19 &&
        k.content_version.find_first_not_of("0123456789") == std::string::npos)
      running = std::atoll(k.content_version.c_str());
  }
  k.app_version = j.value("app_version", "");
  if (k.content_version.size() > 64 || k.app_version.size() > 64) return error_reply(res, 400, "field_too_long");
  std::string update_json;
  if (j.contains("update")) {
    std::string problem = validate_update(j["update"], &update_json);
    if (!problem.empty()) return error_reply(res, 400, problem);
    if (int64_t installed = j["update"].value("installed_version", (int64_t)0); installed > 0) running = installed;
  }
  s.store->heartbeat(k);
  if (j.contains("update") || running > 0) s.store->kiosk_update(kiosk, running, update_json);
  res.status = 204;
}

// Load shedding: past max_inflight the kiosk is told when to come back, and nothing is stored.
httplib::Server::Handler guarded(Server& s, ApiHandler handler) {
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
}

void install_api(httplib::Server& http, Server& s) {
  http.Post("/api/v1/requests", guarded(s, post_request));
  http.Get("/api/v1/requests/status", guarded(s, get_status));
  http.Post("/api/v1/heartbeat", guarded(s, post_heartbeat));
}

}  // namespace hub
