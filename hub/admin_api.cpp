// [SECTION] Admin API (hub/PROTOCOL.md, "Content releases"): target uploads, publishing a signed
// release, widening its rollout, and the fleet's view of it. Every route needs an admin token
// (checked before any body is read, see server.cpp); a release is verified with the same library
// and keys as the kiosks, so a mistake is refused here and never reaches a kiosk.
#include "server_internal.h"

#include <sys/stat.h>

#include <map>

namespace hub {

// [SECTION] Publish -----------------------------------------------------------------------------
std::pair<int, nlohmann::json> publish_release(Server& s, const std::string& envelope, const std::string& admin,
                                               const std::string& client) {
  int64_t now = unix_now();
  auto audit = [&](const std::string& action, const std::string& object) {
    s.store->audit(AuditEvent{now, admin, "admin", action, object, client});
  };
  auto refuse = [&](int status, const std::string& code, const std::string& detail, nlohmann::json extra = {}) {
    audit("publish_refused:" + code, "");
    nlohmann::json body = {{"error", code}, {"detail", detail}};
    if (extra.is_object()) body.update(extra);
    return std::make_pair(status, body);
  };
  if (s.trust.keys.empty())
    return refuse(409, "no_release_key", "this hub trusts no release key: start it with --release-key");
  int64_t newest = s.store->newest_version();
  release::Verified v = release::verify(envelope, s.trust, now, newest);
  if (!v.ok) {
    int status = v.refusal == release::Refusal::Rollback ? 409 : v.refusal == release::Refusal::TooLarge ? 413 : 422;
    std::string detail = v.error;
    if (v.refusal == release::Refusal::Rollback)
      detail += " (newest published: " + std::to_string(newest) + ")";
    return refuse(status, release::refusal_code(v.refusal), detail);
  }
  nlohmann::json missing = nlohmann::json::array();
  for (const release::Target& t : v.manifest.targets) {
    struct stat st{};
    std::string path = targets_dir(s) + "/" + t.sha256;
    if (::stat(path.c_str(), &st) != 0 || (uint64_t)st.st_size != t.size)
      missing.push_back({{"name", t.name}, {"sha256", t.sha256}, {"size", t.size}});
  }
  if (!missing.empty())
    return refuse(409, "missing_targets", std::to_string(missing.size()) + " target(s) not uploaded to the hub",
                  {{"missing", missing}});
  Release r;
  r.version = v.manifest.content_version;
  r.envelope = envelope;
  r.sha256 = v.sha256;
  r.created_at = now;
  r.published_by = admin;
  switch (s.store->add_release(r)) {
    case PublishResult::Created: break;
    case PublishResult::Rollback:  // another publish won the race
      return refuse(409, "rollback", "content_version " + std::to_string(r.version) + " is not above the newest published");
    case PublishResult::Error: return refuse(500, "storage", "the release could not be stored");
  }
  audit("publish", "release:" + std::to_string(r.version));
  return {201, {{"version", r.version}, {"sha256", r.sha256}, {"targets", v.manifest.targets.size()}}};
}

// [SECTION] Fleet -------------------------------------------------------------------------------
nlohmann::json fleet_json(Server& s, int64_t now) {
  std::map<std::string, std::optional<Offer>> offers;  // per group: one query each
  nlohmann::json kiosks = nlohmann::json::array();
  for (const KioskStatus& k : s.store->fleet()) {
    if (!offers.count(k.group)) offers[k.group] = s.store->offer_for_group(k.group);
    const std::optional<Offer>& offer = offers[k.group];
    nlohmann::json update = k.update_json.empty() ? nlohmann::json() : nlohmann::json::parse(k.update_json, nullptr, false);
    if (update.is_discarded()) update = nullptr;
    // Stale: still on older content a day after the release meant for it reached its group.
    bool stale = offer && k.running_version < offer->version && now - offer->since > 24 * 3600;
    kiosks.push_back({{"id", k.id},
                      {"name", k.name},
                      {"group", k.group},
                      {"last_heartbeat", k.last_heartbeat},
                      {"content_version", k.running_version},
                      {"target_version", offer ? offer->version : 0},
                      {"rolled_out_at", offer ? offer->since : 0},
                      {"update", update},
                      {"stale", stale}});
  }
  return {{"now", now}, {"kiosks", kiosks}};
}

// [SECTION] Routes ------------------------------------------------------------------------------
bool valid_group(const std::string& g) {
  if (g.empty() || g.size() > 32 || !(islower((unsigned char)g[0]) || isdigit((unsigned char)g[0]))) return false;
  return g.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") == std::string::npos;
}

static void head_target(Server& s, const httplib::Request& req, httplib::Response& res) {
  if (authenticate_admin(s, req, res).empty()) return;
  std::string name = req.matches[1];
  struct stat st{};
  if (!release::valid_sha256_hex(name) || ::stat((targets_dir(s) + "/" + name).c_str(), &st) != 0)
    return error_reply(res, 404, "no_target");
  json_reply(res, 200, {{"sha256", name}, {"size", (uint64_t)st.st_size}});
}

static void put_target(Server& s, const httplib::Request& req, httplib::Response& res,
                       const httplib::ContentReader& reader) {
  std::string admin = authenticate_admin(s, req, res);
  if (admin.empty()) return;
  std::string name = req.matches[1];
  if (!release::valid_sha256_hex(name)) return error_reply(res, 400, "invalid_target_name");
  TargetUpload upload(s, name);
  bool read = reader([&upload](const char* data, size_t n) { return upload.write(data, n); });
  if (upload.over_cap()) return error_reply(res, 413, "too_large", "larger than --max-target-mb");
  if (!read) return error_reply(res, 400, "incomplete_upload");
  std::string problem = upload.finish();
  if (!problem.empty()) {
    s.store->audit(audit_event(req, admin, "admin", "upload_refused:" + problem, "target:" + name));
    int status = problem == "storage" ? 500 : 422;
    return error_reply(res, status, problem, problem == "hash_mismatch" ? "the bytes hash to " + upload.sha256() : "");
  }
  s.store->audit(audit_event(req, admin, "admin", "upload", "target:" + name));
  json_reply(res, 201, {{"sha256", name}, {"size", upload.size()}});
}

static void post_release(Server& s, const httplib::Request& req, httplib::Response& res) {
  std::string admin = authenticate_admin(s, req, res);
  if (admin.empty()) return;
  auto [status, body] = publish_release(s, req.body, admin, client_address(req));
  json_reply(res, status, body);
}

static int64_t version_in_path(const httplib::Request& req) {
  std::string v = req.matches[1];
  return v.size() > 18 ? 0 : std::atoll(v.c_str());
}

static nlohmann::json release_json(const Release& r, int64_t running) {
  return {{"version", r.version},
          {"sha256", r.sha256},
          {"created_at", r.created_at},
          {"published_by", r.published_by},
          {"rollout", {{"all", r.all}, {"groups", r.groups}, {"all_at", r.all_at}}},
          {"kiosks_running", running}};
}

static void post_rollout(Server& s, const httplib::Request& req, httplib::Response& res) {
  std::string admin = authenticate_admin(s, req, res);
  if (admin.empty()) return;
  nlohmann::json j = valid_utf8(req.body) ? nlohmann::json::parse(req.body, nullptr, false) : nlohmann::json();
  if (!j.is_object()) return error_reply(res, 400, "invalid_json");
  for (const auto& item : j.items())
    if (item.key() != "all" && item.key() != "groups") return error_reply(res, 400, "unknown_field");
  bool all = false;
  std::vector<std::string> groups;
  if (j.contains("all")) {
    if (!j["all"].is_boolean()) return error_reply(res, 400, "invalid_all");
    all = j["all"];
  }
  if (j.contains("groups")) {
    if (!j["groups"].is_array() || j["groups"].size() > 32) return error_reply(res, 400, "invalid_groups");
    for (const auto& g : j["groups"]) {
      if (!g.is_string() || !valid_group(g)) return error_reply(res, 400, "invalid_group");
      groups.push_back(g);
    }
  }
  if (!all && groups.empty()) return error_reply(res, 400, "no_groups", "give \"groups\" or \"all\":true");
  int64_t version = version_in_path(req);
  if (!s.store->roll_out(version, groups, all, unix_now())) return error_reply(res, 404, "no_release");
  s.store->audit(audit_event(req, admin, "admin", all ? "rollout:all" : "rollout:" + nlohmann::json(groups).dump(),
                             "release:" + std::to_string(version)));
  json_reply(res, 200, release_json(*s.store->release(version), 0));
}

static void get_releases(Server& s, const httplib::Request& req, httplib::Response& res) {
  if (authenticate_admin(s, req, res).empty()) return;
  std::map<int64_t, int64_t> running;
  for (const KioskStatus& k : s.store->fleet()) running[k.running_version]++;
  nlohmann::json list = nlohmann::json::array();
  for (const Release& r : s.store->releases()) list.push_back(release_json(r, running[r.version]));
  json_reply(res, 200, {{"releases", list}});
}

static void get_release(Server& s, const httplib::Request& req, httplib::Response& res) {
  if (authenticate_admin(s, req, res).empty()) return;
  auto r = s.store->release(version_in_path(req));
  if (!r) return error_reply(res, 404, "no_release");
  res.status = 200;
  res.set_content(r->envelope, "application/json");
}

static void get_fleet(Server& s, const httplib::Request& req, httplib::Response& res) {
  if (authenticate_admin(s, req, res).empty()) return;
  json_reply(res, 200, fleet_json(s, unix_now()));
}

void install_admin_api(httplib::Server& http, Server& s) {
  const std::string target = R"(/api/v1/admin/targets/([0-9a-f]{64}))";
  http.Get(target, guarded(s, head_target));  // HEAD is routed here too: 200 or 404, no body
  http.Put(target, [&s](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    try {
      put_target(s, req, res, reader);
    } catch (const std::exception&) {
      error_reply(res, 400, "invalid_request");
    }
  });
  http.Post("/api/v1/admin/releases", guarded(s, post_release));
  http.Get("/api/v1/admin/releases", guarded(s, get_releases));
  http.Get(R"(/api/v1/admin/releases/([0-9]{1,18}))", guarded(s, get_release));
  http.Post(R"(/api/v1/admin/releases/([0-9]{1,18})/rollout)", guarded(s, post_rollout));
  http.Get("/api/v1/admin/fleet", guarded(s, get_fleet));
}

}  // namespace hub
