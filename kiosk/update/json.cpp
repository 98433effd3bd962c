// The Config and the Status as JSON: the Config crosses the socket to the network process, the
// Status comes back (staff view) and goes into the heartbeat. Also the small helpers.
#include "update_internal.h"

#include "platform.h"

#include <nlohmann/json.hpp>

namespace update {

// [SECTION] Config ------------------------------------------------------------------------------
// Every field but the injectable clocks, which a child cannot share.
std::string config_to_json(const Config& c) {
  nlohmann::json keys = nlohmann::json::array();
  for (const release::PublicKey& k : c.trust.keys) keys.push_back(k.base64());
  nlohmann::json j = {{"state_dir", c.state_dir}, {"hub_url", c.hub_url}, {"token", c.token},
                      {"targets_url", c.targets_url}, {"ca_file", c.ca_file},
                      {"pinned_public_key", c.pinned_public_key}, {"trust_keys", keys},
                      {"threshold", c.trust.threshold}, {"base_version", c.base_version},
                      {"poll_interval_ms", c.poll_interval_ms}, {"poll_jitter", c.poll_jitter},
                      {"connect_timeout_ms", c.connect_timeout_ms},
                      {"low_speed_limit_bytes", c.low_speed_limit_bytes}, {"low_speed_time_s", c.low_speed_time_s},
                      {"free_space_margin", c.free_space_margin}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool config_from_json(const std::string& text, Config* c, std::string* error) {
  std::string ignored;
  if (!error) error = &ignored;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return *error = "the update configuration is not a JSON object", false;
  auto field = [&](const char* name, auto* out) {
    auto it = j.find(name);
    if (it == j.end()) return true;   // absent: the default
    try {
      *out = it->get<std::remove_pointer_t<decltype(out)>>();
      return true;
    } catch (const nlohmann::json::exception&) {
      *error = std::string("update configuration field ") + name + " has the wrong type";
      return false;
    }
  };
  std::vector<std::string> keys;
  if (!(field("state_dir", &c->state_dir) && field("hub_url", &c->hub_url) && field("token", &c->token) &&
        field("targets_url", &c->targets_url) && field("ca_file", &c->ca_file) &&
        field("pinned_public_key", &c->pinned_public_key) && field("trust_keys", &keys) &&
        field("threshold", &c->trust.threshold) && field("base_version", &c->base_version) &&
        field("poll_interval_ms", &c->poll_interval_ms) && field("poll_jitter", &c->poll_jitter) &&
        field("connect_timeout_ms", &c->connect_timeout_ms) &&
        field("low_speed_limit_bytes", &c->low_speed_limit_bytes) && field("low_speed_time_s", &c->low_speed_time_s) &&
        field("free_space_margin", &c->free_space_margin)))
    return false;
  if (j.contains("trust_keys")) {
    c->trust.keys.clear();
    for (const std::string& k : keys) {
      release::PublicKey key;
      std::string why;
      if (!release::parse_public_key(k, &key, &why)) return *error = "update configuration: trusted key: " + why, false;
      c->trust.keys.push_back(key);
    }
  }
  if (c->state_dir.empty()) return *error = "update configuration: no state_dir", false;
  return true;
}

// [SECTION] Status ------------------------------------------------------------------------------
std::string status_to_json(const Status& s) {
  nlohmann::json j = {{"state", s.state}, {"installed_version", s.installed_version},
                      {"offered_version", s.offered_version}, {"last_check", s.last_check},
                      {"last_install", s.last_install}, {"last_error", s.last_error},
                      {"last_refusal", s.last_refusal}, {"downloaded", s.downloaded}, {"total", s.total}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool status_from_json(const std::string& text, Status* out) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return false;
  Status s;
  try {
    s.state = j.value("state", s.state);
    s.installed_version = j.value("installed_version", (int64_t)0);
    s.offered_version = j.value("offered_version", (int64_t)0);
    s.last_check = j.value("last_check", (int64_t)0);
    s.last_install = j.value("last_install", (int64_t)0);
    s.last_error = j.value("last_error", std::string());
    s.last_refusal = j.value("last_refusal", std::string());
    s.downloaded = j.value("downloaded", (uint64_t)0);
    s.total = j.value("total", (uint64_t)0);
  } catch (const nlohmann::json::exception&) {
    return false;
  }
  *out = s;
  return true;
}

// [SECTION] Small helpers -----------------------------------------------------------------------
uint64_t cfg_now_ms(const Config& c) { return c.now_ms ? c.now_ms() : platform::now_ms(); }

int64_t cfg_wall_s(const Config& c) { return c.wall_s ? c.wall_s() : platform::wall_clock_unix_ms() / 1000; }


}  // namespace update
