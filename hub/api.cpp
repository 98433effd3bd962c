// [SECTION] Kiosk API v1 (hub/PROTOCOL.md): requests stored exactly once, status by reference
// code, heartbeats. Every rejection stores nothing and says why in a small JSON body.
#include "notify.h"
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

// What the database could not look up (it restarts, a standby is being promoted) is answered 503
// with Retry-After, which a kiosk's outbox retries: a 401 or 403 would tell it to give up.
static void store_unavailable(httplib::Response& res) {
  res.set_header("Retry-After", "2");
  error_reply(res, 503, "store_unavailable");
}

static void refuse_token(httplib::Response& res, bool unavailable) {
  if (unavailable) return store_unavailable(res);
  error_reply(res, 401, "unknown_token");
}

std::string authenticate_kiosk(Server& s, const httplib::Request& req, httplib::Response& res) {
  std::string token = bearer(req);
  bool unavailable = false;
  if (!token.empty()) {
    if (auto kiosk = s.store->kiosk_for_token(sha256_hex(token), &unavailable)) return *kiosk;
  }
  refuse_token(res, unavailable);
  return {};
}

std::string authenticate_admin(Server& s, const httplib::Request& req, httplib::Response& res) {
  std::string token = bearer(req);
  bool unavailable = false;
  if (!token.empty()) {
    if (auto admin = s.store->admin_for_token(sha256_hex(token), &unavailable)) return *admin;
  }
  refuse_token(res, unavailable);
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

// The languages of the kiosk's screens (content/): a request in any other is refused.
static bool valid_lang(const std::string& lang) {
  static const char* const kLangs[] = {"it", "en", "fr", "es", "ar", "fa", "ps", "ur", "bn",
                                       "pa", "hi", "ti", "zh", "uk", "ru", "sq", "wo", "tl"};
  for (const char* l : kLangs)
    if (lang == l) return true;
  return false;
}

// A topic is a content id: [a-z0-9-]{1,32}.
static bool valid_topic(const std::string& t) {
  return !t.empty() && t.size() <= 32 && t.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
}

// A kiosk's clock may drift, but not by a day.
constexpr int64_t kMaxClockAheadS = 86400;
constexpr int64_t kEarliestCreated = 1577836800;  // 2020-01-01: older is a kiosk with a dead clock

// Checks a request body; returns "" or the reason for a 400.
static std::string validate(const nlohmann::json& j, Request* r, int64_t now) {
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
  if (!valid_kiosk_id(r->kiosk)) return "invalid_kiosk";
  if (!valid_lang(r->lang)) return "invalid_lang";
  if (!valid_topic(r->topic)) return "invalid_topic";
  int64_t created = parse_utc(r->created_at);
  if (created < kEarliestCreated || created > now + kMaxClockAheadS) return "invalid_created_at";
  if (r->contact != "phone" && r->contact != "desk") return "invalid_contact";
  if (j.contains("desk_day")) {
    if (!is_string(j, "desk_day") || r->contact != "desk") return "invalid_desk_day";
    r->desk_day = j["desk_day"];
    if (!shaped(r->desk_day, "9999-99-99") || parse_utc(r->desk_day + "T00:00:00Z") < 0) return "invalid_desk_day";
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
  int64_t now = unix_now();
  std::string problem = validate(j, &r, now);
  if (!problem.empty()) return error_reply(res, 400, problem);
  if (req.get_header_value("Idempotency-Key") != r.id) return error_reply(res, 400, "idempotency_key_mismatch");
  if (r.kiosk != kiosk) return error_reply(res, 403, "kiosk_mismatch");
  // A kiosk's token makes references of its own prefix only.
  bool unavailable = false;
  auto prefix = s.store->kiosk_ref_prefix(kiosk, &unavailable);
  if (!prefix && unavailable) return store_unavailable(res);
  if (!prefix) return error_reply(res, 403, "ref_prefix_unset", "provision the kiosk with a reference prefix");
  if (r.ref.compare(0, prefix->size() + 1, *prefix + "-") != 0) return error_reply(res, 403, "ref_prefix_mismatch");
  int64_t retry_after = 0;
  switch (s.store->store(r, sha256_hex(req.body), now, s.config.kiosk_limits, &retry_after)) {
    case StoreResult::Created:
      s.events.publish({Event::RequestChanged, r.id, "received"});
      if (s.notifier) s.notifier->wake();  // routes it to the mediators now, on its own thread
      return json_reply(res, 201, {{"id", r.id}, {"ref", r.ref}, {"status", "received"}});
    case StoreResult::Replayed: return json_reply(res, 200, {{"id", r.id}, {"ref", r.ref}, {"status", "received"}});
    case StoreResult::Conflict: return error_reply(res, 409, "idempotency_conflict");
    case StoreResult::RefConflict: return error_reply(res, 409, "ref_conflict");
    case StoreResult::RateLimited:
      res.set_header("Retry-After", std::to_string(retry_after));
      return error_reply(res, 429, "rate_limited");
    case StoreResult::QuotaExceeded:
      res.set_header("Retry-After", std::to_string(retry_after));
      return error_reply(res, 429, "quota_exceeded");
    case StoreResult::Error: return error_reply(res, 500, "storage");
  }
}

static void get_status(Server& s, const httplib::Request& req, httplib::Response& res) {
  std::string kiosk = authenticate_kiosk(s, req, res);
  if (kiosk.empty()) return;
  std::string ref = req.get_param_value("ref");
  // Another kiosk's reference is as unknown as one never made.
  auto status = valid_ref(ref) ? s.store->status_of(ref, kiosk, unix_now() - (int64_t)s.config.retention_days * 86400)
                               : std::nullopt;
  if (!status) return error_reply(res, 404, "not_found");
  json_reply(res, 200, {{"ref", ref}, {"status", *status}});
}

// A JSON number that is an integer within 0..max, read without any lossy conversion.
static bool bounded_int(const nlohmann::json& v, uint64_t max, int64_t* out) {
  if (!v.is_number_integer()) return false;
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > max) return false;
    *out = (int64_t)u;
    return true;
  }
  int64_t i = v.get<int64_t>();
  if (i < 0 || (uint64_t)i > max) return false;
  *out = i;
  return true;
}

