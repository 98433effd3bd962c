// kill -9 of the real kiosk (sportello, headless) and of its real network process
// (sportello-uploader, which runs the Updater) at seeded random moments while a release from the
// real hub downloads and installs. The hub serves v2 (a content pack and a few MB of map) through
// a throttling relay, so the download lasts long enough to be hit. After every round the state
// directory opens the old release or the new one (select_installed verifies the hash), sampled
// rounds start the kiosk and see that version's text on screen, and a later poll completes the
// update. KIOSK_CRASH_SEED and KIOSK_CRASH_ROUNDS override the seed and the round count.
//
// Index
//   [SECTION] Throttling relay
//   [SECTION] Processes (spawn, find the uploader child, reap)
//   [SECTION] Fleet (keys, packs, releases, the hub)
//   [SECTION] The test
#include "harness.h"
#include "release/release.h"
#include "update_internal.h"   // target_path, part_path: the state directory layout

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

extern char** environ;

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

int64_t ms_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
}

// [SECTION] Throttling relay ------------------------------------------------------------------
// Forwards 127.0.0.1:port() to the hub, the hub's answers at most `rate` bytes a second per
// connection, and counts the requests for target files (the moment a download starts).
class Relay {
public:
  Relay(int hub_port, size_t rate) : hub_port_(hub_port), rate_(rate) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (listen_fd_ < 0 || bind(listen_fd_, (sockaddr*)&a, sizeof a) != 0 || listen(listen_fd_, 16) != 0 ||
        getsockname(listen_fd_, (sockaddr*)&a, &len) != 0)
      return;
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~Relay() {
    stop_.store(true);
    if (acceptor_.joinable()) acceptor_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (std::thread& t : workers_) t.join();
    if (listen_fd_ >= 0) close(listen_fd_);
  }
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;
  int port() const { return port_; }
  int target_requests() const { return target_requests_.load(); }

private:
  void accept_loop() {
    while (!stop_.load()) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      workers_.emplace_back([this, client] { pump(client); });
    }
  }
  static bool send_all(int fd, const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      p += w;
      n -= (size_t)w;
    }
    return true;
  }
  void pump(int client) {
    int hub = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)hub_port_);
    if (hub >= 0 && connect(hub, (sockaddr*)&a, sizeof a) == 0) relay(client, hub);
    if (hub >= 0) close(hub);
    close(client);
  }
  // Requests pass at once; answers are paced to rate_ (a token bucket with no burst).
  void relay(int client, int hub) {
    char buf[8192];
    auto start = Clock::now();
    uint64_t sent = 0;
    while (!stop_.load()) {
      pollfd p[2] = {{client, POLLIN, 0}, {hub, POLLIN, 0}};
      if (poll(p, 2, 50) < 0 && errno != EINTR) return;
      if (p[0].revents) {
        ssize_t n = recv(client, buf, sizeof buf, 0);
        if (n <= 0) return;
        if (std::string_view(buf, (size_t)n).find("GET /api/v1/content/targets/") != std::string_view::npos)
          target_requests_++;
        start = Clock::now();   // each answer paced from its request: an idle keep-alive earns no burst
        sent = 0;
        if (!send_all(hub, buf, (size_t)n)) return;
      }
      if (p[1].revents) {
        ssize_t n = recv(hub, buf, sizeof buf, 0);
        if (n <= 0) return;
        if (!send_all(client, buf, (size_t)n)) return;
        sent += (uint64_t)n;
        // The pace of the answer is the point of the relay: wait until these bytes are due.
        auto due = start + std::chrono::microseconds(sent * 1000000 / rate_);
        while (!stop_.load() && Clock::now() < due) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
  }

  int hub_port_, port_ = 0, listen_fd_ = -1;
  size_t rate_;
  std::atomic<bool> stop_{false};
  std::atomic<int> target_requests_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
};

// [SECTION] Processes ---------------------------------------------------------------------------
// The kiosk itself (no shell between: its pid is the one to kill), headless, with no display.
pid_t spawn_kiosk(const std::string& dir, const std::string& script, const std::vector<std::string>& extra) {
  harness::write_file(dir + "/script.txt", script);
  std::vector<std::string> args = {SPORTELLO_KIOSK_BIN, "--headless", "--size", "1280x800", "--script",
                                   dir + "/script.txt", "--out", dir};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (char** e = environ; *e; e++)
    if (strncmp(*e, "DISPLAY=", 8) != 0 && strncmp(*e, "WAYLAND_DISPLAY=", 16) != 0) envp.push_back(*e);
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, (dir + "/stderr.txt").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data()) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

// Processes named sportello-uploader (the kernel keeps 15 characters) whose parent is `parent`.
std::vector<pid_t> uploaders_of(pid_t parent) {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string stat = harness::read_file(std::string("/proc/") + e->d_name + "/stat");
    size_t open = stat.find('('), close_at = stat.rfind(')');
    if (open == std::string::npos || close_at == std::string::npos || close_at + 4 >= stat.size()) continue;
    std::string comm = stat.substr(open + 1, close_at - open - 1);
    pid_t ppid = (pid_t)atoi(stat.c_str() + close_at + 4);   // ") S PPID"
    if (comm == "sportello-uploa" && ppid == parent) out.push_back((pid_t)atoi(e->d_name));
  }
  closedir(d);
  return out;
}

