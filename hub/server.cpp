// [SECTION] Server: keys, TLS or loopback HTTP, the API and console routes, retention, signals.
#include "cluster.h"
#include "db.h"
#include "notify.h"
#include "server_internal.h"

#include <curl/curl.h>
#include <sodium.h>

#include <condition_variable>
#include <csignal>
#include <mutex>
#include <cstdio>
#include <fstream>
#include <thread>

namespace hub {

bool load_keys(const std::string& data_dir, KeyPair* keys, std::string* error) {
  std::ifstream in(data_dir + "/hub.key", std::ios::binary);
  std::vector<unsigned char> raw((std::istreambuf_iterator<char>(in)), {});
  if (raw.size() != crypto_box_PUBLICKEYBYTES + crypto_box_SECRETKEYBYTES) {
    *error = data_dir + "/hub.key: missing or damaged (run sportello-hub init)";
    return false;
  }
  keys->public_key.assign(raw.begin(), raw.begin() + crypto_box_PUBLICKEYBYTES);
  keys->secret_key.assign(raw.begin() + crypto_box_PUBLICKEYBYTES, raw.end());
  sodium_memzero(raw.data(), raw.size());
  return true;
}

static void on_signal(int) { front_stop(); }

size_t body_cap(const Server& s, const std::string& path) {
  if (path.rfind("/api/v1/admin/targets/", 0) == 0) return s.max_target_bytes;
  if (path == "/console/admin/upload") return s.max_target_bytes + kAdminJsonMax;
  if (path.rfind("/api/v1/admin/", 0) == 0) return kAdminJsonMax;
  return kKioskBodyMax;
}

// Before routing (so before httplib reads a body): a body must announce its length, within the
// route's cap (the front checked both already; this stays as a second line), and admin routes must
// carry an admin token. A refused request's body is never read, so the front closes the connection.
static httplib::Server::HandlerResponse pre_route(Server& s, const httplib::Request& req, httplib::Response& res) {
  bool body = req.method == "POST" || req.method == "PUT" || req.method == "PATCH" || req.method == "DELETE";
  if (body) {
    std::string length = req.get_header_value("Content-Length");
    bool digits = !length.empty() && length.size() <= 19 && length.find_first_not_of("0123456789") == std::string::npos;
    if (req.has_header("Transfer-Encoding") || !digits) {
      error_reply(res, 411, "length_required");
    } else if (std::strtoull(length.c_str(), nullptr, 10) > body_cap(s, req.path)) {
      error_reply(res, 413, "too_large");
    }
  }
  if (s.tls || s.config.tls_proxy) res.set_header("Strict-Transport-Security", kHsts);
  if (req.path.rfind("/api/", 0) == 0) {
    // JSON answers are never to be sniffed as something else, nor kept by a cache: they carry
    // tokens' verdicts, request states and fleet data. The content routes have their own rules
    // (a manifest is revalidated with its ETag; a target is named by its hash).
    res.set_header("X-Content-Type-Options", "nosniff");
    if (req.path.rfind("/api/v1/content/", 0) != 0) res.set_header("Cache-Control", "no-store");
  }
  if (res.status < 0 && req.path.rfind("/api/v1/admin/", 0) == 0) authenticate_admin(s, req, res);
  if (res.status < 0) return httplib::Server::HandlerResponse::Unhandled;
  res.set_header("Connection", "close");
  return httplib::Server::HandlerResponse::Handled;
}

// The release keys and threshold the hub verifies every publish against.
static bool load_trust(const ServeConfig& config, release::Trust* trust, std::string* error) {
  for (const std::string& text : config.release_keys) {
    release::PublicKey key;
    if (!release::parse_public_key(text, &key, error)) return false;
    trust->keys.push_back(key);
  }
  trust->threshold = config.release_threshold;
  if (!trust->keys.empty() && (trust->threshold < 1 || trust->threshold > (int)trust->keys.size())) {
    *error = "--release-threshold must be between 1 and the number of --release-key";
    return false;
  }
  return true;
}

static bool is_loopback(const std::string& host) { return host == "127.0.0.1" || host == "::1" || host == "localhost"; }

int serve(const ServeConfig& config) {
  Server s;
  s.config = config;
  std::string error;
  if (!load_keys(config.data_dir, &s.keys, &error)) {
    fprintf(stderr, "sportello-hub: %s\n", error.c_str());
    return 1;
  }
  if (!load_trust(config, &s.trust, &error)) {
    fprintf(stderr, "sportello-hub: %s\n", error.c_str());
    return 2;
  }
  if (s.trust.keys.empty())
    fprintf(stderr, "sportello-hub: no --release-key: content releases cannot be published\n");
  s.max_target_bytes = (uint64_t)config.max_target_mb << 20;
  s.store = Store::open_data(config.data_dir);
  if (!s.store->ok()) {
    fprintf(stderr, "sportello-hub: %s\n", s.store->error().c_str());
    return 1;
  }
  NotifyConfig notify_config = default_notify_config();
  if (!config.notify_config.empty()) {
    if (std::string problem = load_notify_config(config.notify_config, &notify_config); !problem.empty()) {
      fprintf(stderr, "sportello-hub: %s\n", problem.c_str());
      return 2;
    }
  }
  if (config.tls_cert.empty() && !is_loopback(config.host)) {
    fprintf(stderr, "sportello-hub: plain HTTP only on loopback; give --tls-cert and --tls-key for %s\n",
            config.host.c_str());
    return 2;
  }
  s.tls = !config.tls_cert.empty();
  Routes http;
  // Each route's own cap is checked by the front and in pre_route; this is httplib's outer bound.
  http.set_payload_max_length(s.max_target_bytes + kAdminJsonMax);
  http.set_pre_routing_handler([&s](const httplib::Request& req, httplib::Response& res) { return pre_route(s, req, res); });
  install_api(http, s);
  install_content(http, s);
  install_admin_api(http, s);
  install_console(http, s);
  install_admin_console(http, s);
  install_profiles_console(http, s);
  install_notify_console(http, s);
  FrontPtr front = front_open(s, http, &error);
  if (!front) {
    fprintf(stderr, "sportello-hub: %s\n", error.c_str());
    return 1;
  }
  int port = front_port(*front);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);
  // Several instances on one PostgreSQL database (cluster.h): the live queue's events reach the
  // consoles of every instance, and retention and the notifier run on one instance at a time
  // (the holder of their job lock; the row guards of the store stay in force beside it).
  const std::string& cluster_url = database_url();
  const bool clustered = db::is_postgres_url(cluster_url);
  std::mutex retention_mu;
  std::condition_variable retention_cv;
  bool stopping = false, retention_now = false;
  std::unique_ptr<JobLock> retention_lock;
  if (clustered)
    retention_lock = std::make_unique<JobLock>(cluster_url, "retention", std::chrono::seconds(5), [&](bool held) {
      if (!held) return;
      {
        std::lock_guard<std::mutex> lock(retention_mu);
        retention_now = true;
      }
      retention_cv.notify_all();
    });
  // Hourly, closed requests older than the retention period lose their sealed data. The thread
  // sleeps between sweeps (woken only to stop, or when this instance takes the job over): an idle
  // hub runs no timer of its own.
  std::thread retention([&] {
    std::unique_lock<std::mutex> lock(retention_mu);
    while (!stopping) {
      retention_now = false;
      lock.unlock();
      if (!retention_lock || retention_lock->held())
        s.store->retention(unix_now() - (int64_t)config.retention_days * 86400);
      lock.lock();
      retention_cv.wait_for(lock, std::chrono::hours(1), [&] { return stopping || retention_now; });
    }
  });
  curl_global_init(CURL_GLOBAL_DEFAULT);  // before any thread: the notifier's SMTP uses libcurl
  Notifier notifier(s, notify_config);
  std::unique_ptr<JobLock> notify_lock;
  std::unique_ptr<EventBridge> bridge;
  if (clustered) {
    // Asked every second (one cheap statement per instance): when the holder dies, the requests
    // stored meanwhile through the others wait about a second for their mails, not five.
    notify_lock = std::make_unique<JobLock>(cluster_url, "notifier", std::chrono::seconds(1), [&notifier](bool held) {
      if (held) notifier.wake();
    });
    notifier.set_may_run([&notify_lock] { return notify_lock->held(); });
    // A request that arrived through another instance (or a gap in the events) wakes the notifier.
    bridge = std::make_unique<EventBridge>(cluster_url, s.events, [&notifier](const Event& e) {
      if (wakes_notifier(e)) notifier.wake();
    });
    s.events.set_relay([b = bridge.get()](const Event& e) { b->send(e); });
  }
  notifier.start();
  s.notifier = &notifier;
  printf("listening on %s:%d\n", config.host.c_str(), port);
  fflush(stdout);
  front_run(*front);
  {
    std::lock_guard<std::mutex> lock(retention_mu);
    stopping = true;
  }
  retention_cv.notify_all();
  retention.join();
  s.events.set_relay(nullptr);
  bridge.reset();
  s.notifier = nullptr;
  notifier.stop();
  return 0;
}

}  // namespace hub
