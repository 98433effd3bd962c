// Shared between the kiosk API and the console: the server's state and small helpers.
#pragma once

#include "hub.h"

#include <httplib.h>

#include <atomic>
#include <chrono>

namespace hub {

struct Server {
  ServeConfig config;
  std::unique_ptr<Store> store;
  KeyPair keys;
  bool tls = false;
  std::atomic<int> inflight{0};
};

inline int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void install_api(httplib::Server& http, Server& s);
void install_console(httplib::Server& http, Server& s);
bool load_keys(const std::string& data_dir, KeyPair* keys, std::string* error);

}  // namespace hub