// True while `pid` (a child of this process) has not ended; never reaps it.
bool running(pid_t pid) {
  siginfo_t info{};
  return waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0;
}

// Reaps the kiosk and every uploader it left (this process is their subreaper), within 10 s.
// True when nothing of the round runs any more.
bool reap_round(pid_t kiosk, int* kiosk_status) {
  auto deadline = Clock::now() + std::chrono::seconds(10);
  bool kiosk_gone = false;
  for (;;) {
    if (!kiosk_gone) kiosk_gone = waitpid(kiosk, kiosk_status, WNOHANG) == kiosk;
    std::vector<pid_t> left = uploaders_of(getpid());
    for (pid_t p : left) waitpid(p, nullptr, WNOHANG);   // a zombie goes; a live one stays listed
    if (kiosk_gone && uploaders_of(getpid()).empty() && uploaders_of(kiosk).empty()) return true;
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// [SECTION] Fleet -------------------------------------------------------------------------------
const char* kTitles[] = {"", "Rinnovo (versione uno)", "Rinnovo (versione due)"};



std::string open_procedure(const std::string& name) {
  return "tap home.start\ntap lang.it\ntap welcome.start\ntap topic.permits\ntap proc.permit-renewal\ndump " + name + "\n";
}

std::string title_of(const nlohmann::json& dump) {
  nlohmann::json t = harness::element(dump, "proc.title");
  return t.is_object() ? t["text"].get<std::string>() : "";
}

// How far the download of v2 had gone, judged from what a kill left in the state directory.
enum Phase { Before, Download, Install, After };
const char* kPhaseNames[] = {"before the download", "during the download", "during the install", "after it"};

Phase phase_of(const std::string& state, int64_t version, const std::vector<release::Target>& targets) {
  if (version == 2) return After;
  int complete = 0;
  bool started = false;
  for (const release::Target& t : targets) {
    std::error_code ec;
    if (fs::exists(update::target_path(state, t.sha256), ec)) {
      complete++;
      started = true;
      continue;
    }
    auto part = fs::file_size(update::part_path(state, t.sha256), ec);
    if (ec) continue;
    started = true;
    if (part == t.size) complete++;   // every byte is here: being verified and moved into place
  }
  if (complete == (int)targets.size()) return Install;
  return started ? Download : Before;
}

// Copies a state directory (the target files are read-only; their copies too).
void copy_state(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::remove_all(to, ec);
  fs::copy(from, to, fs::copy_options::recursive);
}

}  // namespace

// [SECTION] The test ----------------------------------------------------------------------------
TEST_CASE("kill -9 of the kiosk or its network process mid-update leaves the old or the new release on screen",
          "[e2e][update][crash]") {
  uint64_t seed = getenv("KIOSK_CRASH_SEED") ? strtoull(getenv("KIOSK_CRASH_SEED"), nullptr, 10)
                                             : std::random_device{}();
  int rounds = getenv("KIOSK_CRASH_ROUNDS") ? atoi(getenv("KIOSK_CRASH_ROUNDS")) : 25;
  REQUIRE(rounds > 0);
  printf("test-update-kiosk-crash: seed %llu (KIOSK_CRASH_SEED), %d rounds (KIOSK_CRASH_ROUNDS)\n",
         (unsigned long long)seed, rounds);
  fflush(stdout);
  std::mt19937_64 rng(seed);
  // Uploaders orphaned by a killed kiosk become this process's children, so they can be reaped.
  REQUIRE(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  signal(SIGPIPE, SIG_IGN);

  // Keys, the hub, and releases v1 (the pack) and v2 (the pack and a map) made and published
  // with the real sportello-admin.
  std::string dir = harness::temp_dir("kiosk-crash");
  REQUIRE(harness::admin(dir, {"keygen", "--out", dir + "/keys", "--no-passphrase"}) == 0);
  std::string public_key = harness::last_line(harness::read_file(dir + "/keys/release.pub"));
  release::Trust trust;
  trust.keys.resize(1);
  std::string error;
  REQUIRE(release::parse_public_key(public_key, &trust.keys[0], &error));
  harness::Hub hub;
  hub.release_keys = {public_key};
  REQUIRE(hub.start("kiosk-crash-hub"));
  std::string token_file = dir + "/kiosk.token", admin_token_file = dir + "/admin.token";
  harness::write_file(token_file, hub.token + "\n");
  harness::write_file(admin_token_file, hub.admin_token + "\n");
  auto publish = [&](const std::vector<std::string>& release_args, const std::string& out) {
    std::vector<std::string> args = {"release"};
    args.insert(args.end(), release_args.begin(), release_args.end());
    args.insert(args.end(), {"--key", dir + "/keys/release.key", "--out", out});
    return harness::admin(dir, args) == 0 && harness::admin(dir, {"publish", "--hub", hub.url(), "--admin-token", admin_token_file, out}) == 0;
  };
  std::string v1 = harness::build_demo_pack(dir, 1, kTitles[1]), v2 = harness::build_demo_pack(dir, 2, kTitles[2]);
  REQUIRE((!v1.empty() && !v2.empty()));
  std::string map = dir + "/map.mbtiles";
  {
    std::string bytes(4 << 20, '\0');
    for (char& c : bytes) c = (char)(rng() & 0xff);
    harness::write_file(map, bytes);
  }
  bool published = publish({"--pack", v1}, dir + "/release-v1");
  INFO(harness::read_file(dir + "/admin.log"));
  REQUIRE(published);

  // The state every fresh round starts from: v1 installed by a poll of the hub.
  update::Config direct;
  direct.state_dir = dir + "/template";
  direct.hub_url = hub.url();
  direct.token = hub.token;
  direct.trust = trust;
  REQUIRE(update::check_once(direct).installed_version == 1);
  published = publish({"--pack", v2, "--map", map}, dir + "/release-v2");
  INFO(harness::read_file(dir + "/admin.log"));
  REQUIRE(published);
  std::vector<release::Target> v2_targets = {
      {release::kContentTarget, release::sha256_hex(harness::read_file(v2)), fs::file_size(v2)},
      {release::kMapTarget, release::sha256_hex(harness::read_file(map)), fs::file_size(map)}};

  constexpr size_t kRate = 8 << 20;   // bytes a second: the ~7 MB of v2 take about a second
  Relay relay(std::stoi(hub.server.port), kRate);
  REQUIRE(relay.port() > 0);
  std::string relay_url = "http://127.0.0.1:" + std::to_string(relay.port());
  auto kiosk_args = [&](const std::string& round_dir, const std::string& state) {
    return std::vector<std::string>{"--outbox-db", round_dir + "/outbox.db", "--hub-url", relay_url, "--kiosk-id",
                                    "GR-01", "--ref-prefix", "GR1", "--hub-token-file", token_file,
                                    "--hub-public-key", hub.public_key, "--state-dir", state, "--release-key",
                                    public_key, "--update-interval", "60"};
  };
  const std::string awaiting = "await-content 2 120000\n";

  // The window, measured once: an uninterrupted kiosk from the v1 state until v2 is installed.
  int64_t window_get_ms = 0, window_done_ms = 0;
  {
    std::string round_dir = harness::temp_dir("kiosk-crash-window"), state = round_dir + "/state";
    copy_state(direct.state_dir, state);
    struct stat before{};
    REQUIRE(stat((state + "/current.json").c_str(), &before) == 0);
    int gets = relay.target_requests();
    auto t0 = Clock::now();
    pid_t pid = spawn_kiosk(round_dir, awaiting, kiosk_args(round_dir, state));
    REQUIRE(pid > 0);
    // Watches for the first target request and for current.json being replaced (a new inode).
    auto deadline = t0 + std::chrono::seconds(60);
    while ((window_get_ms == 0 || window_done_ms == 0) && Clock::now() < deadline) {
      if (window_get_ms == 0 && relay.target_requests() > gets) window_get_ms = ms_since(t0);
      struct stat now{};
      if (window_done_ms == 0 && stat((state + "/current.json").c_str(), &now) == 0 && now.st_ino != before.st_ino)
        window_done_ms = ms_since(t0);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    int status = 0;
    bool reaped = reap_round(pid, &status);
    INFO(harness::read_file(round_dir + "/stderr.txt"));
    REQUIRE(reaped);
    REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    REQUIRE(window_get_ms > 0);
    REQUIRE(window_done_ms > window_get_ms);
    REQUIRE(update::select_installed(state, trust).version == 2);
    std::error_code ec;
    fs::remove_all(round_dir, ec);
  }
  printf("test-update-kiosk-crash: an uninterrupted kiosk asks for the first target %lld ms after it starts and "
         "has v2 installed at %lld ms\n", (long long)window_get_ms, (long long)window_done_ms);
  fflush(stdout);

  // Kill moments: one round in five before the download (start-up, the manifest), the others at a
  // random point of the measured download+install window, counted from the first target request.
  std::uniform_int_distribution<int64_t> early_ms(0, window_get_ms);
  std::uniform_int_distribution<int64_t> window_ms(0, (window_done_ms - window_get_ms) * 5 / 4);
  enum Victim { Kiosk, Uploader, Both };
  const char* kVictims[] = {"the kiosk", "its uploader", "both"};
  int phases[4] = {0, 0, 0, 0}, victims[3] = {0, 0, 0}, resumed_rounds = 0, shown = 0;
  std::string round_dir, state;
  bool carry = false;   // this round starts from the state the last kill left (a resumed download)
  auto rounds_start = Clock::now();
  for (int round = 0; round < rounds; round++) {
    bool early = rng() % 5 == 0;
    int64_t delay = early ? early_ms(rng) : window_ms(rng);
    Victim victim = (Victim)(rng() % 3);
    if (!carry) {
      std::error_code ec;
      if (!round_dir.empty()) fs::remove_all(round_dir, ec);   // a few MB a round: 200 rounds add up
      round_dir = harness::temp_dir("kiosk-crash-round");
      state = round_dir + "/state";
      copy_state(direct.state_dir, state);
    } else {
      resumed_rounds++;
    }
    INFO("round " << round << " (seed " << seed << "): " << kVictims[victim] << " killed " << delay << " ms after "
                  << (early ? "start" : "the first target request") << (carry ? ", resuming the last round's download" : "")
                  << "; state " << state);
    int gets = relay.target_requests();
    pid_t kiosk = spawn_kiosk(round_dir, awaiting, kiosk_args(round_dir, state));
    REQUIRE(kiosk > 0);
    auto t0 = Clock::now();
    bool asked = early;
    if (!early) {   // bounded: a kiosk that never asks fails the round once it is killed
      auto deadline = t0 + std::chrono::seconds(30);
      while (relay.target_requests() == gets && Clock::now() < deadline && running(kiosk))
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      asked = relay.target_requests() > gets;
      t0 = Clock::now();
    }
    // The random moment of the crash is the point of this test.
    std::this_thread::sleep_until(t0 + std::chrono::milliseconds(delay));
    std::vector<pid_t> children = uploaders_of(kiosk);
    if (victim == Uploader && children.empty()) victim = Kiosk;   // not started yet, or restarting
    victims[victim]++;
    if (victim != Kiosk) {
      for (pid_t child : children) kill(child, SIGKILL);
      // The kiosk reaps its child; it is then killed before it starts another (2 s later).
      auto deadline = Clock::now() + std::chrono::seconds(1);
      while (victim == Uploader && !uploaders_of(kiosk).empty() && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    kill(kiosk, SIGKILL);
    int status = 0;
    bool reaped = reap_round(kiosk, &status);
    INFO(harness::read_file(round_dir + "/stderr.txt"));
    REQUIRE(reaped);
    if (WIFEXITED(status)) REQUIRE(WEXITSTATUS(status) == 0);   // done before the kill: v2 on screen
    REQUIRE(asked);

    // The old release or the new one, complete and verified; never a mix, never nothing.
    update::Installed in = update::select_installed(state, trust);
    INFO(in.error);
    REQUIRE(in.ok);
    REQUIRE((in.version == 1 || in.version == 2));
    REQUIRE(!in.from_previous);
    REQUIRE(in.sha256 == release::sha256_hex(harness::read_file(in.version == 1 ? v1 : v2)));
    REQUIRE(release::file_matches(in.pack_path, {release::kContentTarget, in.sha256, fs::file_size(in.pack_path)}, &error));
    if (in.version == 2) {
      REQUIRE(in.map_path == update::target_path(state, v2_targets[1].sha256));
      REQUIRE(release::file_matches(in.map_path, v2_targets[1], &error));
    }
    Phase phase = phase_of(state, in.version, v2_targets);
    phases[phase]++;

    // The kiosk opens that very release and shows its text (not the waiting screen).
    if (round % 10 == 9 || round == rounds - 1) {
      shown++;
      harness::Run run = harness::run_kiosk("dump home\n" + open_procedure("proc"), {"--state-dir", state, "--release-key", public_key});
      INFO(run.stderr_text);
      REQUIRE(run.exit_code == 0);
      nlohmann::json home = harness::load_dump(run, "home");
      CHECK(home["screen"] == "home");
      CHECK(home["content_version"] == in.version);
      CHECK(title_of(harness::load_dump(run, "proc")) == kTitles[in.version]);
    }

    // A later poll completes the update from what the kill left. When the kill left a partial
    // download, one round in two leaves it to the next kiosk instead, which resumes it and is
    // killed in turn.
    carry = phase == Download && round < rounds - 1 && rng() % 2 == 0;
    if (!carry && round < rounds - 1) {
      update::Config cfg = direct;
      cfg.state_dir = state;
      update::Status s = update::check_once(cfg);
      INFO(s.last_error);
      REQUIRE(s.last_error == "");
      REQUIRE(s.installed_version == 2);
      update::Installed now = update::select_installed(state, trust);
      REQUIRE(now.version == 2);
      REQUIRE(now.map_path == update::target_path(state, v2_targets[1].sha256));
    }
  }
  printf("test-update-kiosk-crash: %d rounds in %lld s, killed: the kiosk %d, its uploader %d, both %d; %d rounds resumed a "
         "killed download; the kiosk shown after %d of them\n",
         rounds, (long long)ms_since(rounds_start) / 1000, victims[Kiosk], victims[Uploader], victims[Both], resumed_rounds, shown);
  printf("test-update-kiosk-crash: kills %s %d, %s %d, %s %d, %s %d\n", kPhaseNames[Before], phases[Before],
         kPhaseNames[Download], phases[Download], kPhaseNames[Install], phases[Install], kPhaseNames[After],
         phases[After]);
  fflush(stdout);

  // At the end an uninterrupted kiosk completes the update (from the last round's state when the
  // last kill left v1, else from a fresh v1) and shows v2.
  if (update::select_installed(state, trust).version == 2) {
    round_dir = harness::temp_dir("kiosk-crash-final");
    state = round_dir + "/state";
    copy_state(direct.state_dir, state);
  }
  harness::Run final_run = harness::run_kiosk(awaiting + "dump home\n" + open_procedure("proc"), kiosk_args(round_dir, state));
  INFO(final_run.stderr_text);
  REQUIRE(final_run.exit_code == 0);
  CHECK(harness::load_dump(final_run, "home")["content_version"] == 2);
  CHECK(title_of(harness::load_dump(final_run, "proc")) == kTitles[2]);
  CHECK(update::select_installed(state, trust).version == 2);
  CHECK(phases[Download] > 0);
}
