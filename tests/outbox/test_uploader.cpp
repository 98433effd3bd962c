// Unit tests of the uploader against the in-process stand-in hub and fault proxy on loopback.
#include "fault_proxy.h"
#include "outbox_internal.h"
#include "test_hub.h"
#include "test_util.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <future>

using namespace outbox;
using namespace outbox_test;

static std::string url(int port) { return "http://127.0.0.1:" + std::to_string(port); }

static EnqueueResult enqueue_one(Outbox& box, const char* name = "Amina", const char* phone = "+39 333 1234567") {
  RequestInput in;
  fill(in, name, phone);
  return box.enqueue(in);
}

// stop() must return promptly; a bound keeps a regression from hanging the suite.
static bool stops_promptly(Uploader& up) {
  auto done = std::async(std::launch::async, [&] { up.stop(); });
  return done.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
}

TEST_CASE("outbox-upload-01 queued requests reach the hub once and leave only metadata", "[outbox][upload]") {
  TempDir dir;
  HubKeys keys;
  TestHub hub("test-token-gr1", "kiosk-gr1");
  REQUIRE(hub.ok());
  Config c = make_config(dir, keys, url(hub.port()));
  fast_retries(c);
  c.probe_interval_ms = 60000;  // only wake() can end the idle wait quickly
  Outbox box = Outbox::open(c);
  REQUIRE(box.ok());
  std::vector<EnqueueResult> sent;
  for (int i = 0; i < 5; i++) sent.push_back(enqueue_one(box));
  Uploader up(c);
  REQUIRE(up.start());
  REQUIRE(wait_until([&] { return box.status().queue_depth == 0; }));
  EnqueueResult late = enqueue_one(box, "Late", "+39 3");
  up.wake();
  REQUIRE(wait_until([&] { return box.status().queue_depth == 0; }));
  sent.push_back(late);
  CHECK(stops_promptly(up));
  CHECK(hub.stored() == sent.size());
  CHECK(hub.max_times_stored() == 1);
  for (const EnqueueResult& r : sent) {
    CHECK(hub.times_stored(r.id) == 1);
    CHECK(box.lookup(r.ref).state == RequestState::Sent);
    nlohmann::json j = nlohmann::json::parse(hub.body_of(r.id));
    CHECK(j["ref"] == r.ref);
    CHECK_FALSE(keys.open(j["sealed"]).empty());
  }
  Stmt left(box.state()->db.get(), "SELECT count(*) FROM requests WHERE body IS NOT NULL");
  REQUIRE(left.step() == SQLITE_ROW);
  CHECK(left.col_int(0) == 0);
  QueueStatus q = box.status();
  CHECK(q.sent_total == 6);
  CHECK(q.last_success_unix_ms > 0);
  CHECK(up.snapshot().acked == 6);
}

TEST_CASE("outbox-upload-02 a 409 conflict is permanent, flagged and never retried", "[outbox][upload]") {
  TempDir dir;
  HubKeys keys;
  TestHub hub("test-token-gr1", "kiosk-gr1");
  Config c = make_config(dir, keys, url(hub.port()));
  fast_retries(c);
  Outbox box = Outbox::open(c);
  EnqueueResult r = enqueue_one(box);
  Uploader up(c);
  REQUIRE(up.start());
  REQUIRE(wait_until([&] { return box.status().sent_total == 1; }));
  // The same id again with another body: what a kiosk reusing an id would send.
  std::string original = hub.body_of(r.id);
  nlohmann::json j = nlohmann::json::parse(original);
  j["topic"] = "school";
  Stmt again(box.state()->db.get(), "UPDATE requests SET state = 0, body = ? WHERE id = ?");
  again.bind(1, j.dump());
  again.bind(2, r.id);
  REQUIRE(again.step() == SQLITE_DONE);
  up.wake();
  REQUIRE(wait_until([&] { return box.status().permanent_errors == 1; }));
  uint64_t attempts = up.snapshot().attempts;
  EnqueueResult next = enqueue_one(box);  // the queue goes on past the flagged row
  up.wake();
  REQUIRE(wait_until([&] { return hub.times_stored(next.id) == 1 && box.status().queue_depth == 0; }));
  CHECK(up.snapshot().attempts == attempts + 1);  // one for `next`, none for the flagged row
  LocalLookup l = box.lookup(r.ref);
  CHECK(l.state == RequestState::Failed);
  CHECK(l.http_status == 409);
  CHECK(l.failure == "HTTP 409 idempotency_conflict");
  CHECK(box.status().last_error == "");  // cleared by the later success
  CHECK(up.snapshot().permanent == 1);
  CHECK(hub.body_of(r.id) == original);
}

TEST_CASE("outbox-upload-03 an unknown token waits at the maximum backoff and stop() is prompt", "[outbox][upload]") {
  TempDir dir;
  HubKeys keys;
  TestHub hub("another-token", "kiosk-gr1");
  Config c = make_config(dir, keys, url(hub.port()));
  fast_retries(c);
  c.backoff_cap_ms = 15 * 60 * 1000;
  Outbox box = Outbox::open(c);
  enqueue_one(box);
  Uploader up(c);
  REQUIRE(up.start());
  REQUIRE(wait_until([&] { return up.snapshot().backoff_ms > 0; }));
  UploaderStatus s = up.snapshot();
  CHECK(s.backoff_ms == c.backoff_cap_ms);
  CHECK(s.last_error == "HTTP 401 unauthorized");
  CHECK(box.status().last_error == "HTTP 401 unauthorized");
  CHECK(box.status().queue_depth == 1);
  CHECK(stops_promptly(up));
  CHECK_FALSE(up.snapshot().running);
}

