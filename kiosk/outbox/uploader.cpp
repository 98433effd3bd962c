// The uploader: one thread with its own database connection and its own curl handle that sends
// the oldest queued request until the hub acknowledges it, then the next.
//
// Index
//   [SECTION] State
//   [SECTION] Waiting: backoff, wake-ups, probes
//   [SECTION] One delivery
//   [SECTION] Heartbeat
//   [SECTION] Thread loop
//   [SECTION] Public functions
//
// Waking: wake() (called by the app after each enqueue and on any network-change hint) ends an
// idle wait or a backoff at once, except that a hub's Retry-After is always honoured. After a
// connection failure, a backoff longer than probe_interval_ms is cut into probes (a bare
// TCP+TLS connect): when the hub answers again, delivery resumes at once ("network returns").
// An idle uploader also re-reads the queue every probe_interval_ms, so rows written by
// another process (outbox-tool) are found without a wake().
#include "outbox_internal.h"

#include "platform.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace outbox {

// [SECTION] State -----------------------------------------------------------------------------
struct UploaderImpl {
  Config config;
  Outbox box;                          // the uploader's own connection
  std::thread thread;
  mutable std::mutex mu;
  std::condition_variable cv;
  bool woken = false;                  // guarded by mu
  std::atomic<bool> stopping{false};
  UploaderStatus status;               // guarded by mu
  int failures = 0;                    // consecutive retryable failures (the backoff exponent)
  uint64_t acks_unchecked = 0;         // acks since the last WAL checkpoint
  uint64_t next_heartbeat_ms = 0;
};

static void set_status(UploaderImpl& u, const std::function<void(UploaderStatus&)>& change) {
  std::lock_guard<std::mutex> lock(u.mu);
  change(u.status);
}

// [SECTION] Waiting ---------------------------------------------------------------------------
// Waits up to `ms` on the condition variable. Returns true when woken (or stopping).
static bool wait_or_wake(UploaderImpl& u, uint64_t ms) {
  std::unique_lock<std::mutex> lock(u.mu);
  u.cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return u.woken || u.stopping.load(); });
  bool woke = u.woken || u.stopping.load();
  u.woken = false;
  return woke;
}

// Backoff of `delay_ms`; never earlier than `not_before_ms` (Retry-After). Returns early on
// wake(), on stop(), or when a probe finds the hub reachable after a connection failure.
static void backoff(UploaderImpl& u, HttpClient& http, uint64_t delay_ms, uint64_t min_ms, bool connect_failed) {
  uint64_t start = cfg_now_ms(u.config);
  uint64_t deadline = start + delay_ms, not_before = start + min_ms;
  set_status(u, [&](UploaderStatus& s) { s.backoff_ms = delay_ms; });
  while (!u.stopping.load()) {
    uint64_t now = cfg_now_ms(u.config);
    if (now >= deadline) break;
    uint64_t step = deadline - now;
    bool probing = connect_failed && now >= not_before && step > u.config.probe_interval_ms;
    if (probing) step = u.config.probe_interval_ms;
    if (wait_or_wake(u, step)) {
      if (u.stopping.load() || cfg_now_ms(u.config) >= not_before) break;
      continue;  // woken, but the hub asked us to wait longer
    }
    if (probing && http.probe()) {
      platform::log_event(platform::LogLevel::Info, "outbox", "hub_reachable", "", "hub reachable again, resuming delivery");
      break;
    }
  }
  set_status(u, [](UploaderStatus& s) { s.backoff_ms = 0; });
}

