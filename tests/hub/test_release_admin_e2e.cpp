// The admin's side of content releases on the real hub: the admin console (its own login, refused
// to mediators) and the real sportello-admin's publish, status and revert.
#include "release_util.h"

#include <catch2/catch.hpp>
#include <sodium.h>
#include <sys/wait.h>

#include <filesystem>

using harness::Hub;
using namespace relt;

namespace {

struct Command {
  int exit_code = -1;
  std::string out, err;
};

// Runs the real sportello-admin; stdin from /dev/null unless `env` gives a passphrase.
Command admin(const std::string& dir, const std::vector<std::string>& args, const std::string& env = "") {
  std::string cmd = env + " '" SPORTELLO_ADMIN_BIN "'";
  for (const std::string& a : args) cmd += " '" + a + "'";
  cmd += " </dev/null >'" + dir + "/admin.out' 2>'" + dir + "/admin.err'";
  Command c;
  int status = system(cmd.c_str());
  c.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  c.out = harness::read_file(dir + "/admin.out");
  c.err = harness::read_file(dir + "/admin.err");
  return c;
}

// A release directory as `sportello-admin release` writes it: manifest.json and targets/<sha256>.
std::string release_dir(const std::string& root, int64_t version, const std::string& pack,
                        const release::SecretKey& key) {
  std::string dir = root + "/release-" + std::to_string(version);
  std::filesystem::create_directories(dir + "/targets");
  release::Target t = target(release::kContentTarget, pack);
  harness::write_file(dir + "/targets/" + t.sha256, pack);
  harness::write_file(dir + "/manifest.json", release::sign(manifest(version, {t}), {&key}));
  return dir;
}

// The sha256 of the content target of the manifest a kiosk is given.
std::string content_sha_for(const Hub& hub, const std::string& token) {
  auto outer = nlohmann::json::parse(manifest_for(hub, token).body, nullptr, false);
  if (!outer.is_object()) return {};
  auto inner = nlohmann::json::parse(outer["signed"].get<std::string>());
  return inner["targets"][0]["sha256"];
}

std::string csrf_in(const std::string& html) {
  size_t at = html.find("name=csrf value='");
  if (at == std::string::npos) return {};
  at += 17;
  return html.substr(at, html.find('\'', at) - at);
}

struct Upload {
  std::string csrf, manifest_path, target_path;
};

curl_mime* upload_form(CURL* c, void* arg) {
  auto* u = static_cast<Upload*>(arg);
  curl_mime* form = curl_mime_init(c);
  curl_mimepart* part = curl_mime_addpart(form);
  curl_mime_name(part, "csrf");
  curl_mime_data(part, u->csrf.c_str(), CURL_ZERO_TERMINATED);
  part = curl_mime_addpart(form);
  curl_mime_name(part, "manifest");
  curl_mime_filedata(part, u->manifest_path.c_str());
  part = curl_mime_addpart(form);
  curl_mime_name(part, "targets");
  curl_mime_filedata(part, u->target_path.c_str());
  return form;
}

}  // namespace

TEST_CASE("the admin console: its own login, refused to mediators, upload, canary, all, fleet", "[e2e][hub][release]") {
  REQUIRE(sodium_init() >= 0);
  release::SecretKey key = release::SecretKey::generate();
  Hub hub;
  hub.release_keys = {key.public_key().base64()};
  REQUIRE(hub.start("admin-console"));
  std::string admin_jar = hub.dir + "/admin.txt", mediator_jar = hub.dir + "/mediator.txt";

  CHECK(http("GET", hub.url("/console/admin/")).header("Location") == "/console/admin/login");
  CHECK(http("POST", hub.url("/console/admin/login"), "user=anna&password=password-anna", {}, mediator_jar).status == 401);
  REQUIRE(http("POST", hub.url("/console/login"), "user=anna&password=password-anna", {}, mediator_jar).status == 302);
  Reply as_mediator = http("GET", hub.url("/console/admin/"), "", {}, mediator_jar);
  CHECK(as_mediator.status == 302);
  CHECK(as_mediator.header("Location") == "/console/admin/login");
  CHECK(http("GET", hub.url("/console/admin/fleet"), "", {}, mediator_jar).status == 302);

  REQUIRE(http("POST", hub.url("/console/admin/login"), "user=ada&password=password-ada", {}, admin_jar).status == 302);
  CHECK(http("GET", hub.url("/console/"), "", {}, admin_jar).header("Location") == "/console/login");
  Reply releases = http("GET", hub.url("/console/admin/"), "", {}, admin_jar);
  REQUIRE(releases.status == 200);
  std::string csrf = csrf_in(releases.body);
  REQUIRE(!csrf.empty());

  std::string dir = release_dir(hub.dir, 1, "console pack", key);
  release::Target t = target(release::kContentTarget, "console pack");
  Upload forged{"not-the-token", dir + "/manifest.json", dir + "/targets/" + t.sha256};
  Reply refused = http("POST", hub.url("/console/admin/upload"), "", {}, admin_jar, upload_form, &forged);
  CHECK(refused.status == 302);
  CHECK(http("GET", hub.url("/api/v1/admin/releases/1"), "", {bearer(hub.admin_token)}).status == 404);

  Upload good{csrf, dir + "/manifest.json", dir + "/targets/" + t.sha256};
  Reply uploaded = http("POST", hub.url("/console/admin/upload"), "", {}, admin_jar, upload_form, &good);
  CHECK(uploaded.status == 302);
  Reply after = http("GET", hub.url(uploaded.header("Location")), "", {}, admin_jar);
  CHECK(after.body.find("Rilascio 1 pubblicato") != std::string::npos);
  CHECK(after.body.find("id=rollout-canary-1") != std::string::npos);
  CHECK(http("GET", hub.url("/api/v1/admin/releases/1"), "", {bearer(hub.admin_token)}).status == 200);

  CHECK(http("POST", hub.url("/console/admin/rollout"), "csrf=wrong&version=1&to=all", {}, admin_jar).status == 403);
  CHECK(http("POST", hub.url("/console/admin/rollout"), "csrf=" + csrf + "&version=1&to=canary", {}, admin_jar).status == 302);
  std::string canary = hub.add_kiosk("GR-02", "canary");
  CHECK(version_of(manifest_for(hub, canary).body) == 1);
  CHECK(manifest_for(hub, hub.token).status == 404);
  CHECK(http("POST", hub.url("/console/admin/rollout"), "csrf=" + csrf + "&version=1&to=all", {}, admin_jar).status == 302);
  CHECK(version_of(manifest_for(hub, hub.token).body) == 1);

  REQUIRE(http("POST", hub.url("/api/v1/heartbeat"),
               R"({"kiosk":"GR-02","content_version":1,"update":{"state":"error","last_error":"<b>disk full</b>"}})",
               {bearer(canary), "Content-Type: application/json"}).status == 204);
  Reply fleet = http("GET", hub.url("/console/admin/fleet"), "", {}, admin_jar);
  CHECK(fleet.status == 200);
  CHECK(fleet.body.find("id='kiosk-GR-02'") != std::string::npos);
  CHECK(fleet.body.find("&lt;b&gt;disk full&lt;/b&gt;") != std::string::npos);  // escaped, never markup
  CHECK(fleet.body.find("<b>disk full") == std::string::npos);
  // The only script is the console's own file (the CSP allows no inline script).
  for (size_t at = fleet.body.find("<script"); at != std::string::npos; at = fleet.body.find("<script", at + 1))
    CHECK(fleet.body.compare(at, 31, "<script src=/console/live.js de") == 0);
}