TEST_CASE("outbox-upload-04 stop() aborts a stalled transfer and the row stays queued", "[outbox][upload]") {
  TempDir dir;
  HubKeys keys;
  TestHub hub("test-token-gr1", "kiosk-gr1");
  FaultProxy proxy(hub.port());
  REQUIRE(proxy.ok());
  proxy.set(Fault::Stall);
  Config c = make_config(dir, keys, url(proxy.port()));
  fast_retries(c);
  c.low_speed_time_s = 120;  // only stop() can end this transfer soon
  c.transfer_timeout_ms = 300000;
  Outbox box = Outbox::open(c);
  enqueue_one(box);
  Uploader up(c);
  REQUIRE(up.start());
  REQUIRE(wait_until([&] { return proxy.accepted() >= 1; }));
  CHECK(stops_promptly(up));
  CHECK(box.status().queue_depth == 1);
  CHECK(hub.stored() == 0);
}

TEST_CASE("outbox-upload-05 Retry-After is a minimum even with a tiny backoff", "[outbox][upload]") {
  TempDir dir;
  HubKeys keys;
  TestHub hub("test-token-gr1", "kiosk-gr1");
  FaultProxy proxy(hub.port());
  proxy.set(Fault::Http503);
  Config c = make_config(dir, keys, url(proxy.port()));
  fast_retries(c);
  Outbox box = Outbox::open(c);
  enqueue_one(box);
  Uploader up(c);
  REQUIRE(up.start());
  REQUIRE(wait_until([&] { return up.snapshot().backoff_ms > 0; }));
  CHECK(up.snapshot().backoff_ms >= 1000);  // Retry-After: 1 beats the 200 ms cap
  CHECK(box.status().last_error == "HTTP 503 maintenance");
  up.wake();  // a wake-up does not override the hub's Retry-After
  proxy.set(Fault::Pass);
  REQUIRE(wait_until([&] { return box.status().queue_depth == 0; }));
  CHECK(hub.stored() == 1);
  CHECK(stops_promptly(up));
}

TEST_CASE("outbox-upload-06 delivery resumes by itself when the hub comes back", "[outbox][upload]") {
  TempDir dir;
  HubKeys keys;
  TestHub hub("test-token-gr1", "kiosk-gr1");
  FaultProxy proxy(hub.port());
  proxy.set(Fault::Down);
  Config c = make_config(dir, keys, url(proxy.port()));
  fast_retries(c);
  c.backoff_base_ms = c.backoff_cap_ms = 10 * 60 * 1000;  // only a probe can end this wait
  c.probe_interval_ms = 50;
  Outbox box = Outbox::open(c);
  enqueue_one(box);
  Uploader up(c);
  REQUIRE(up.start());
  REQUIRE(wait_until([&] { return up.snapshot().attempts >= 1 && up.snapshot().backoff_ms > 0; }));
  CHECK(box.status().queue_depth == 1);
  proxy.set(Fault::Pass);  // no wake(): the probe must notice
  REQUIRE(wait_until([&] { return box.status().queue_depth == 0; }));
  CHECK(hub.stored() == 1);
  CHECK(stops_promptly(up));
}

TEST_CASE("outbox-upload-07 remote status and heartbeat", "[outbox][upload]") {
  TempDir dir;
  HubKeys keys;
  TestHub hub("test-token-gr1", "kiosk-gr1");
  Config c = make_config(dir, keys, url(hub.port()));
  fast_retries(c);
  c.heartbeat_interval_ms = 20;
  c.content_version = "2026.11.1";
  Outbox box = Outbox::open(c);
  EnqueueResult r = enqueue_one(box);
  Uploader up(c);
  REQUIRE(up.start());
  REQUIRE(wait_until([&] { return box.status().queue_depth == 0 && hub.heartbeats() >= 2; }));
  RemoteStatus s = up.remote_status(r.ref);
  CHECK(s.ok);
  CHECK(s.found);
  CHECK(s.status == "received");
  hub.set_status(r.ref, "in_progress");
  std::string typed = r.ref;
  for (char& ch : typed) ch = (char)tolower((unsigned char)ch);
  CHECK(up.remote_status(typed).status == "in_progress");
  RemoteStatus unknown = up.remote_status(make_ref("GR1", 999));
  CHECK(unknown.ok);
  CHECK_FALSE(unknown.found);
  RemoteStatus typo = up.remote_status("GR1-ZZZZZ");
  CHECK_FALSE(typo.ok);
  CHECK(typo.error == "not a valid reference code");
  nlohmann::json hb = nlohmann::json::parse(hub.last_heartbeat());
  CHECK(hb["kiosk"] == "kiosk-gr1");
  CHECK(hb["queue_depth"] == 0);
  CHECK(hb["content_version"] == "2026.11.1");
  CHECK(hb.contains("oldest_unsent_age_s"));
  CHECK(hb.contains("permanent_errors"));
  CHECK(stops_promptly(up));
}

TEST_CASE("outbox-upload-08 a plain http URL off loopback is refused", "[outbox][upload]") {
  TempDir dir;
  HubKeys keys;
  Config c = make_config(dir, keys, "http://hub.example.org");
  Uploader up(c);
  std::string err;
  CHECK_FALSE(up.start(&err));
  CHECK(err == "hub URL must be https:// (http:// only on loopback)");
}