// [SECTION] One delivery ----------------------------------------------------------------------
static void on_failure(UploaderImpl& u, HttpClient& http, const Pending& p, const HttpResponse& r, const Classified& c) {
  note_retry(*u.box.state(), p.id, c.why);
  const Config& cfg = u.config;
  uint64_t delay = c.outcome == Outcome::RetryAtCap
                       ? cfg.backoff_cap_ms
                       : backoff_delay_ms(u.failures, cfg.backoff_base_ms, cfg.backoff_cap_ms, cfg_random(cfg));
  int64_t retry_after = r.transport_ok ? parse_retry_after(r.retry_after, cfg_wall_ms(cfg)) : -1;
  uint64_t min_ms = 0;
  if (retry_after > 0) {
    min_ms = (uint64_t)std::min<int64_t>(retry_after, 86400LL * 1000);
    delay = std::max(delay, min_ms);
  }
  u.failures++;
  set_status(u, [&](UploaderStatus& s) {
    s.consecutive_failures = u.failures;
    s.last_error = c.why;
  });
  platform::log_event(platform::LogLevel::Warn, "outbox", "upload_failed", p.ref, "request %s not delivered (%s); retry in %llu ms", p.ref.c_str(),
                c.why.c_str(), (unsigned long long)delay);
  backoff(u, http, delay, min_ms, r.connect_failed);
}

static void deliver(UploaderImpl& u, HttpClient& http, const Pending& p) {
  std::vector<std::string> headers = {"Content-Type: application/json", "Idempotency-Key: " + p.id};
  HttpResponse r = http.request("POST", "/api/v1/requests", p.body, headers, u.config.transfer_timeout_ms);
  set_status(u, [](UploaderStatus& s) { s.attempts++; });
  if (u.stopping.load()) return;  // aborted mid-transfer: the row stays queued, resent next start
  Classified c = classify(r, p.id);
  std::string err;
  switch (c.outcome) {
    case Outcome::Ack:
      if (!mark_sent(*u.box.state(), p.id, &err))  // resent later; the hub answers 200 to the retry
        platform::log_event(platform::LogLevel::Error, "outbox", "ack_not_recorded", p.ref, "cannot record ack of %s: %s",
                            p.ref.c_str(), err.c_str());
      platform::log_event(platform::LogLevel::Info, "outbox", "upload_ok", p.ref, "request %s delivered", p.ref.c_str());
      u.failures = 0;
      set_status(u, [](UploaderStatus& s) {
        s.acked++;
        s.consecutive_failures = 0;
        s.last_error.clear();
      });
      if (++u.acks_unchecked >= u.config.checkpoint_batch) {
        checkpoint(*u.box.state());
        u.acks_unchecked = 0;
      }
      return;
    case Outcome::Permanent:
      if (!mark_failed(*u.box.state(), p.id, (int)r.status, c.why, &err))
        platform::log(platform::LogLevel::Error, "outbox", "cannot flag %s: %s", p.ref.c_str(), err.c_str());
      platform::log_event(platform::LogLevel::Error, "outbox", "upload_refused", p.ref, "request %s refused for good: %s", p.ref.c_str(),
                          c.why.c_str());
      set_status(u, [&](UploaderStatus& s) {
        s.permanent++;
        s.last_error = c.why;
      });
      return;
    case Outcome::Retry:
    case Outcome::RetryAtCap:
      on_failure(u, http, p, r, c);
      return;
  }
}

// [SECTION] Heartbeat -------------------------------------------------------------------------
static void heartbeat_if_due(UploaderImpl& u, HttpClient& http) {
  if (u.config.heartbeat_interval_ms == 0) return;
  uint64_t now = cfg_now_ms(u.config);
  if (now < u.next_heartbeat_ms) return;
  u.next_heartbeat_ms = now + u.config.heartbeat_interval_ms;
  QueueStatus q = u.box.status();
  if (!q.ok) return;
  std::string content_version;
  {
    std::lock_guard<std::mutex> lock(u.mu);
    content_version = u.config.content_version;
  }
  nlohmann::json body = {{"kiosk", u.config.kiosk_id},
                         {"queue_depth", q.queue_depth},
                         {"oldest_unsent_age_s", q.oldest_unsent_age_s},
                         {"permanent_errors", q.permanent_errors},
                         {"content_version", content_version},
                         {"app_version", u.config.app_version}};
  // The content updater's state (last check, last error, download progress) for the fleet page.
  std::string update = u.config.heartbeat_update ? u.config.heartbeat_update() : std::string();
  nlohmann::json update_json = nlohmann::json::parse(update, nullptr, false);
  if (update_json.is_object()) body["update"] = update_json;
  HttpResponse r = http.request("POST", "/api/v1/heartbeat", body.dump(), {"Content-Type: application/json"},
                                u.config.status_timeout_ms);
  if (!r.transport_ok || r.status != 204)
    platform::log(platform::LogLevel::Debug, "outbox", "heartbeat not accepted (%s)",
                  r.transport_ok ? std::to_string(r.status).c_str() : r.error.c_str());
}

