// Unit tests of the delivery policy: response classification, backoff with full jitter,
// Retry-After in seconds and as an HTTP date.
#include "outbox_internal.h"

#include <catch2/catch.hpp>

using namespace outbox;

static HttpResponse http(long status, std::string body, std::string retry_after = "") {
  HttpResponse r;
  r.transport_ok = true;
  r.status = status;
  r.body = std::move(body);
  r.retry_after = std::move(retry_after);
  return r;
}

static const char* kId = "5f0c2a4e-8d1b-4c3a-9e7f-0123456789ab";

TEST_CASE("outbox-policy-01 only our JSON acknowledgement on 201/200 is success", "[outbox][policy]") {
  std::string ack = std::string("{\"id\":\"") + kId + "\",\"ref\":\"GR1-K7P4X\",\"status\":\"received\"}";
  CHECK(classify(http(201, ack), kId).outcome == Outcome::Ack);
  CHECK(classify(http(200, ack), kId).outcome == Outcome::Ack);
  Classified portal = classify(http(200, "<html><body>Welcome to City WiFi</body></html>"), kId);
  CHECK(portal.outcome == Outcome::Retry);
  CHECK(portal.why == "HTTP 200 without the expected acknowledgement");
  CHECK(classify(http(200, ""), kId).outcome == Outcome::Retry);
  CHECK(classify(http(200, ack.substr(0, ack.size() - 5)), kId).outcome == Outcome::Retry);  // truncated
  std::string other = "{\"id\":\"00000000-0000-4000-8000-000000000000\",\"status\":\"received\"}";
  CHECK(classify(http(201, other), kId).outcome == Outcome::Retry);  // someone else's id
  CHECK(classify(http(201, std::string("{\"id\":\"") + kId + "\"}"), kId).outcome == Outcome::Retry);  // no status
  CHECK(classify(http(201, std::string("{\"id\":\"") + kId + "\",\"status\":3}"), kId).outcome == Outcome::Retry);
  CHECK(classify(http(204, ""), kId).outcome == Outcome::Retry);
}

TEST_CASE("outbox-policy-02 4xx refusals are permanent, 401 waits at the cap, 5xx/429 retry", "[outbox][policy]") {
  Classified conflict = classify(http(409, "{\"error\":\"idempotency_conflict\"}"), kId);
  CHECK(conflict.outcome == Outcome::Permanent);
  CHECK(conflict.why == "HTTP 409 idempotency_conflict");
  for (long s : {400L, 403L, 413L, 415L}) CHECK(classify(http(s, "{\"error\":\"x\"}"), kId).outcome == Outcome::Permanent);
  CHECK(classify(http(401, "{\"error\":\"unauthorized\"}"), kId).outcome == Outcome::RetryAtCap);
  for (long s : {500L, 502L, 503L, 429L, 404L, 302L}) CHECK(classify(http(s, ""), kId).outcome == Outcome::Retry);
  HttpResponse reset;
  reset.error = "Recv failure: Connection reset by peer";
  Classified c = classify(reset, kId);
  CHECK(c.outcome == Outcome::Retry);
  CHECK(c.why == "Recv failure: Connection reset by peer");
  // The hub's error text is shortened and kept printable for the staff line.
  Classified longer = classify(http(400, "{\"error\":\"" + std::string(300, 'x') + "\"}"), kId);
  CHECK(longer.why == "HTTP 400 " + std::string(80, 'x'));
}

TEST_CASE("outbox-policy-03 backoff is full jitter within [0, min(cap, base*2^n)]", "[outbox][policy]") {
  const uint64_t base = 1000, cap = 15 * 60 * 1000;
  CHECK(backoff_delay_ms(0, base, cap, 0) == 0);
  CHECK(backoff_delay_ms(0, base, cap, 0xffffffffu) == 1000);
  CHECK(backoff_delay_ms(3, base, cap, 0xffffffffu) == 8000);
  CHECK(backoff_delay_ms(3, base, cap, 0x80000000u) == 4000);
  CHECK(backoff_delay_ms(9, base, cap, 0xffffffffu) == 512000);
  CHECK(backoff_delay_ms(10, base, cap, 0xffffffffu) == cap);
  CHECK(backoff_delay_ms(1000, base, cap, 0xffffffffu) == cap);  // no overflow, retries forever
  // With a seeded generator, every delay stays in bounds and the spread uses the whole range.
  uint32_t state = 12345;
  auto next = [&] { return state = state * 1664525u + 1013904223u; };
  for (int attempt = 0; attempt < 20; attempt++) {
    uint64_t ceiling = std::min<uint64_t>(cap, base << std::min(attempt, 20));
    uint64_t lo = ceiling, hi = 0;
    for (int i = 0; i < 2000; i++) {
      uint64_t d = backoff_delay_ms(attempt, base, cap, next());
      REQUIRE(d <= ceiling);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    CHECK(lo < ceiling / 10);
    CHECK(hi > ceiling * 9 / 10);
  }
}

TEST_CASE("outbox-policy-04 Retry-After in seconds or as an HTTP date", "[outbox][policy]") {
  const int64_t now = 784111777000;  // Sun, 06 Nov 1994 08:49:37 GMT
  CHECK(parse_retry_after("120", now) == 120000);
  CHECK(parse_retry_after(" 7\r\n", now) == 7000);  // as the header callback sees it
  CHECK(parse_retry_after("0", now) == 0);
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:51:37 GMT", now) == 120000);
  CHECK(parse_retry_after("Sunday, 06-Nov-94 08:50:37 GMT", now) == 60000);
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now) == 0);  // in the past: no wait
  CHECK(parse_retry_after("", now) == -1);
  CHECK(parse_retry_after("soon", now) == -1);
  CHECK(parse_retry_after("-5", now) == -1);
  CHECK(parse_retry_after("99999999999999", now) == 86400LL * 1000);
}
