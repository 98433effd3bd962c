// The stand-in hub: POST /api/v1/requests, GET /api/v1/requests/status, POST /api/v1/heartbeat.
#include "test_hub.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace outbox_test {

using nlohmann::json;

static void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

TestHub::TestHub(std::string token, std::string kiosk, std::string cert, std::string key)
    : token_(std::move(token)), kiosk_(std::move(kiosk)) {
  if (cert.empty()) server_ = std::make_unique<httplib::Server>();
  else server_ = std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str());
  if (!server_->is_valid()) return;
  auto authorized = [this](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") != "Bearer " + token_) {
      reply(res, 401, {{"error", "unauthorized"}});
      return false;
    }
    return true;
  };
  server_->Post("/api/v1/requests", [this, authorized](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    if (req.body.size() > 16 * 1024) return reply(res, 413, {{"error", "too_large"}});
    if (req.get_header_value("Content-Type") != "application/json") return reply(res, 415, {{"error", "content_type"}});
    json j = json::parse(req.body, nullptr, false);
    if (!j.is_object() || !j.contains("id") || !j["id"].is_string() || !j.contains("sealed") || !j.contains("ref"))
      return reply(res, 400, {{"error", "invalid_request"}});
    std::string id = j["id"];
    if (req.get_header_value("Idempotency-Key") != id) return reply(res, 400, {{"error", "idempotency_key"}});
    if (j.value("kiosk", "") != kiosk_) return reply(res, 403, {{"error", "wrong_kiosk"}});
    std::lock_guard<std::mutex> lock(mu_);
    auto it = bodies_.find(id);
    json ack = {{"id", id}, {"ref", j["ref"]}, {"status", "received"}};
    if (it == bodies_.end()) {
      bodies_[id] = req.body;
      stores_[id]++;
      ref_status_[j["ref"]] = "received";
      return reply(res, 201, ack);
    }
    if (it->second != req.body) return reply(res, 409, {{"error", "idempotency_conflict"}});
    reply(res, 200, ack);
  });
  server_->Get("/api/v1/requests/status", [this, authorized](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    std::string ref = req.get_param_value("ref");
    std::lock_guard<std::mutex> lock(mu_);
    auto it = ref_status_.find(ref);
    if (it == ref_status_.end()) return reply(res, 404, {{"error", "not_found"}});
    reply(res, 200, {{"ref", ref}, {"status", it->second}});
  });
  server_->Post("/api/v1/heartbeat", [this, authorized](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    std::lock_guard<std::mutex> lock(mu_);
    heartbeats_++;
    last_heartbeat_ = req.body;
    res.status = 204;
  });
  int port = server_->bind_to_any_port("127.0.0.1");
  if (port <= 0) return;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  port_ = port;
}

TestHub::~TestHub() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

size_t TestHub::stored() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bodies_.size();
}

int TestHub::times_stored(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = stores_.find(id);
  return it == stores_.end() ? 0 : it->second;
}

int TestHub::max_times_stored() const {
  std::lock_guard<std::mutex> lock(mu_);
  int m = 0;
  for (auto& [id, n] : stores_) m = std::max(m, n);
  return m;
}


std::string TestHub::body_of(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = bodies_.find(id);
  return it == bodies_.end() ? "" : it->second;
}

int TestHub::heartbeats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return heartbeats_;
}

std::string TestHub::last_heartbeat() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_heartbeat_;
}

void TestHub::set_status(const std::string& ref, const std::string& status) {
  std::lock_guard<std::mutex> lock(mu_);
  ref_status_[ref] = status;
}

}  // namespace outbox_test
