// bench-kiosk: start-up, idle CPU, memory and frame-time figures, printed, never asserted.
//   start     process start to first frame presented, warm (after one unmeasured start), over
//             several starts: median and range, and the trace of the median start; on X11 (Xvfb)
//             and on Wayland under cage (headless wlroots backend, pixman), the appliance's
//             compositor; then the unit's own command (cage -s -- sportello) from cage's start;
//             then the same for first-frame-floor (a bare window and one cleared frame), the
//             system's share of the figure
//   idle      CPU of the idle home screen over 30 s (X11 on Xvfb) and over 5 s (offscreen)
//   rss       resident memory after start, of the kiosk and of its uploader process (the kiosk
//             runs as deployed: an outbox and the real hub on loopback)
//   scroll    frame time p50/p99 while dragging a long Arabic page (offscreen, llvmpipe)
// Usage: bench-kiosk [--idle-seconds N] [--start-runs N] [--content PACK] [--only-start]
//                    [--kiosk PATH (another build's sportello, to compare; its uploader beside it)]
#include "harness.h"
#include "proc.h"
#include "steal.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <signal.h>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

using Clock = std::chrono::steady_clock;

static double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// The kiosk's --trace-startup lines (ms since its process started, per phase), indented.
static void print_trace(const std::string& stderr_text, const char* title) {
  if (stderr_text.find("sportello[startup] ") == std::string::npos) return;  // the floor has none
  printf("  start-up trace, %s:\n", title);
  std::istringstream in(stderr_text);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("sportello[startup] ", 0) == 0) printf("    %s\n", line.c_str() + strlen("sportello[startup] "));
}

// Stops a process group as systemd stops a unit: SIGTERM to all of it, then waits for its leader.
static void stop_group(pid_t pid) {
  kill(-pid, SIGTERM);
  waitpid(pid, nullptr, 0);
}

// Start-up figures of one display: milliseconds from spawn to the first frame line, per start,
// and the trace of each.
struct Starts {
  std::vector<double> ms;
  std::vector<std::string> traces;
};

// Starts the kiosk with `launch` (which returns its pid and stderr), waits for its first frame,
// stops it with `halt`; once unmeasured (page cache, Mesa's shader cache), then `runs` times.
static Starts measure_starts(int runs, const std::function<pid_t(int*)>& launch, const std::function<void(pid_t)>& halt) {
  Starts out;
  for (int i = 0; i <= runs; i++) {
    int fd = -1;
    auto t0 = Clock::now();
    pid_t pid = launch(&fd);
    if (pid <= 0) break;
    std::string trace;
    bool framed = wait_for(fd, "first frame presented (", 20000, &trace);
    double ms = ms_since(t0);
    halt(pid);
    close(fd);
    if (!framed) {
      printf("  no first frame within 20 s; its output:\n%s\n", trace.c_str());
      break;
    }
    if (i == 0) continue;
    out.ms.push_back(ms);
    out.traces.push_back(trace);
  }
  return out;
}

// "median M ms, range A-B (each start in order)" and the trace of the median start.
static void print_starts(const Starts& s, const char* what, const char* goal) {
  if (s.ms.empty()) {
    printf("  start to first frame (%s): not measured\n", what);
    return;
  }
  std::vector<size_t> order(s.ms.size());
  for (size_t i = 0; i < order.size(); i++) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return s.ms[x] < s.ms[y]; });
  size_t median = order[order.size() / 2];
  printf("  start to first frame (%s), warm, %zu starts: median %.0f ms, range %.0f-%.0f  %s\n    (", what,
         s.ms.size(), s.ms[median], s.ms[order.front()], s.ms[order.back()], goal);
  for (size_t i = 0; i < s.ms.size(); i++) printf("%s%.0f", i ? ", " : "", s.ms[i]);
  printf(")\n");
  // The driver SDL chose, from the first frame's log line: "first frame presented (x11 driver)".
  const std::string& t = s.traces[median];
  size_t at = t.find("first frame presented (");
  std::string driver = at == std::string::npos ? "" : t.substr(at + 23, t.find(')', at) - at - 23);
  printf("    SDL's video driver: %s\n", driver.c_str());
  print_trace(t, what);
}

// Load average and host steal around a measurement, to read the figures against.
static void print_load(const char* when) {
  std::ifstream in("/proc/loadavg");
  std::string load;
  std::getline(in, load);
  printf("  load average %s: %s\n", when, load.c_str());
}