// [SECTION] Thread loop -----------------------------------------------------------------------
static void run(UploaderImpl& u) {
  HttpClient http(u.config, &u.stopping);
  while (!u.stopping.load()) {
    heartbeat_if_due(u, http);
    Pending p;
    bool found = false;
    std::string err;
    if (!next_pending(*u.box.state(), &p, &found, &err)) {
      platform::log(platform::LogLevel::Error, "outbox", "cannot read the queue: %s", err.c_str());
      wait_or_wake(u, u.config.backoff_base_ms);
      continue;
    }
    if (!found) {
      if (u.acks_unchecked > 0) {  // the queue is empty: drop the WAL with the sealed pages
        checkpoint(*u.box.state());
        u.acks_unchecked = 0;
      }
      uint64_t idle = u.config.probe_interval_ms;
      if (u.config.heartbeat_interval_ms) idle = std::min(idle, u.config.heartbeat_interval_ms);
      wait_or_wake(u, idle);
      continue;
    }
    deliver(u, http, p);
  }
}

// [SECTION] Public functions ------------------------------------------------------------------
Uploader::Uploader(Config config) : impl_(std::make_unique<UploaderImpl>()) { impl_->config = std::move(config); }

Uploader::~Uploader() { stop(); }

bool Uploader::start(std::string* error) {
  UploaderImpl& u = *impl_;
  std::string why;
  if (u.thread.joinable()) why = "uploader already running";
  else if (!platform::hub_url_allowed(u.config.hub_url, &why)) {
  } else {
    u.box = Outbox::open(u.config);
    if (!u.box.ok()) why = u.box.error();
  }
  if (!why.empty()) {
    if (error) *error = why;
    return false;
  }
  u.stopping.store(false);
  set_status(u, [](UploaderStatus& s) { s.running = true; });
  u.thread = std::thread([&u] { run(u); });
  return true;
}

void Uploader::wake() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->woken = true;
  impl_->cv.notify_all();
}

void Uploader::stop() {
  UploaderImpl& u = *impl_;
  {
    std::lock_guard<std::mutex> lock(u.mu);
    u.stopping.store(true);
    u.cv.notify_all();
  }
  if (u.thread.joinable()) u.thread.join();
  set_status(u, [](UploaderStatus& s) { s.running = false; });
}

UploaderStatus Uploader::snapshot() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->status;
}

void Uploader::set_content_version(const std::string& version) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->config.content_version = version;
}

RemoteStatus Uploader::remote_status(std::string_view typed) const {
  RemoteStatus out;
  std::string ref = normalize_ref(typed, impl_->config.ref_prefix);
  if (ref.empty()) {
    out.error = "not a valid reference code";
    return out;
  }
  if (!platform::hub_url_allowed(impl_->config.hub_url, &out.error)) return out;
  HttpClient http(impl_->config, nullptr);  // its own handle: safe beside the thread
  HttpResponse r = http.request("GET", "/api/v1/requests/status?ref=" + ref, "", {}, impl_->config.status_timeout_ms);
  if (!r.transport_ok) {
    out.error = r.error;
    return out;
  }
  if (r.status == 404) {
    out.ok = true;
    return out;
  }
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  if (r.status != 200 || !j.is_object() || !j.contains("status") || !j["status"].is_string()) {
    out.error = "HTTP " + std::to_string(r.status) + " without a status";
    return out;
  }
  out.ok = out.found = true;
  out.status = j["status"].get<std::string>();
  return out;
}

bool Uploader::check_hub(std::string* error) const {
  if (!platform::hub_url_allowed(impl_->config.hub_url, error)) return false;
  HttpClient http(impl_->config, nullptr);  // its own handle: safe beside the thread
  return http.probe(error, impl_->config.status_timeout_ms);
}

}  // namespace outbox
