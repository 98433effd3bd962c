// bench-outbox: enqueue and drain figures. Prints
//   - enqueue latency p50/p99/max with synchronous=FULL (an fsync per request), on this disk;
//   - the time to drain 10,000 queued requests to the real sportello-hub on loopback over HTTP.
// Usage: bench-outbox [enqueues=1000] [drain=10000]
#include "real_hub.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

using namespace outbox;
using namespace outbox_test;
using Clock = std::chrono::steady_clock;

static double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

int main(int argc, char** argv) {
  int enqueues = argc > 1 ? atoi(argv[1]) : 1000;
  int drain = argc > 2 ? atoi(argv[2]) : 10000;
  harness::Hub hub;
  if (!hub.start("bench-outbox")) return fprintf(stderr, "bench-outbox: cannot start sportello-hub\n"), 1;
  TempDir dir;
  Config c = config_for(hub, dir);
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
  int64_t stored = hub.rows();
  printf("bench-outbox: drained %lld queued requests to sportello-hub on loopback (HTTP/1.1, one connection, "
         "both sides fsync every request): %.2f s, %.0f requests/s; hub stored %lld\n",
         (long long)queued, total / 1000.0, (double)queued / (total / 1000.0), (long long)stored);
  return stored == queued ? 0 : 1;
}