// Start-up on X11 under Xvfb; with idle_seconds, one more start stays up for the memory and
// idle figures.
static void bench_x11(const std::vector<std::string>& base, const std::vector<std::string>& deployed, int runs,
                      int idle_seconds, const std::string& who) {
  const char* display = ":93";
  pid_t xvfb = start_xvfb(93, "1920x1080x24");
  if (xvfb < 0) {
    printf("  X11: Xvfb did not start (is the xvfb package installed?)\n");
    return;
  }
  std::vector<std::string> args = base;
  args.insert(args.end(), {"--windowed", "1920x1080", "--trace-startup"});
  args.insert(args.end(), deployed.begin(), deployed.end());
  print_load("before the X11 starts");
  Starts starts = measure_starts(runs, [&](int* fd) { return spawn(args, fd, display); }, stop);
  print_starts(starts, (who + "X11/Xvfb, 1920x1080").c_str(), who.empty() ? "(goal <= 150)" : "");
  if (idle_seconds > 0) {
    int fd = -1;
    pid_t pid = spawn(args, &fd, display);
    if (wait_for(fd, "first frame presented (", 20000)) {
      usleep(2000 * 1000);  // let start-up work finish before measuring idle
      long rss = proc_kb(pid, "status", "VmRSS:");
      // PSS shares each page among the processes mapping it (Chromium's is often quoted as PSS);
      // here the X server maps the same Mesa and LLVM libraries for its own GLX.
      long pss = proc_kb(pid, "smaps_rollup", "Pss:");
      pid_t uploader = first_child(pid);
      long up_rss = uploader > 0 ? proc_kb(uploader, "status", "VmRSS:") : -1;
      long up_pss = uploader > 0 ? proc_kb(uploader, "smaps_rollup", "Pss:") : -1;
      double c0 = cpu_seconds(pid), u0 = uploader > 0 ? cpu_seconds(uploader) : 0;
      auto i0 = Clock::now();
      std::this_thread::sleep_for(std::chrono::seconds(idle_seconds));
      double cpu = (cpu_seconds(pid) - c0) / (ms_since(i0) / 1000.0) * 100.0;
      double up_cpu = uploader > 0 ? (cpu_seconds(uploader) - u0) / (ms_since(i0) / 1000.0) * 100.0 : 0;
      // /proc counts kB of 1024 bytes: MiB, with SI megabytes beside them.
      printf("  resident memory after start (RSS)           %8.1f MiB  (%.1f MB; goal <= 120)\n", rss / 1024.0, rss * 1.024 / 1000.0);
      printf("  proportional set size after start (PSS)     %8.1f MiB  (%.1f MB)\n", pss / 1024.0, pss * 1.024 / 1000.0);
      printf("  idle CPU on home, %2d s (X11/Xvfb)            %8.3f %%    (goal <= 0.2 of one core)\n", idle_seconds, cpu);
      if (up_rss > 0)
        printf("  its uploader process: RSS %.1f MiB, PSS %.1f MiB, idle CPU %.3f %%\n", up_rss / 1024.0,
               up_pss / 1024.0, up_cpu);
    } else {
      printf("  X11: the kiosk did not present a frame within 20 s\n");
    }
    stop(pid);
    close(fd);
  }
  kill(xvfb, SIGTERM);
  waitpid(xvfb, nullptr, 0);
}

