// The kiosk API's test helpers: one real libcurl exchange, a request body sealed for the hub's key.
#pragma once

#include "harness.h"

#include <curl/curl.h>
#include <sodium.h>

#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

namespace hub_test {

using harness::Hub;

inline size_t collect(char* p, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

struct Reply {
  long status = 0;
  CURLcode code = CURLE_OK;
  std::string body;
  std::string headers;  // the response's header lines, as received
};

// One real libcurl exchange; from the loopback address `from` when given (a client of its own).
inline Reply http(const std::string& method, const std::string& url, const std::string& body,
           const std::vector<std::string>& headers, const std::string& ca = "", const std::string& cookies = "",
           const std::string& from = "") {
  Reply r;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), &curl_easy_cleanup);
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST") {
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE, (long)body.size());
  }
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c.get(), CURLOPT_HEADERFUNCTION, collect);
  curl_easy_setopt(c.get(), CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, 20L);
  if (!ca.empty()) curl_easy_setopt(c.get(), CURLOPT_CAINFO, ca.c_str());
  if (!from.empty()) curl_easy_setopt(c.get(), CURLOPT_INTERFACE, from.c_str());
  if (!cookies.empty()) {
    curl_easy_setopt(c.get(), CURLOPT_COOKIEFILE, cookies.c_str());
    curl_easy_setopt(c.get(), CURLOPT_COOKIEJAR, cookies.c_str());
  }
  r.code = curl_easy_perform(c.get());
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(list);
  return r;
}

inline std::string sealed_for(const std::string& public_key_b64, const std::string& plain) {
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

// A UTC time as the kiosk writes it, `ago` seconds before now.
inline std::string utc_ago(int64_t ago) {
  time_t t = time(nullptr) - (time_t)ago;
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A request body as the kiosk sends it, created `created_ago` seconds ago.
inline std::string body_for(const Hub& hub, const std::string& id, const std::string& ref, const std::string& plain,
                            const std::string& kiosk = "GR-01", int64_t created_ago = 60) {
  return "{\"id\":\"" + id + "\",\"ref\":\"" + ref + "\",\"kiosk\":\"" + kiosk +
         "\",\"created_at\":\"" + utc_ago(created_ago) + "\",\"lang\":\"ar\",\"topic\":\"health\",\"contact\":\"phone\","
         "\"sealed\":\"" + sealed_for(hub.public_key, plain) + "\"}";
}

inline std::vector<std::string> headers(const Hub& hub, const std::string& id, const char* type = "application/json") {
  return {"Authorization: Bearer " + hub.token, "Idempotency-Key: " + id, std::string("Content-Type: ") + type};
}

// The CSRF token a console page's forms carry, or "".
inline std::string csrf_of(const std::string& page) {
  const std::string mark = "name=csrf value='";
  size_t at = page.find(mark);
  if (at == std::string::npos) return {};
  at += mark.size();
  return page.substr(at, page.find('\'', at) - at);
}

// Logs a mediator in (cookies in the jar file); true on the redirect to the queue.
inline bool console_login(const Hub& hub, const std::string& jar, const std::string& user) {
  return http("POST", hub.url("/console/login"), "user=" + user + "&password=password-" + user, {}, "", jar).status == 302;
}

// Claims a request in the console as the jar's mediator; true when the console took the form
// (check the outcome through the status API or the page).
inline bool console_claim(const Hub& hub, const std::string& jar, const std::string& id) {
  Reply page = http("GET", hub.url("/console/request/") + id, "", {}, "", jar);
  Reply claim = http("POST", hub.url("/console/request/") + id + "/claim", "csrf=" + csrf_of(page.body), {}, "", jar);
  return claim.status == 302;
}

}  // namespace hub_test
