// sportello-admin publish / revert / status: a small libcurl client of the hub's admin API
// (hub/PROTOCOL.md, "Content releases"). The hub verifies every release itself; these commands
// only move bytes and print what the hub answered.
//
// Index
//   [SECTION] Options and files
//   [SECTION] HTTP client
//   [SECTION] publish
//   [SECTION] revert
//   [SECTION] status
#include "hub_cmds.h"

#include "release/release.h"

#include <curl/curl.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

// [SECTION] Options and files -------------------------------------------------------------------
struct Options {
  std::map<std::string, std::vector<std::string>> values;  // --name VALUE, repeatable
  std::vector<std::string> positional;
  bool all = false;
  std::string get(const std::string& name) const {
    auto it = values.find(name);
    return it == values.end() ? std::string() : it->second.back();
  }
};

int usage(const char* problem) {
  fprintf(stderr, "sportello-admin: %s\n", problem);
  fputs("usage: sportello-admin publish --hub URL --admin-token FILE [--group G ...|--all] [--ca-file PEM] DIR\n"
        "       sportello-admin revert --hub URL --admin-token FILE --to VERSION --key SECRET [--key ...]\n"
        "                              [--expires-days N] [--ca-file PEM]\n"
        "       sportello-admin status --hub URL --admin-token FILE [--ca-file PEM]\n",
        stderr);
  return 2;
}

bool parse(int argc, char** argv, Options* o) {
  for (int i = 2; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--all") {
      o->all = true;
    } else if (a.rfind("--", 0) == 0) {
      if (i + 1 >= argc) return false;
      o->values[a.substr(2)].push_back(argv[++i]);
    } else {
      o->positional.push_back(a);
    }
  }
  return !o->get("hub").empty() && !o->get("admin-token").empty();
}

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

// The token is the file's first line, without surrounding whitespace; never printed.
bool read_token(const std::string& path, std::string* token) {
  std::string text;
  if (!read_file(path, &text)) return false;
  text = text.substr(0, text.find('\n'));
  while (!text.empty() && isspace((unsigned char)text.back())) text.pop_back();
  while (!text.empty() && isspace((unsigned char)text.front())) text.erase(0, 1);
  *token = text;
  return !text.empty();
}

// A sealed key's passphrase: SPORTELLO_KEY_PASSPHRASE, else the first line of stdin.
std::string read_passphrase() {
  if (const char* env = getenv("SPORTELLO_KEY_PASSPHRASE")) return env;
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// The targets listed in a manifest envelope (not verified: the hub does that).
bool manifest_targets(const std::string& envelope, std::vector<release::Target>* targets, int64_t* version) {
  auto outer = nlohmann::json::parse(envelope, nullptr, false);
  if (!outer.is_object() || !outer.contains("signed") || !outer["signed"].is_string()) return false;
  auto inner = nlohmann::json::parse(outer["signed"].get<std::string>(), nullptr, false);
  if (!inner.is_object() || !inner.contains("targets") || !inner["targets"].is_array()) return false;
  *version = inner.value("content_version", (int64_t)0);
  for (const auto& t : inner["targets"]) {
    if (!t.is_object() || !t.contains("sha256") || !t["sha256"].is_string() || !t.contains("size") ||
        !t["size"].is_number_unsigned())
      return false;
    release::Target target{t.value("name", std::string()), t["sha256"], t["size"]};
    if (!release::valid_sha256_hex(target.sha256)) return false;
    targets->push_back(target);
  }
  return true;
}

// [SECTION] HTTP client -------------------------------------------------------------------------
struct Reply {
  long status = 0;
  std::string body, error;  // error: the transport's, when there was no answer
  // The hub's refusal as one line: "code: detail".
  std::string reason() const {
    if (!error.empty()) return error;
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object()) return "HTTP " + std::to_string(status);
    std::string r = j.value("error", "HTTP " + std::to_string(status));
    if (j.contains("detail") && j["detail"].is_string()) r += ": " + j["detail"].get<std::string>();
    return r;
  }
};

size_t collect(char* p, size_t size, size_t n, void* out) {
  auto* body = static_cast<std::string*>(out);
  if (body->size() + size * n > (64u << 20)) return 0;  // no answer of ours is this large
  body->append(p, size * n);
  return size * n;
}

struct Hub {
  std::string base, token, ca_file;