constexpr uint64_t kMaxCount = 1000000000;            // queue depths, ages, error counts
constexpr uint64_t kMaxBig = 9007199254740991ULL;      // versions, times, bytes: 2^53 - 1

// Checks the updater's status in a heartbeat (update::status_to_json) and keeps only its known
// fields, re-serialized; returns "" or the reason for a 400.
static std::string validate_update(const nlohmann::json& u, std::string* out) {
  if (!u.is_object()) return "invalid_update";
  static const char* const kStates[] = {"idle", "checking", "downloading", "installing", "error"};
  static const char* const kNumbers[] = {"installed_version", "offered_version", "last_check", "last_install",
                                         "downloaded", "total"};
  nlohmann::json kept = nlohmann::json::object();
  if (u.contains("state")) {
    if (!u["state"].is_string()) return "invalid_update_state";
    std::string v = u["state"];
    bool known = false;
    for (const char* st : kStates) known = known || v == st;
    if (!known) return "invalid_update_state";
    kept["state"] = v;
  }
  if (u.contains("last_refusal")) {
    if (!u["last_refusal"].is_string()) return "invalid_update_last_refusal";
    std::string v = u["last_refusal"];
    if (v.size() > 32 || v.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
      return "invalid_update_last_refusal";
    kept["last_refusal"] = v;
  }
  if (u.contains("last_error")) {
    if (!u["last_error"].is_string() || !clean_text(u["last_error"].get_ref<const std::string&>(), 512))
      return "invalid_update_last_error";
    kept["last_error"] = u["last_error"];
  }
  for (const char* key : kNumbers) {
    if (!u.contains(key)) continue;
    int64_t v = 0;
    if (!bounded_int(u[key], kMaxBig, &v)) return std::string("invalid_update_") + key;
    kept[key] = v;
  }
  *out = kept.dump();
  return {};
}

// Reads the heartbeat's top-level fields into k; "" or the reason for a 400.
static std::string validate_heartbeat(const nlohmann::json& j, KioskStatus* k, int64_t* running) {
  struct Count {
    const char* key;
    int64_t* field;
  } counts[] = {{"queue_depth", &k->queue_depth},
                {"oldest_unsent_age_s", &k->oldest_unsent_age_s},
                {"permanent_errors", &k->permanent_errors}};
  for (const Count& c : counts)
    if (j.contains(c.key) && !bounded_int(j[c.key], kMaxCount, c.field)) return std::string("invalid_") + c.key;
  // The content version was a free string before signed releases; now it is the release's number.
  if (j.contains("content_version")) {
    const nlohmann::json& v = j["content_version"];
    if (v.is_number()) {
      if (!bounded_int(v, kMaxBig, running)) return "invalid_content_version";
      k->content_version = std::to_string(*running);
    } else if (v.is_string() && printable_ascii(v.get_ref<const std::string&>(), 32)) {
      k->content_version = v;
      if (!k->content_version.empty() && k->content_version.size() <= 15 &&
          k->content_version.find_first_not_of("0123456789") == std::string::npos)
        *running = std::atoll(k->content_version.c_str());
    } else {
      return "invalid_content_version";
    }
  }
  if (j.contains("app_version")) {
    if (!j["app_version"].is_string() || !printable_ascii(j["app_version"].get_ref<const std::string&>(), 32))
      return "invalid_app_version";
    k->app_version = j["app_version"];
  }
  return {};
}

static void post_heartbeat(Server& s, const httplib::Request& req, httplib::Response& res) {
  std::string kiosk = authenticate_kiosk(s, req, res);
  if (kiosk.empty()) return;
  nlohmann::json j = valid_utf8(req.body) ? nlohmann::json::parse(req.body, nullptr, false) : nlohmann::json();
  if (!j.is_object()) return error_reply(res, 400, "invalid_json");
  if (!j.contains("kiosk") || !j["kiosk"].is_string() || j["kiosk"] != kiosk) return error_reply(res, 403, "kiosk_mismatch");
  KioskStatus k;
  k.id = kiosk;
  k.last_heartbeat = unix_now();
  int64_t running = 0;
  std::string problem = validate_heartbeat(j, &k, &running);
  if (!problem.empty()) return error_reply(res, 400, problem);
  std::string update_json;
  if (j.contains("update")) {
    problem = validate_update(j["update"], &update_json);
    if (!problem.empty()) return error_reply(res, 400, problem);
    int64_t installed = 0;
    if (j["update"].contains("installed_version") && bounded_int(j["update"]["installed_version"], kMaxBig, &installed) &&
        installed > 0)
      running = installed;
  }
  s.store->heartbeat(k);
  if (j.contains("update") || running > 0) s.store->kiosk_update(kiosk, running, update_json);
  res.status = 204;
}

std::string client_address(const httplib::Request& req) { return req.remote_addr; }

AuditEvent audit_event(const httplib::Request& req, const std::string& actor, const std::string& role,
                       const std::string& action, const std::string& object) {
  return AuditEvent{unix_now(), actor, role, action, object, client_address(req)};
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