// Start-up on Wayland under cage, the appliance's compositor, on wlroots' headless backend with
// its software renderer: first the kiosk alone against a running cage (as the X11 figure is
// against a running Xvfb), then the unit's command line, cage -s -- sportello, from cage's start
// (what `systemctl start` waits for, less systemd itself). cage refuses to run as root, so under
// root both run as the user nobody, as the unit runs them as the user sportello.
static void bench_cage(const std::vector<std::string>& base, int runs, const std::string& who) {
  if (access("/usr/bin/cage", X_OK) != 0 || access("/usr/bin/Xwayland", X_OK) != 0) {
    printf("  cage: not measured (cage or Xwayland is not installed)\n");
    return;
  }
  int uid = geteuid() == 0 ? 65534 : -1;
  std::string dir = harness::temp_dir("bench-cage");
  std::filesystem::create_directories(dir + "/cache");
  // The kiosk's own outbox (its user must write it); the uploader is not started: no hub here.
  std::vector<std::string> args = base;
  args.insert(args.end(), {"--trace-startup", "--outbox-db", dir + "/outbox.db", "--ref-prefix", "BK"});
  std::vector<std::string> env = {"PATH=/usr/bin:/bin", "HOME=" + dir, "XDG_CACHE_HOME=" + dir + "/cache"};
  // The bench's own SDL, Mesa and llvmpipe settings reach the kiosk here as on X11 (where the
  // kiosk inherits the environment), to compare one setting against none.
  for (char** e = environ; *e; e++)
    for (const char* prefix : {"SDL_", "MESA_", "LP_", "GALLIUM_", "LIBGL_"})
      if (!strncmp(*e, prefix, strlen(prefix))) env.push_back(*e);
  std::vector<std::string> wlr = {"WLR_BACKENDS=headless", "WLR_LIBINPUT_NO_DEVICES=1", "WLR_RENDERER=pixman",
                                  "WLR_HEADLESS_OUTPUTS=1"};
  int run_count = 0;
  // A fresh runtime directory for each compositor: XDG_RUNTIME_DIR is its user's, mode 0700.
  auto runtime = [&] {
    std::string rt = dir + "/runtime-" + std::to_string(run_count++);
    std::filesystem::create_directories(rt);
    chmod(rt.c_str(), 0700);
    return rt;
  };
  if (uid >= 0) {
    std::string chown = "chown -R 65534:65534 " + dir;
    if (system(chown.c_str()) != 0) printf("  cage: cannot give %s to the user nobody\n", dir.c_str());
  }
  auto own = [&](const std::string& path) {
    if (uid >= 0 && chown(path.c_str(), (uid_t)uid, (gid_t)uid) != 0) printf("  cage: cannot chown %s\n", path.c_str());
  };

  // The compositor runs a client that never draws, so it stays up between the kiosk's starts.
  std::string rt = runtime();
  own(rt);
  std::vector<std::string> cenv = env;
  cenv.insert(cenv.end(), wlr.begin(), wlr.end());
  cenv.push_back("XDG_RUNTIME_DIR=" + rt);
  pid_t cage = spawn_as({"/usr/bin/cage", "-s", "--", "/bin/sleep", "3600"}, cenv, uid, nullptr);
  auto t_c = Clock::now();
  while (access((rt + "/wayland-0").c_str(), F_OK) != 0 && ms_since(t_c) < 10000) usleep(20000);
  if (access((rt + "/wayland-0").c_str(), F_OK) == 0) {
    std::vector<std::string> kenv = env;
    kenv.insert(kenv.end(), {"XDG_RUNTIME_DIR=" + rt, "WAYLAND_DISPLAY=wayland-0"});
    print_load("before the cage starts");
    Starts starts = measure_starts(runs, [&](int* fd) { return spawn_as(args, kenv, uid, fd); }, stop_group);
    print_starts(starts, (who + "Wayland/cage, headless 1920x1080").c_str(), who.empty() ? "(goal <= 150)" : "");
  } else {
    printf("  cage: the compositor did not start\n");
  }
  stop_group(cage);

  // The unit's command line: compositor and kiosk, from cage's start to the kiosk's first frame,
  // with the unit's environment (cage gives its client WAYLAND_DISPLAY, and DISPLAY for Xwayland).
  std::vector<std::string> unit = {"/usr/bin/cage", "-s", "--"};
  unit.insert(unit.end(), args.begin(), args.end());
  Starts whole = measure_starts(
      runs,
      [&](int* fd) {
        std::string r = runtime();
        own(r);
        std::vector<std::string> uenv = cenv;
        uenv.back() = "XDG_RUNTIME_DIR=" + r;
        return spawn_as(unit, uenv, uid, fd);
      },
      stop_group);
  print_starts(whole, (who + "cage -s -- sportello, from cage's start").c_str(), "");
  std::string cleanup = "rm -rf " + dir;
  if (system(cleanup.c_str()) != 0) printf("  cage: cannot remove %s\n", dir.c_str());
}