  // method GET/HEAD/POST/PUT; body for POST; upload_path: a file streamed as the PUT body.
  Reply call(const std::string& method, const std::string& path, const std::string& body = "",
             const std::string& upload_path = "") const {
    Reply r;
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), &curl_easy_cleanup);
    std::unique_ptr<FILE, decltype(&fclose)> file(nullptr, &fclose);
    curl_slist* headers = nullptr;
    std::string auth = "Authorization: Bearer " + token;
    headers = curl_slist_append(headers, auth.c_str());
    headers = curl_slist_append(headers, "Expect:");  // the hub checks the token before the body
    std::string url = base + path;
    curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
    if (method == "HEAD") {
      curl_easy_setopt(c.get(), CURLOPT_NOBODY, 1L);
    } else if (method == "POST") {
      headers = curl_slist_append(headers, "Content-Type: application/json");
      curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.size());
    } else if (method == "PUT") {
      file.reset(fopen(upload_path.c_str(), "rb"));
      if (!file) return Reply{0, "", "cannot read " + upload_path};
      fseek(file.get(), 0, SEEK_END);
      curl_off_t size = ftell(file.get());
      fseek(file.get(), 0, SEEK_SET);
      headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
      curl_easy_setopt(c.get(), CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(c.get(), CURLOPT_READDATA, file.get());
      curl_easy_setopt(c.get(), CURLOPT_INFILESIZE_LARGE, size);
    }
    curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(c.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);  // a stalled hub is abandoned after a minute
    curl_easy_setopt(c.get(), CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "http,https");
    if (!ca_file.empty()) curl_easy_setopt(c.get(), CURLOPT_CAINFO, ca_file.c_str());
    CURLcode code = curl_easy_perform(c.get());
    curl_slist_free_all(headers);
    if (code != CURLE_OK) {
      r.error = std::string("cannot reach the hub: ") + curl_easy_strerror(code);
      return r;
    }
    curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &r.status);
    return r;
  }
};

bool connect(const Options& o, Hub* hub) {
  hub->base = o.get("hub");
  while (!hub->base.empty() && hub->base.back() == '/') hub->base.pop_back();
  hub->ca_file = o.get("ca-file");
  if (!read_token(o.get("admin-token"), &hub->token)) {
    fprintf(stderr, "sportello-admin: cannot read the admin token from %s\n", o.get("admin-token").c_str());
    return false;
  }
  return true;
}

// Posts an envelope, then rolls it out; prints each step. 0, or 1 with the hub's reason.
int publish_envelope(const Hub& hub, const std::string& envelope, int64_t version, const nlohmann::json& rollout) {
  Reply posted = hub.call("POST", "/api/v1/admin/releases", envelope);
  if (posted.status != 201) {
    fprintf(stderr, "sportello-admin: the hub refused release %lld: %s\n", (long long)version, posted.reason().c_str());
    return 1;
  }
  printf("published release %lld\n", (long long)version);
  Reply rolled = hub.call("POST", "/api/v1/admin/releases/" + std::to_string(version) + "/rollout", rollout.dump());
  if (rolled.status != 200) {
    fprintf(stderr, "sportello-admin: rollout of %lld refused: %s\n", (long long)version, rolled.reason().c_str());
    return 1;
  }
  printf("rolled out release %lld to %s\n", (long long)version,
         rollout.contains("all") ? "all kiosks" : ("groups " + rollout["groups"].dump()).c_str());
  return 0;
}

}  // namespace

// [SECTION] publish -------------------------------------------------------------------------------
int admin_publish(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, &o) || o.positional.size() != 1) return usage("publish needs --hub, --admin-token and DIR");
  if (o.all && o.values.count("group")) return usage("--group and --all exclude each other");
  Hub hub;
  if (!connect(o, &hub)) return 1;
  std::string dir = o.positional[0], envelope;
  std::vector<release::Target> targets;
  int64_t version = 0;
  if (!read_file(dir + "/manifest.json", &envelope) || !manifest_targets(envelope, &targets, &version)) {
    fprintf(stderr, "sportello-admin: %s/manifest.json is missing or not a release manifest\n", dir.c_str());
    return 1;
  }
  for (const release::Target& t : targets) {
    std::string path = "/api/v1/admin/targets/" + t.sha256;
    Reply head = hub.call("HEAD", path);
    if (head.status == 200) {
      printf("target %s (%s) already on the hub\n", t.name.c_str(), t.sha256.substr(0, 12).c_str());
      continue;
    }
    if (head.status != 404) {
      fprintf(stderr, "sportello-admin: cannot ask the hub about %s: %s\n", t.name.c_str(), head.reason().c_str());
      return 1;
    }
    Reply put = hub.call("PUT", path, "", dir + "/targets/" + t.sha256);
    if (put.status != 201) {
      fprintf(stderr, "sportello-admin: upload of %s refused: %s\n", t.name.c_str(), put.reason().c_str());
      return 1;
    }
    printf("uploaded %s (%s, %llu bytes)\n", t.name.c_str(), t.sha256.substr(0, 12).c_str(), (unsigned long long)t.size);
  }
  nlohmann::json rollout = {{"all", true}};
  if (o.values.count("group")) rollout = {{"groups", o.values["group"]}};
  return publish_envelope(hub, envelope, version, rollout);
}

