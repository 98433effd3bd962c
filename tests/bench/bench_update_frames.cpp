// bench-update-frames: what the screen's frames and CPU look like while the kiosk's network process
// downloads and installs a content update. Printed, never asserted.
//
// The kiosk runs as deployed, headless (offscreen, Mesa llvmpipe): an outbox, the real hub on
// loopback, a state directory and a trusted release key, so it starts its uploader process, which
// hosts the updater. Before the kiosk starts, a release made with the real sportello-admin is
// published to every kiosk: the demo content as version 2 plus a 50 MB offline map
// (map.mbtiles, random bytes) that the updater downloads, verifies and installs like the pack.
// The updater's first poll comes 0.5 to 3 s after the uploader starts; the script opens the
// longest Arabic page and drags it up and down without a pause for long enough to span that poll
// and the whole download, and on past it (the same drag with no download, to compare), then
// waits for the release (await-content) and goes home, where the new content must show.
//
// The headless kiosk draws on a virtual clock, but each frame's drawing takes real time, and
// --frame-stats writes each frame's time and the moment it was presented (CLOCK_MONOTONIC, the
// clock of steady_clock here too). This program watches the state directory for the window:
//   from the first STATE/download/*.part (the download begins)
//   to   STATE/current.json (the install's last step: the release is installed)
// and prints the frames presented in that window and the CPU time (/proc/PID/stat) that the
// kiosk, its uploader child and the hub spent in it.
// Not in the window: the screen's process opening the new pack (a worker thread, once the watcher
// tells it). A scripted drag runs no timers, so the headless kiosk does that only at await-content,
// after the drags; on a real screen it would overlap the frames that follow the install.
// Usage: bench-update-frames [--drags N] [--map-mb N]
#include "harness.h"
#include "proc.h"
#include "steal.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <signal.h>
#include <sys/wait.h>
#include <thread>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

static double now_ms() { return std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count(); }



static bool write_random(const std::string& path, size_t bytes) {
  FILE* f = fopen(path.c_str(), "wb");
  if (!f) return false;
  std::mt19937_64 rng(20261206);
  std::vector<uint64_t> block(1 << 16);
  for (size_t done = 0; done < bytes;) {
    for (uint64_t& w : block) w = rng();
    size_t n = std::min(bytes - done, block.size() * sizeof(uint64_t));
    if (fwrite(block.data(), 1, n, f) != n) break;
    done += n;
  }
  return fclose(f) == 0;
}

static bool any_part(const std::string& state) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(state + "/download", ec))
    if (e.path().extension() == ".part") return true;
  return false;
}

// CPU seconds of the three processes at one moment.
struct Cpu {
  double kiosk = 0, uploader = 0, hub = 0;
};

static Cpu sample(pid_t kiosk, pid_t uploader, pid_t hub) {
  return {cpu_seconds(kiosk), uploader > 0 ? cpu_seconds(uploader) : 0, cpu_seconds(hub)};
}

static void print_frames(const char* what, std::vector<double> ms, const char* goal) {
  if (ms.empty()) return;
  std::sort(ms.begin(), ms.end());
  printf("  %s: %5zu frames, p50 %5.2f ms  p99 %5.2f ms  max %5.2f ms%s\n", what, ms.size(), ms[ms.size() / 2],
         ms[ms.size() * 99 / 100], ms.back(), goal);
}

static int fail(const std::string& why, const std::string& dir) {
  fprintf(stderr, "bench-update-frames: %s (see %s)\n", why.c_str(), dir.c_str());
  return 1;
}