TEST_CASE("sportello-admin publish, status and revert against the real hub", "[e2e][hub][release]") {
  REQUIRE(sodium_init() >= 0);
  release::SecretKey key = release::SecretKey::generate();
  Hub hub;
  hub.release_keys = {key.public_key().base64()};
  REQUIRE(hub.start("admin-cli"));
  std::string canary = hub.add_kiosk("GR-02", "canary");
  std::string token_file = hub.dir + "/admin.token";
  harness::write_file(token_file, hub.admin_token + "\n");
  std::vector<std::string> common = {"--hub", hub.url(""), "--admin-token", token_file};
  auto args = [&](const std::string& cmd, std::vector<std::string> rest) {
    std::vector<std::string> a = {cmd};
    a.insert(a.end(), common.begin(), common.end());
    a.insert(a.end(), rest.begin(), rest.end());
    return a;
  };
  std::string v1 = release_dir(hub.dir, 1, "cli pack one", key), v2 = release_dir(hub.dir, 2, "cli pack two", key);

  Command first = admin(hub.dir, args("publish", {v1}));
  INFO(first.out << first.err);
  CHECK(first.exit_code == 0);
  CHECK(first.out.find("uploaded content.pack") != std::string::npos);
  CHECK(version_of(manifest_for(hub, hub.token).body) == 1);

  Command again = admin(hub.dir, args("publish", {v1}));
  CHECK(again.exit_code == 1);
  CHECK(again.out.find("already on the hub") != std::string::npos);
  CHECK(again.err.find(release::refusal_code(release::Refusal::Rollback)) != std::string::npos);

  CHECK(admin(hub.dir, args("publish", {"--group", "canary", v2})).exit_code == 0);
  CHECK(version_of(manifest_for(hub, canary).body) == 2);
  CHECK(version_of(manifest_for(hub, hub.token).body) == 1);

  // The revert signs with a sealed key; the passphrase comes from the environment.
  std::string keys = hub.dir + "/keys";
  std::string error;
  REQUIRE(release::write_key_files(keys, key, "correct horse", &error));
  Command wrong = admin(hub.dir, args("revert", {"--to", "1", "--key", keys + "/release.key"}),
                        "SPORTELLO_KEY_PASSPHRASE='wrong horse'");
  CHECK(wrong.exit_code == 1);
  Command revert = admin(hub.dir, args("revert", {"--to", "1", "--key", keys + "/release.key"}),
                         "SPORTELLO_KEY_PASSPHRASE='correct horse'");
  INFO(revert.out << revert.err);
  CHECK(revert.exit_code == 0);
  for (const std::string& token : {hub.token, canary}) {
    CHECK(version_of(manifest_for(hub, token).body) == 3);
    CHECK(content_sha_for(hub, token) == release::sha256_hex("cli pack one"));
  }

  Command status = admin(hub.dir, args("status", {}));
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("GR-01") != std::string::npos);
  CHECK(status.out.find("GR-02") != std::string::npos);
  CHECK(status.out.find("canary") != std::string::npos);

  harness::write_file(token_file, "not-a-token\n");
  Command refused = admin(hub.dir, args("status", {}));
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("unknown_token") != std::string::npos);
}