// [SECTION] revert --------------------------------------------------------------------------------
// Re-publishes an earlier release's targets under a version above every published one, so
// kiosks go back to that content without their rollback protection being weakened.
int admin_revert(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, &o) || o.get("to").empty() || !o.values.count("key"))
    return usage("revert needs --hub, --admin-token, --to VERSION and --key");
  Hub hub;
  if (!connect(o, &hub)) return 1;
  int expires_days = o.get("expires-days").empty() ? 30 : std::atoi(o.get("expires-days").c_str());
  if (expires_days < 1 || expires_days > 3650) return usage("--expires-days: 1 to 3650");
  Reply list = hub.call("GET", "/api/v1/admin/releases");
  auto j = nlohmann::json::parse(list.body, nullptr, false);
  if (list.status != 200 || !j.is_object() || !j["releases"].is_array()) {
    fprintf(stderr, "sportello-admin: cannot list the hub's releases: %s\n", list.reason().c_str());
    return 1;
  }
  int64_t newest = 0;
  for (const auto& r : j["releases"]) newest = std::max(newest, r.value("version", (int64_t)0));
  Reply old = hub.call("GET", "/api/v1/admin/releases/" + o.get("to"));
  release::Manifest m;
  int64_t old_version = 0;
  if (old.status != 200 || !manifest_targets(old.body, &m.targets, &old_version)) {
    fprintf(stderr, "sportello-admin: the hub has no release %s: %s\n", o.get("to").c_str(), old.reason().c_str());
    return 1;
  }
  std::vector<release::SecretKey> keys;
  std::string passphrase;
  bool asked = false;
  for (const std::string& path : o.values["key"]) {
    if (release::secret_key_needs_passphrase(path) && !asked) {
      passphrase = read_passphrase();
      asked = true;
    }
    std::string error;
    release::SecretKey key = release::read_secret_key(path, passphrase, &error);
    if (!key.ok()) {
      sodium_memzero(passphrase.data(), passphrase.size());
      fprintf(stderr, "sportello-admin: %s: %s\n", path.c_str(), error.c_str());
      return 1;
    }
    keys.push_back(std::move(key));
  }
  sodium_memzero(passphrase.data(), passphrase.size());
  m.content_version = newest + 1;
  m.created = (int64_t)time(nullptr);
  m.expires = m.created + (int64_t)expires_days * 86400;
  std::vector<const release::SecretKey*> signers;
  for (const release::SecretKey& k : keys) signers.push_back(&k);
  std::string envelope = release::sign(m, signers);
  printf("release %lld: the targets of release %lld, signed by %zu key(s)\n", (long long)m.content_version,
         (long long)old_version, signers.size());
  return publish_envelope(hub, envelope, m.content_version, {{"all", true}});
}

// [SECTION] status --------------------------------------------------------------------------------
int admin_status(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, &o)) return usage("status needs --hub and --admin-token");
  Hub hub;
  if (!connect(o, &hub)) return 1;
  Reply fleet = hub.call("GET", "/api/v1/admin/fleet");
  auto j = nlohmann::json::parse(fleet.body, nullptr, false);
  if (fleet.status != 200 || !j.is_object() || !j["kiosks"].is_array()) {
    fprintf(stderr, "sportello-admin: cannot read the fleet: %s\n", fleet.reason().c_str());
    return 1;
  }
  printf("%-16s %-12s %-9s %-12s %-6s %s\n", "KIOSK", "GROUP", "VERSION", "STATE", "STALE", "LAST ERROR");
  for (const auto& k : j["kiosks"]) {
    const auto& u = k["update"];
    std::string state = u.is_object() ? u.value("state", "-") : "-";
    if (u.is_object() && state == "downloading" && u.value("total", (int64_t)0) > 0)
      state += " " + std::to_string(u.value("downloaded", (int64_t)0) * 100 / u.value("total", (int64_t)1)) + "%";
    std::string version = std::to_string(k.value("content_version", (int64_t)0));
    if (k.value("target_version", (int64_t)0) > k.value("content_version", (int64_t)0))
      version += "->" + std::to_string(k.value("target_version", (int64_t)0));
    printf("%-16s %-12s %-9s %-12s %-6s %s\n", k.value("id", "").c_str(), k.value("group", "").c_str(), version.c_str(),
           state.c_str(), k.value("stale", false) ? "yes" : "no",
           u.is_object() ? u.value("last_error", "").c_str() : "");
  }
  return 0;
}
