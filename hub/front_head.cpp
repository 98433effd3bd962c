// [SECTION] Request heads, as the front reads them (front.cpp): the limits and refusals decided
// before any body byte is read. Pure parsing: no socket, no state.
#include "server_internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>

namespace hub {

constexpr size_t kRequestLineMax = 8 * 1024;  // beyond, 414
constexpr int kHeadersMax = 64;            // header lines: beyond, 431

static std::string lower(std::string s) {
  for (char& ch : s) ch = (char)tolower((unsigned char)ch);
  return s;
}

static std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::pair<int, const char*> parse_head(const std::string& buf, size_t len, Head* h) {
  size_t eol = buf.find("\r\n");
  if (eol > kRequestLineMax) return {414, "uri_too_long"};
  std::string line = buf.substr(0, eol);
  size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string::npos || sp2 == sp1) return {400, "bad_request"};
  h->method = line.substr(0, sp1);
  std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1), version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return {505, "http_version"};
  static const char* const kMethods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
  if (std::none_of(std::begin(kMethods), std::end(kMethods), [&](const char* m) { return h->method == m; }))
    return {405, "method_not_allowed"};
  h->path = target.substr(0, target.find('?'));
  int count = 0;
  for (size_t at = eol + 2; at < len - 2;) {
    size_t end = buf.find("\r\n", at);
    std::string header = buf.substr(at, end - at);
    if (++count > kHeadersMax) return {431, "too_many_headers"};
    size_t colon = header.find(':');
    if (colon == std::string::npos || colon == 0 || header[0] == ' ' || header[0] == '\t') return {400, "bad_header"};
    std::string name = lower(header.substr(0, colon)), value = trim(header.substr(colon + 1));
    if (name == "content-length") {
      if (h->has_length || value.empty() || value.size() > 19 || value.find_first_not_of("0123456789") != std::string::npos)
        return {400, "bad_content_length"};
      h->has_length = true;
      h->length = std::strtoull(value.c_str(), nullptr, 10);
    } else if (name == "transfer-encoding") {
      h->chunked = true;
    } else if (name == "content-encoding") {
      if (lower(value) != "identity") h->encoded = true;
    } else if (name == "expect") {
      h->expect = lower(value) == "100-continue";
      h->expect_at = at;
    } else if (name == "x-forwarded-for") {
      size_t comma = value.rfind(',');
      h->forwarded = trim(comma == std::string::npos ? value : value.substr(comma + 1));
    }
    at = end + 2;
  }
  bool body_method = h->method == "POST" || h->method == "PUT" || h->method == "PATCH" || h->method == "DELETE";
  // A body must announce its length, and only the methods httplib reads a body for may have one:
  // any other body would be parsed as the next request.
  if (h->chunked) return {411, "length_required"};
  if (h->encoded) return {415, "content_encoding_refused"};
  if (body_method && !h->has_length) return {411, "length_required"};
  if (!body_method && h->length > 0) return {400, "unexpected_body"};
  return {0, ""};
}

bool valid_ip(const std::string& s) {
  unsigned char out[sizeof(in6_addr)];
  return inet_pton(AF_INET, s.c_str(), out) == 1 || inet_pton(AF_INET6, s.c_str(), out) == 1;
}

}  // namespace hub
