// Delivery policy, pure functions: what a response means, how long to wait before the next try.
#include "outbox_internal.h"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

namespace outbox {

static std::string error_field(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    std::string e = j["error"].get<std::string>();
    if (e.size() > 80) e.resize(80);  // staff status line, not a dump of what the hub said
    for (char& c : e)
      if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f) c = '?';
    return e;
  }
  return "";
}

static std::string http_why(long status, const std::string& body) {
  std::string why = "HTTP " + std::to_string(status);
  std::string e = error_field(body);
  if (!e.empty()) why += " " + e;
  return why;
}

// Only our own JSON acknowledgement counts: a captive portal's 200 page, a proxy's empty 200
// or a truncated body must not drop a request from the outbox (protocol v1, success rule).
static bool is_ack_body(const std::string& body, std::string_view expected_id) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  return j.is_object() && j.contains("id") && j["id"].is_string() && j["id"].get<std::string>() == expected_id &&
         j.contains("status") && j["status"].is_string();
}

Classified classify(const HttpResponse& r, std::string_view expected_id) {
  Classified c;
  if (!r.transport_ok) {
    c.outcome = Outcome::Retry;
    c.why = r.error.empty() ? "no response" : r.error;
    return c;
  }
  switch (r.status) {
    case 200:
    case 201:
      if (is_ack_body(r.body, expected_id)) {
        c.outcome = Outcome::Ack;
        c.why = "HTTP " + std::to_string(r.status);
      } else {
        c.outcome = Outcome::Retry;
        c.why = "HTTP " + std::to_string(r.status) + " without the expected acknowledgement";
      }
      return c;
    case 400:
    case 403:
    case 409:
    case 413:
    case 415:
      c.outcome = Outcome::Permanent;
      c.why = http_why(r.status, r.body);
      return c;
    case 401:
      c.outcome = Outcome::RetryAtCap;
      c.why = http_why(r.status, r.body);
      return c;
    default:
      c.outcome = Outcome::Retry;
      c.why = http_why(r.status, r.body);
      return c;
  }
}

uint64_t backoff_delay_ms(int attempt, uint64_t base_ms, uint64_t cap_ms, uint32_t random) {
  uint64_t ceiling = base_ms;
  for (int i = 0; i < attempt && ceiling < cap_ms; i++) ceiling *= 2;
  if (ceiling > cap_ms) ceiling = cap_ms;
  // Full jitter (uniform in [0, ceiling]) spreads a fleet of kiosks coming back together.
  return (uint64_t)((unsigned __int128)random * (ceiling + 1) >> 32);
}

int64_t parse_retry_after(std::string_view value, int64_t now_unix_ms) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
  if (value.empty()) return -1;
  bool digits = true;
  for (char c : value) digits = digits && c >= '0' && c <= '9';
  if (digits) {
    if (value.size() > 9) return 86400LL * 1000;  // absurd: treat as a day
    return std::stoll(std::string(value)) * 1000;
  }
  std::string date(value);
  time_t t = curl_getdate(date.c_str(), nullptr);  // RFC 7231 IMF-fixdate and the obsolete forms
  if (t < 0) return -1;
  int64_t ms = (int64_t)t * 1000 - now_unix_ms;
  return ms > 0 ? ms : 0;
}

}  // namespace outbox
