// bench-live: the live console's figures against the real hub on loopback.
//   - from a kiosk's upload (the POST leaving) to an open console's event stream holding its event,
//     and to the console having re-fetched its queue (what the page's script does next);
//   - the hub's memory (VmRSS) and idle CPU with 500 open live consoles, and the context switches of
//     its threads over the idle window (heartbeats on a long period, no other timer);
//   - one upload reaching all 500 consoles.
// Prints; asserts nothing.
#include "live_util.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>
#include <dirent.h>

namespace {

using namespace hub_test;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

int64_t status_kb(int pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::atoll(line.c_str() + strlen(field) + 1);
  return -1;
}

// utime + stime of the whole process, in clock ticks.
int64_t cpu_ticks(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(in)), {});
  std::istringstream rest(all.substr(all.rfind(')') + 2));
  std::string field;
  int64_t utime = 0, stime = 0;
  for (int i = 3; rest >> field; i++) {
    if (i == 14) utime = std::atoll(field.c_str());
    if (i == 15) {
      stime = std::atoll(field.c_str());
      break;
    }
  }
  return utime + stime;
}

// Voluntary + involuntary context switches summed over the process's threads.
int64_t switches(int pid) {
  int64_t n = 0;
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (!d) return -1;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(dir + "/" + e->d_name + "/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0 || line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
        n += std::atoll(line.c_str() + line.find(':') + 1);
  }
  closedir(d);
  return n;
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, (size_t)(p * (double)v.size()))];
}

}  // namespace

int main() {
  if (sodium_init() < 0) return 1;
  Hub hub;
  if (!hub.start("bench-live")) return fprintf(stderr, "bench-live: the hub did not start\n"), 1;
  int port = std::atoi(hub.server.port.c_str()), pid = hub.server.pid;
  std::string anna = session_cookie(hub, "anna", "password-anna");
  // 1. Upload to the open console.
  {
    Stream s;
    if (!s.open(port, {"Cookie: " + anna}) || s.wait_head() != 200) return fprintf(stderr, "bench-live: no stream\n"), 1;
    std::vector<double> event_ms, page_ms;
    for (int i = 0; i < 30; i++) {
      std::string id;
      Clock::time_point t = Clock::now();
      if (!upload(hub, i, &id) || !s.wait_for(id, 10000)) return fprintf(stderr, "bench-live: event lost\n"), 1;
      event_ms.push_back(ms_since(t));
      Reply page = http("GET", hub.url("/console/"), "", {"Cookie: " + anna});
      if (page.body.find(id) == std::string::npos) return fprintf(stderr, "bench-live: queue lacks the request\n"), 1;
      page_ms.push_back(ms_since(t));
    }
    printf("bench-live: kiosk upload -> event on an open console: p50 %.1f ms, max %.1f ms; "
           "-> queue re-fetched with it: p50 %.1f ms, max %.1f ms (30 uploads; goal <= 2000 ms)\n",
           pct(event_ms, 0.5), pct(event_ms, 1.0), pct(page_ms, 0.5), pct(page_ms, 1.0));
  }
  // 2. 500 open consoles.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  int64_t rss0 = status_kb(pid, "VmRSS:");
  const int kConsoles = 500;
  std::vector<std::unique_ptr<Stream>> streams;
  // Opened 100 at a time: each opening is a request like any other (--max-inflight, default 256).
  for (int i = 0; i < kConsoles; i++) {
    streams.push_back(std::make_unique<Stream>());
    if (!streams.back()->open(port, {"Cookie: " + anna})) return fprintf(stderr, "bench-live: connect %d failed\n", i), 1;
    if (i % 100 == 99)
      for (int k = i - 99; k <= i; k++)
        if (streams[k]->wait_head() != 200) return fprintf(stderr, "bench-live: a stream was refused (%d)\n", streams[k]->status()), 1;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  int64_t rss1 = status_kb(pid, "VmRSS:");
  int64_t threads = status_kb(pid, "Threads:");
  printf("bench-live: %d open live consoles: hub VmRSS %lld -> %lld kB (%.1f kB per console; goal < 20), %lld threads\n",
         kConsoles, (long long)rss0, (long long)rss1, (double)(rss1 - rss0) / kConsoles, (long long)threads);
  const int kIdleS = 30;
  int64_t ticks0 = cpu_ticks(pid), sw0 = switches(pid);
  Clock::time_point t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(kIdleS));
  double wall = ms_since(t0) / 1000;
  int64_t ticks1 = cpu_ticks(pid), sw1 = switches(pid);
  double cpu = (double)(ticks1 - ticks0) / (double)sysconf(_SC_CLK_TCK) / wall * 100;
  printf("bench-live: idle with %d open consoles for %d s: hub CPU %.3f %% of a core, %lld context switches of its "
         "threads (heartbeats every 45-60 s; goal: idle 0 %%)\n",
         kConsoles, kIdleS, cpu, (long long)(sw1 - sw0));
  // 3. One upload to all of them.
  std::string id;
  Clock::time_point t = Clock::now();
  if (!upload(hub, 100000, &id)) return 1;
  double slowest = 0;
  int missing = 0;
  for (auto& s : streams) {
    if (!s->wait_for(id, 10000)) missing++;
    slowest = std::max(slowest, ms_since(t));
  }
  printf("bench-live: one upload -> its event on all %d consoles: %.1f ms (%d missed)\n", kConsoles, slowest, missing);
  return 0;
}
