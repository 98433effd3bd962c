// bench-hub: ingest rate of a real sportello-hub on loopback with 50 concurrent simulated kiosks,
// each with its own token and keep-alive connection (libcurl). Prints requests/s and latency.
// Usage: bench-hub [--kiosks N] [--per-kiosk N]
#include "harness.h"

#include <curl/curl.h>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

using Clock = std::chrono::steady_clock;

static std::string run(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[512];
    while (fgets(buf, sizeof buf, p)) out = buf;  // keep the last line
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

static size_t discard(char*, size_t size, size_t n, void*) { return size * n; }


int main(int argc, char** argv) {
  int kiosks = 50, per_kiosk = 100;
  for (int i = 1; i + 1 < argc; i++) {
    if (!strcmp(argv[i], "--kiosks")) kiosks = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--per-kiosk")) per_kiosk = atoi(argv[++i]);
  }
  if (sodium_init() < 0) return 1;
  char created_at[32];   // the hub refuses times far from its clock
  time_t now = time(nullptr);
  strftime(created_at, sizeof created_at, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  char dir[] = "/tmp/bench-hub-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  std::string hub = SPORTELLO_HUB_BIN, data = std::string(dir) + "/hub";
  run(hub + " init --data " + data);
  std::vector<std::string> tokens;
  for (int k = 0; k < kiosks; k++) tokens.push_back(run(hub + " add-kiosk --data " + data + " --id K" + std::to_string(k) + " --ref-prefix K" + std::to_string(k)));

  int fds[2];
  if (pipe(fds) != 0) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 2);  // one log line per request: not what is being measured
    // No per-kiosk request limits: each simulated kiosk posts far more than a real one would.
    execl(hub.c_str(), hub.c_str(), "serve", "--data", data.c_str(), "--listen", "127.0.0.1:0",
          "--kiosk-requests-per-minute", "0", "--kiosk-requests-per-day", "0", nullptr);
    _exit(127);
  }
  close(fds[1]);
  char line[256] = {0};
  FILE* out = fdopen(fds[0], "r");
  if (!fgets(line, sizeof line, out) || strncmp(line, "listening on 127.0.0.1:", 23) != 0) {
    fprintf(stderr, "bench-hub: the hub did not start\n");
    return 1;
  }
  std::string url = "http://127.0.0.1:" + std::string(line + 23);
  url.erase(url.find_last_not_of("\r\n") + 1);
  url += "/api/v1/requests";

  std::vector<unsigned char> sealed(96);
  randombytes_buf(sealed.data(), sealed.size());
  std::string sealed_b64(sodium_base64_encoded_len(sealed.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(sealed_b64.data(), sealed_b64.size(), sealed.data(), sealed.size(), sodium_base64_VARIANT_ORIGINAL);
  sealed_b64.resize(strlen(sealed_b64.c_str()));

  std::vector<std::vector<double>> latencies(kiosks);
  std::atomic<int> failures{0};
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int k = 0; k < kiosks; k++)
    threads.emplace_back([&, k] {
      CURL* c = curl_easy_init();  // one handle per kiosk: its connection stays open between requests
      for (int i = 0; i < per_kiosk; i++) {
        std::string id = harness::random_uuid();
        char ref[32];
        snprintf(ref, sizeof ref, "K%d-%05d", k % 1000, i);
        std::string body = "{\"id\":\"" + id + "\",\"ref\":\"" + ref + "\",\"kiosk\":\"K" + std::to_string(k) +
                           "\",\"created_at\":\"" + std::string(created_at) + "\",\"lang\":\"ar\",\"topic\":\"health\","
                           "\"contact\":\"phone\",\"sealed\":\"" + sealed_b64 + "\"}";
        curl_slist* h = curl_slist_append(nullptr, ("Authorization: Bearer " + tokens[k]).c_str());
        h = curl_slist_append(h, ("Idempotency-Key: " + id).c_str());
        h = curl_slist_append(h, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_URL, url.c_str());
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        auto s = Clock::now();
        long status = 0;
        if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        latencies[k].push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
        if (status != 201) failures++;
        curl_slist_free_all(h);
      }
      curl_easy_cleanup(c);
    });
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  std::vector<double> all;
  for (auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  printf("bench-hub: %d kiosks x %d requests on loopback, one fsync'd transaction per request\n", kiosks, per_kiosk);
  printf("  ingest %8.0f requests/s   latency p50 %.1f ms  p99 %.1f ms   failures %d   (goal >= 1000/s)\n",
         all.size() / seconds, all[all.size() / 2], all[all.size() * 99 / 100], failures.load());
  std::string cleanup = "rm -rf " + std::string(dir);
  return system(cleanup.c_str()) == 0 && failures == 0 ? 0 : 1;
}
