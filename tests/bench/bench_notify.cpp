// bench-notify: the time from a kiosk's upload of a mediator request to the notification mail
// accepted by the SMTP server, with the real hub and a real SMTP server (aiosmtpd) on loopback.
// One request at a time (each waits for its mail), digest off, one on-duty mediator matching.
// Prints p50, p99 and the largest (the goal is at most 2 s on loopback); asserts nothing on time.
// Usage: bench-notify [--requests N]   (default 50)
#include "notify_util.h"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

using namespace hub_test;

int main(int argc, char** argv) {
  int n = 50;
  for (int i = 1; i + 1 < argc; i++)
    if (!strcmp(argv[i], "--requests")) n = std::clamp(atoi(argv[i + 1]), 1, 5000);
  if (sodium_init() < 0) return 1;
  Sink sink;
  if (!sink.start("bench-notify-sink")) return fprintf(stderr, "bench-notify: the SMTP sink did not start\n"), 1;
  Hub hub;
  std::string dir = harness::temp_dir("bench-notify-conf");
  if (!hub.start("bench-notify", {"--notify-config", notify_config(dir, sink, "digest-minutes = 0\n")}))
    return fprintf(stderr, "bench-notify: the hub did not start\n"), 1;
  hub_cli(hub, "set-profile", {"--user", "anna", "--languages", "ar", "--desks", "GR-01", "--duty", "on", "--email",
                               "anna@mediatori.test"});
  std::vector<double> ms;
  for (int i = 0; i < n; i++) {
    std::string id = uuid(100 + i), ref = "GR1-B" + std::to_string(1000 + i);
    std::string body = request_body(hub, id, ref, "{\"name\":\"x\",\"phone\":\"1\"}", "GR-01", "ar");
    std::string next = sink.dir + "/mail-" + std::to_string(i + 1) + ".eml";
    auto start = std::chrono::steady_clock::now();
    if (post_request(hub, hub.token, id, body).status != 201) return fprintf(stderr, "bench-notify: upload %d refused\n", i), 1;
    if (!wait_until([&] { return std::filesystem::exists(next); }, 30))
      return fprintf(stderr, "bench-notify: no mail for request %d within 30 s\n", i), 1;
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms[std::min(ms.size() - 1, (size_t)(p * (ms.size() - 1) + 0.5))]; };
  printf("notify: upload -> mail accepted by the SMTP server (loopback, %d requests): p50 %.0f ms, p99 %.0f ms, "
         "max %.0f ms (goal <= 2000 ms)\n", n, pct(0.5), pct(0.99), ms.back());
  return 0;
}
