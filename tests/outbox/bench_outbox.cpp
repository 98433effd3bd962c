// bench-outbox: figures of issue #4. Prints
//   - enqueue latency p50/p99/max with synchronous=FULL (an fsync per request), on this disk;
//   - the time to drain 10,000 queued requests to a hub on loopback over HTTP.
// The hub is the stand-in of tests/outbox (in process, cpp-httplib) until the real hub is wired.
// Usage: bench-outbox [enqueues=1000] [drain=10000]
#include "outbox_internal.h"
#include "test_hub.h"
#include "test_util.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

using namespace outbox;
using namespace outbox_test;
using Clock = std::chrono::steady_clock;

static double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

int main(int argc, char** argv) {
  int enqueues = argc > 1 ? atoi(argv[1]) : 1000;
  int drain = argc > 2 ? atoi(argv[2]) : 10000;
  TempDir dir;
  HubKeys keys;
  TestHub hub("test-token-gr1", "kiosk-gr1");
  if (!hub.ok()) return fprintf(stderr, "bench-outbox: cannot start the hub\n"), 1;
  Config c = make_config(dir, keys, "http://127.0.0.1:" + std::to_string(hub.port()));
  Outbox box = Outbox::open(c);
  if (!box.ok()) return fprintf(stderr, "bench-outbox: %s\n", box.error().c_str()), 1;

  std::vector<double> lat;
  for (int i = 0; i < std::max(enqueues, drain); i++) {
    RequestInput in;
    fill(in, "Bench Visitor", "+39 000 0000000");
    Clock::time_point t0 = Clock::now();
    if (!box.enqueue(in).ok) return fprintf(stderr, "bench-outbox: enqueue failed\n"), 1;
    if (i < enqueues) lat.push_back(ms_since(t0));
  }
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) { return lat[std::min(lat.size() - 1, (size_t)(p * (double)lat.size()))]; };
  printf("bench-outbox: enqueue with synchronous=FULL (%zu requests, temp dir %s): p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
         lat.size(), dir.path.c_str(), pct(0.50), pct(0.99), lat.back());

  int64_t queued = box.status().queue_depth;
  Uploader up(c);
  Clock::time_point t0 = Clock::now();
  if (!up.start()) return fprintf(stderr, "bench-outbox: uploader failed to start\n"), 1;
  while (box.status().queue_depth > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  double total = ms_since(t0);
  up.stop();
  printf("bench-outbox: drained %lld queued requests to the stand-in hub on loopback (HTTP/1.1, one connection): "
         "%.2f s, %.0f requests/s; hub stored %zu\n",
         (long long)queued, total / 1000.0, (double)queued / (total / 1000.0), hub.stored());
  return hub.stored() == (size_t)queued ? 0 : 1;
}