int main(int argc, char** argv) {
  int idle_seconds = 30, runs = 7;
  bool only_start = false;
  std::string content, kiosk = SPORTELLO_KIOSK_BIN;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--only-start")) only_start = true;
    else if (i + 1 >= argc) break;
    else if (!strcmp(argv[i], "--idle-seconds")) idle_seconds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--start-runs")) runs = std::max(1, atoi(argv[++i]));
    else if (!strcmp(argv[i], "--content")) content = argv[++i];
    else if (!strcmp(argv[i], "--kiosk")) kiosk = argv[++i];
  }
  if (content.empty() && access(SPORTELLO_DEMO_PACK, R_OK) == 0) content = SPORTELLO_DEMO_PACK;
  std::vector<std::string> base = {kiosk};
  if (!content.empty()) base.insert(base.end(), {"--content", content});
  printf("bench-kiosk: %s\n", content.empty() ? "no content pack (UI strings from locales/)" : content.c_str());

  // As deployed: an outbox and a hub, so the kiosk starts its uploader process.
  harness::Hub hub;
  hub.ref_prefix = "BK";  // the prefix the bench's kiosk makes its codes with
  std::vector<std::string> deployed;
  if (hub.start("bench-kiosk-hub")) {
    harness::write_file(hub.dir + "/token", hub.token + "\n");
    deployed = {"--outbox-db", hub.dir + "/outbox.db", "--ref-prefix", "BK", "--hub-url", hub.url(), "--kiosk-id",
                "GR-01", "--hub-token-file", hub.dir + "/token", "--hub-public-key", hub.public_key};
  } else {
    printf("  (the hub did not start: measuring the kiosk without an outbox)\n");
  }

  // X11 under Xvfb: the driver that can sleep in SDL_WaitEventTimeout.
  bench_x11(base, deployed, runs, only_start ? 0 : idle_seconds, "");
  bench_cage(base, runs, "");
  // The same starts of a program that only opens the window and presents one cleared frame: what
  // the system (SDL, Mesa, the display server) takes before any frame at all, on this machine.
  const std::vector<std::string> floor = {SPORTELLO_FLOOR_BIN};
  bench_x11(floor, {}, runs, 0, "floor, bare window, ");
  bench_cage(floor, runs, "floor, bare window, ");
  print_load("after the starts");
  if (only_start) return 0;

  // The offscreen driver cannot sleep in SDL_WaitEventTimeout (SDL polls it every millisecond):
  // measure what that costs, for the README's table of drivers.
  {
    std::vector<std::string> args = base;
    args.insert(args.end(), {"--windowed", "1920x1080", "--trace-startup"});
    int fd = -1;
    pid_t pid = spawn(args, &fd, nullptr, "offscreen");
    std::string trace;
    if (wait_for(fd, "first frame presented (", 20000, &trace)) {
      print_trace(trace, "offscreen driver");
      usleep(1000 * 1000);
      double c0 = cpu_seconds(pid);
      auto i0 = Clock::now();
      std::this_thread::sleep_for(std::chrono::seconds(5));
      printf("  idle CPU on home, 5 s (offscreen driver)        %8.3f %%    (SDL polls this driver)\n",
             (cpu_seconds(pid) - c0) / (ms_since(i0) / 1000.0) * 100.0);
    }
    stop(pid);
    close(fd);
  }

  // Scrolling a long Arabic page, offscreen: frame times measured inside the kiosk. Without a pack
  // there is nothing to scroll at 1920x1080 (the 18 languages fit on one screen).
  if (content.empty()) {
    printf("  scroll: needs a content pack (--content PACK; ./dev bench builds %s)\n", SPORTELLO_DEMO_PACK);
    return 0;
  }
  char dir[] = "/tmp/bench-kiosk-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  std::string d = dir;
  std::ofstream script(d + "/scroll.txt");
  script << "tap home.start\ntap lang.ar\ntap welcome.start\ntap topic.permits\ntap proc.permit-renewal\n";
  for (int i = 0; i < 20; i++) script << "drag 960 900 960 300 250\nwait 400\ndrag 960 300 960 900 250\nwait 400\n";
  script.close();
  std::vector<std::string> args = base;
  args.insert(args.end(), {"--headless", "--size", "1920x1080", "--script", d + "/scroll.txt", "--out", d,
                           "--frame-stats", d + "/frames.txt"});
  int fd = -1;
  CpuTicks before = cpu_ticks();
  pid_t pid = spawn(args, &fd, nullptr);
  int status = 0;
  wait_for(fd, "\x01never", 120000);  // drain stderr until exit
  waitpid(pid, &status, 0);
  double steal = steal_percent(before, cpu_ticks());
  std::ifstream frames(d + "/frames.txt");
  std::vector<double> times;
  std::string line;
  while (std::getline(frames, line)) times.push_back(atof(line.c_str()));  // "ms end_ms" a line
  if (times.size() > 10) {
    std::sort(times.begin(), times.end());
    printf("  frame time while scrolling (offscreen, llvmpipe) p50 %5.2f ms  p99 %5.2f ms  over %zu frames  (goal p99 <= 16)\n",
           times[times.size() / 2], times[times.size() * 99 / 100], times.size());
    printf("    meanwhile the host took %.1f %% of this machine's CPU time (steal)\n", steal);
  } else {
    printf("  scroll: no frame statistics (exit status %d)\n", WEXITSTATUS(status));
  }
  std::string cleanup = "rm -rf " + d;
  return system(cleanup.c_str()) == 0 ? 0 : 1;
}