int main(int argc, char** argv) {
  int drags = 60, map_mb = 50;
  for (int i = 1; i + 1 < argc; i++) {
    if (!strcmp(argv[i], "--drags")) drags = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--map-mb")) map_mb = atoi(argv[++i]);
  }
  std::string dir = harness::temp_dir("bench-update-frames");

  // The release: the pack as version 2 and a map, signed with a fresh key, published to every kiosk.
  std::string v1 = harness::build_demo_pack(dir, 1), v2 = harness::build_demo_pack(dir, 2);
  if (v1.empty() || v2.empty()) return fail("cannot build the packs", dir + "/admin.log");
  if (!write_random(dir + "/map.mbtiles", (size_t)map_mb << 20)) return fail("cannot write the map", dir);
  if (harness::admin(dir, {"keygen", "--out", dir + "/keys", "--no-passphrase"}) != 0) return fail("keygen", dir + "/admin.log");
  std::string release_key = harness::last_line(harness::read_file(dir + "/keys/release.pub"));
  harness::Hub hub;
  hub.release_keys = {release_key};
  if (!hub.start("bench-update-frames-hub")) return fail("the hub did not start", dir);
  harness::write_file(dir + "/kiosk.token", hub.token + "\n");
  harness::write_file(dir + "/admin.token", hub.admin_token + "\n");
  if (harness::admin(dir, {"release", "--pack", v2, "--map", dir + "/map.mbtiles", "--key", dir + "/keys/release.key", "--out",
                   dir + "/release"}) != 0 ||
      harness::admin(dir, {"publish", "--hub", hub.url(), "--admin-token", dir + "/admin.token", dir + "/release"}) != 0)
    return fail("release or publish failed", dir + "/admin.log");

  // The script: the longest Arabic page, dragged up and down without a pause, then home on v2.
  std::string out = dir + "/out", state = dir + "/state";
  fs::create_directories(out);
  std::string script = "tap home.start\ntap lang.ar\ntap welcome.start\ntap topic.permits\ntap proc.permit-renewal\n"
                       "dump page\n";
  for (int i = 0; i < drags; i++) script += "drag 960 900 960 300 250\ndrag 960 300 960 900 250\n";
  script += "await-content 2 120000\ntap nav.home\ndump home\n";
  harness::write_file(dir + "/script.txt", script);
  std::vector<std::string> args = {
      SPORTELLO_KIOSK_BIN, "--headless", "--size", "1920x1080", "--script", dir + "/script.txt", "--out", out,
      "--frame-stats", dir + "/frames.txt", "--content", v1, "--outbox-db", dir + "/outbox.db", "--ref-prefix", "BU",
      "--hub-url", hub.url(), "--kiosk-id", "GR-01", "--hub-token-file", dir + "/kiosk.token", "--hub-public-key",
      hub.public_key, "--state-dir", state, "--release-key", release_key, "--update-interval", "60"};
  int err_fd = -1;
  pid_t kiosk = spawn(args, &err_fd);
  if (kiosk < 0) return fail("cannot start the kiosk", dir);

  // The kiosk's stderr, read on a thread: a full pipe would stall it.
  std::string log;
  std::thread reader([&] {
    char buf[4096];
    for (ssize_t n; (n = read(err_fd, buf, sizeof buf)) > 0;) log.append(buf, (size_t)n);
  });

  // Watch the window, every 5 ms, until the kiosk exits.
  pid_t uploader = -1;
  double t_page = 0, t_download = 0, t_installed = 0, t_after = 0;
  Cpu c_page, c_download, c_installed, c_after;
  CpuTicks ticks_download, ticks_installed;
  int status = 0;
  while (waitpid(kiosk, &status, WNOHANG) == 0) {
    if (uploader < 0) uploader = first_child(kiosk);
    double t = now_ms();
    if (t_page == 0 && fs::exists(out + "/page.json")) t_page = t, c_page = sample(kiosk, uploader, hub.server.pid);
    if (t_download == 0 && any_part(state)) {
      t_download = t, c_download = sample(kiosk, uploader, hub.server.pid), ticks_download = cpu_ticks();
    }
    if (t_installed == 0 && fs::exists(state + "/current.json")) {
      t_installed = t, c_installed = sample(kiosk, uploader, hub.server.pid), ticks_installed = cpu_ticks();
    }
    // The same drag with nothing downloading, for as long as the window lasted (if the drags go on).
    if (t_installed > 0 && t_after == 0 && t - t_installed >= std::max(t_installed - t_download, 500.0))
      t_after = t, c_after = sample(kiosk, uploader, hub.server.pid);
    std::this_thread::sleep_for(std::chrono::milliseconds(t_after == 0 ? 5 : 50));
  }
  reader.join();
  close(err_fd);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fail("the kiosk failed: " + harness::last_line(log), dir);
  if (t_download == 0 || t_installed == 0)
    return fail("no download seen (part " + std::to_string(t_download > 0) + ", installed " +
                    std::to_string(t_installed > 0) + ")", dir);

  // The frames presented in the window.
  std::vector<double> window, before, after;
  double last_end = 0;
  std::ifstream frames(dir + "/frames.txt");
  for (std::string line; std::getline(frames, line);) {
    double ms = 0, end = 0;   // the first two columns of a line (the phases follow)
    if (sscanf(line.c_str(), "%lf %lf", &ms, &end) != 2) continue;
    if (end >= t_download && end <= t_installed) window.push_back(ms);
    else if (end >= t_page && end < t_download) before.push_back(ms);
    else if (end > t_installed) after.push_back(ms);
    last_end = std::max(last_end, end);
  }
  nlohmann::json home = harness::load_dump({0, "", out}, "home");
  printf("bench-update-frames: a %d MB map + the demo pack (v2) from the real hub, while the kiosk drags the "
         "longest Arabic page (headless, offscreen, llvmpipe, 1920x1080)\n", map_mb);
  printf("  window: first .part -> release installed (current.json) %.0f ms; home then shows content version %s\n",
         t_installed - t_download, (home.is_object() ? home["content_version"] : nlohmann::json()).dump().c_str());
  if (t_page == 0 || t_page > t_download)
    printf("  (the download began before the drags, during navigation: the window's first frames are taps)\n");
  if (last_end < t_installed) printf("  (the drags ended before the window did: raise --drags)\n");
  print_frames("frames presented in the window", window, "  (goal: none over 16 ms)");
  print_frames("the same drag before the download", before, "");
  print_frames("the same drag after the install ", after, "");
  double secs = (t_installed - t_download) / 1000.0;
  printf("  CPU over the window (%.2f s): kiosk (screen) %.2f s = %.0f %% of a core; its sportello-uploader %.2f s = "
         "%.0f %%; the hub %.2f s\n", secs, c_installed.kiosk - c_download.kiosk,
         (c_installed.kiosk - c_download.kiosk) / secs * 100.0, c_installed.uploader - c_download.uploader,
         (c_installed.uploader - c_download.uploader) / secs * 100.0, c_installed.hub - c_download.hub);
  if (t_after > 0 && t_after <= last_end)
    printf("  kiosk CPU dragging with nothing downloading, the %.2f s after the install: %.0f %% of a core; "
           "uploader %.0f %%\n", (t_after - t_installed) / 1000.0,
           (c_after.kiosk - c_installed.kiosk) / ((t_after - t_installed) / 1000.0) * 100.0,
           (c_after.uploader - c_installed.uploader) / ((t_after - t_installed) / 1000.0) * 100.0);
  double load = 0;
  if (FILE* f = fopen("/proc/loadavg", "r")) {
    if (fscanf(f, "%lf", &load) != 1) load = 0;
    fclose(f);
  }
  printf("    this machine: %ld cores, load average %.2f over the last minute (this run included)\n",
         sysconf(_SC_NPROCESSORS_ONLN), load);
  printf("    meanwhile (the window) the host took %.1f %% of this machine's CPU time (steal)\n",
         steal_percent(ticks_download, ticks_installed));
  fs::remove_all(dir);
  return 0;
}
