// kill -9 of update-tool at seeded random moments while it downloads and installs a ~2 MB pack
// served slowly: after every kill the state directory opens the old release or the new one (hash
// verified by select_installed), never a broken one, and an uninterrupted poll then completes the
// update. UPDATE_CRASH_SEED and UPDATE_CRASH_ROUNDS override the seed and the round count.
#include "update_test.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <fcntl.h>
#include <random>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

using namespace update_test;

static pid_t spawn_tool(const std::string& config_path, const std::string& log) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  std::string bin = UPDATE_TOOL_BIN;
  char* argv[] = {bin.data(), (char*)"check", (char*)config_path.c_str(), nullptr};
  pid_t pid = -1;
  if (posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv, environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

TEST_CASE("kill -9 during download and install leaves the old or the new release, never a broken one",
          "[update][crash]") {
  uint64_t seed = getenv("UPDATE_CRASH_SEED") ? strtoull(getenv("UPDATE_CRASH_SEED"), nullptr, 10)
                                              : std::random_device{}();
  int rounds = getenv("UPDATE_CRASH_ROUNDS") ? atoi(getenv("UPDATE_CRASH_ROUNDS")) : 200;
  printf("test-update-crash: seed %llu (UPDATE_CRASH_SEED), %d rounds\n", (unsigned long long)seed, rounds);
  fflush(stdout);
  std::mt19937_64 rng(seed);

  release::SecretKey key = release::SecretKey::generate();
  ReleaseServer server;
  REQUIRE(server.ok());
  TempDir dir;
  update::Config cfg = config_for(server, dir.file("state"), trust_of({&key}));
  std::string config_path = dir.file("update.json"), error;
  REQUIRE(update::write_file_durable(config_path, update::config_to_json(cfg), &error));
  std::string log = dir.file("update-tool.log");

  constexpr size_t kPackBytes = 2 << 20;
  Release current = make_release(1, pack_bytes(kPackBytes, 1), {&key});
  serve(server, current);
  REQUIRE(update::check_once(cfg).installed_version == 1);

  // How long one uninterrupted update takes on this machine (a loaded machine is slower): the
  // kills are spread over that much and a little more, so they land before, during and after.
  Release first = make_release(2, pack_bytes(kPackBytes, 1000), {&key});
  serve(server, first);
  server.set_rate(20 << 20);   // ~100 ms for the pack on an idle machine
  auto t0 = std::chrono::steady_clock::now();
  pid_t measured = spawn_tool(config_path, log);
  REQUIRE(measured > 0);
  int measured_status = 0;
  REQUIRE(waitpid(measured, &measured_status, 0) == measured);
  int update_us = (int)std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(update::select_installed(cfg.state_dir, cfg.trust).version == 2);
  current = first;
  printf("test-update-crash: one update takes %d ms here; kills spread over %d ms\n", update_us / 1000,
         update_us * 6 / 5000);

  // Where the kills landed, judged from what they left behind.
  int before_download = 0, in_download = 0, in_install = 0, after_install = 0;
  std::uniform_int_distribution<int> delay_us(0, update_us * 6 / 5);
  for (int round = 0; round < rounds; round++) {
    Release next = make_release(current.version + 1, pack_bytes(kPackBytes, (uint32_t)round + 2), {&key});
    serve(server, next);
    server.set_rate(20 << 20);
    int us = delay_us(rng);
    pid_t pid = spawn_tool(config_path, log);
    REQUIRE(pid > 0);
    usleep((useconds_t)us);   // the random moment of the crash is the point of this test
    kill(pid, SIGKILL);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);

    update::Installed in = update::select_installed(cfg.state_dir, cfg.trust);
    INFO("round " << round << ", kill after " << us << " us, seed " << seed << ": " << in.error);
    REQUIRE(in.ok);
    REQUIRE((in.version == current.version || in.version == next.version));
    REQUIRE(in.sha256 == (in.version == next.version ? next.sha256 : current.sha256));
    REQUIRE(release::file_matches(in.pack_path, {release::kContentTarget, in.sha256, kPackBytes}, &error));
    if (in.version == next.version) after_install++;
    else if (exists(update::target_path(cfg.state_dir, next.sha256))) in_install++;
    else if (exists(update::part_path(cfg.state_dir, next.sha256))) in_download++;
    else before_download++;

    server.set_rate(0);
    update::Status s = update::check_once(cfg);
    REQUIRE(s.last_error == "");
    REQUIRE(s.installed_version == next.version);
    REQUIRE(update::select_installed(cfg.state_dir, cfg.trust).version == next.version);
    current = next;
  }
  printf("test-update-crash: kills before the download %d, during it %d, during the install %d, after it %d\n",
         before_download, in_download, in_install, after_install);
  CHECK(in_download > 0);
  CHECK(after_install + in_install > 0);
}
