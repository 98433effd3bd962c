// Shared by the content-release e2e tests: one real libcurl exchange that also counts the bytes
// on the wire, and signed releases made with the real release library.
#pragma once

#include "harness.h"
#include "release/release.h"

#include <curl/curl.h>

#include <ctime>
#include <memory>
#include <string>
#include <vector>

namespace relt {

struct Reply {
  long status = 0;
  CURLcode code = CURLE_OK;
  std::string body, headers;
  size_t wire_bytes = 0;  // request and response, headers and bodies, as sent and received
  std::string header(const std::string& name) const {
    std::string lower_headers, lower_name;
    for (char c : headers) lower_headers += (char)tolower((unsigned char)c);
    for (char c : name) lower_name += (char)tolower((unsigned char)c);
    size_t at = lower_headers.find("\r\n" + lower_name + ":");
    if (at == std::string::npos) return {};
    at += lower_name.size() + 3;
    size_t end = headers.find("\r\n", at);
    std::string v = headers.substr(at, end - at);
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    return v;
  }
};

inline size_t collect(char* p, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

inline int count_wire(CURL*, curl_infotype type, char*, size_t size, void* out) {
  if (type == CURLINFO_HEADER_IN || type == CURLINFO_HEADER_OUT || type == CURLINFO_DATA_IN ||
      type == CURLINFO_DATA_OUT)
    *static_cast<size_t*>(out) += size;
  return 0;
}

// method GET, HEAD, POST, PUT; body sent for POST and PUT; cookies: a cookie jar file or "".
inline Reply http(const std::string& method, const std::string& url, const std::string& body = "",
                  const std::vector<std::string>& headers = {}, const std::string& cookies = "",
                  curl_mime* (*mime)(CURL*, void*) = nullptr, void* mime_arg = nullptr) {
  Reply r;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), &curl_easy_cleanup);
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_mime* form = mime ? mime(c.get(), mime_arg) : nullptr;
  if (form) {
    curl_easy_setopt(c.get(), CURLOPT_MIMEPOST, form);
  } else if (method == "HEAD") {
    curl_easy_setopt(c.get(), CURLOPT_NOBODY, 1L);
  } else if (method == "POST" || method == "PUT") {
    curl_easy_setopt(c.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.size());
  }
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c.get(), CURLOPT_HEADERFUNCTION, collect);
  curl_easy_setopt(c.get(), CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(c.get(), CURLOPT_DEBUGFUNCTION, count_wire);
  curl_easy_setopt(c.get(), CURLOPT_DEBUGDATA, &r.wire_bytes);
  curl_easy_setopt(c.get(), CURLOPT_VERBOSE, 1L);  // the debug callback sees only what VERBOSE shows
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, 30L);
  if (!cookies.empty()) {
    curl_easy_setopt(c.get(), CURLOPT_COOKIEFILE, cookies.c_str());
    curl_easy_setopt(c.get(), CURLOPT_COOKIEJAR, cookies.c_str());
  }
  r.code = curl_easy_perform(c.get());
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(list);
  curl_mime_free(form);
  r.headers = "\r\n" + r.headers;  // so header() finds the first one too
  return r;
}

inline std::string bearer(const std::string& token) { return "Authorization: Bearer " + token; }

// A target made of these bytes, named `name`.
inline release::Target target(const std::string& name, const std::string& bytes) {
  return {name, release::sha256_hex(bytes), bytes.size()};
}

inline int64_t now() { return (int64_t)time(nullptr); }

inline release::Manifest manifest(int64_t version, const std::vector<release::Target>& targets,
                                  int64_t expires_in_s = 30 * 86400) {
  release::Manifest m;
  m.content_version = version;
  m.created = now() - 60;
  m.expires = now() + expires_in_s;
  m.targets = targets;
  return m;
}

// The hub's answer's "error" field, "" when none.
inline std::string error_of(const Reply& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  return j.is_object() ? j.value("error", std::string()) : std::string();
}

inline Reply put_target(const harness::Hub& hub, const std::string& bytes, const std::string& as_sha = "") {
  std::string name = as_sha.empty() ? release::sha256_hex(bytes) : as_sha;
  return http("PUT", hub.url("/api/v1/admin/targets/" + name), bytes,
              {bearer(hub.admin_token), "Content-Type: application/octet-stream"});
}

inline Reply publish(const harness::Hub& hub, const std::string& envelope) {
  return http("POST", hub.url("/api/v1/admin/releases"), envelope,
              {bearer(hub.admin_token), "Content-Type: application/json"});
}

inline Reply roll_out(const harness::Hub& hub, int64_t version, const std::string& body) {
  return http("POST", hub.url("/api/v1/admin/releases/" + std::to_string(version) + "/rollout"), body,
              {bearer(hub.admin_token), "Content-Type: application/json"});
}

inline Reply manifest_for(const harness::Hub& hub, const std::string& kiosk_token, const std::string& etag = "") {
  std::vector<std::string> h = {bearer(kiosk_token)};
  if (!etag.empty()) h.push_back("If-None-Match: " + etag);
  return http("GET", hub.url("/api/v1/content/manifest"), "", h);
}

// The content_version of a manifest envelope a kiosk received (0 when not one).
inline int64_t version_of(const std::string& envelope) {
  auto outer = nlohmann::json::parse(envelope, nullptr, false);
  if (!outer.is_object() || !outer["signed"].is_string()) return 0;
  auto inner = nlohmann::json::parse(outer["signed"].get<std::string>(), nullptr, false);
  return inner.is_object() ? inner.value("content_version", (int64_t)0) : 0;
}

}  // namespace relt
