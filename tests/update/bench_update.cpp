// bench-update: figures of the content updater against the test release server on loopback
// (plain HTTP, this machine's disk). Prints
//   - bytes on the wire of an unchanged poll (304) and of a poll that fetches the manifest;
//   - install time of a 50 MB pack: download + verify + install, and the install steps alone;
//   - time from a release appearing to 20 Updaters (threads, each its own state directory,
//     500 ms poll interval with 20 % jitter) all having installed it.
// Usage: bench-update [pack_mb=50] [updaters=20]
#include "platform.h"
#include "update_test.h"

#include <chrono>
#include <cstdio>

using namespace update_test;
using Clock = std::chrono::steady_clock;

static double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

int main(int argc, char** argv) {
  int pack_mb = argc > 1 ? atoi(argv[1]) : 50;
  int updaters = argc > 2 ? atoi(argv[2]) : 20;
  platform::log_set_min_level(platform::LogLevel::Warn);
  release::SecretKey key = release::SecretKey::generate();
  release::Trust trust = trust_of({&key});
  ReleaseServer server;
  if (!server.ok()) return fprintf(stderr, "bench-update: no server\n"), 1;
  TempDir dir;

  // Wire bytes of a poll.
  update::Config cfg = config_for(server, dir.file("wire"), trust);
  serve(server, make_release(1, pack_bytes(4096, 1), {&key}));
  update::WireBytes first, unchanged;
  update::Status s = update::poll_once(cfg, nullptr, {}, nullptr, &first);
  if (s.installed_version != 1) return fprintf(stderr, "bench-update: %s\n", s.last_error.c_str()), 1;
  s = update::poll_once(cfg, nullptr, {}, nullptr, &unchanged);
  printf("bench-update: unchanged poll (304): %llu bytes on the wire (request %llu, answer %llu); a poll that "
         "fetches the manifest: %llu bytes\n",
         (unsigned long long)(unchanged.sent + unchanged.received), (unsigned long long)unchanged.sent,
         (unsigned long long)unchanged.received, (unsigned long long)(first.sent + first.received));

  // A 50 MB pack.
  Release big = make_release(2, pack_bytes((size_t)pack_mb << 20, 2), {&key});
  serve(server, big);
  Clock::time_point t0 = Clock::now();
  s = update::check_once(cfg);
  double full_ms = ms_since(t0);
  if (s.installed_version != 2) return fprintf(stderr, "bench-update: %s\n", s.last_error.c_str()), 1;
  // The install steps alone, from a finished download: hash check, then part -> targets/ and the
  // two envelopes (each with its fsyncs and renames).
  TempDir steps;
  std::string error;
  Release v1 = make_release(1, pack_bytes(4096, 1), {&key});
  update::ensure_layout(steps.path, &error);
  std::ofstream(update::part_path(steps.path, v1.sha256), std::ios::binary) << v1.pack;
  update::install_target(steps.path, v1.sha256, &error);
  update::install_envelope(steps.path, v1.envelope, false, &error);
  std::ofstream(update::part_path(steps.path, big.sha256), std::ios::binary) << big.pack;
  t0 = Clock::now();
  bool ok = release::file_matches(update::part_path(steps.path, big.sha256),
                                  {release::kContentTarget, big.sha256, (uint64_t)big.pack.size()}, &error);
  double verify_ms = ms_since(t0);
  t0 = Clock::now();
  ok = ok && update::install_target(steps.path, big.sha256, &error) &&
       update::install_envelope(steps.path, big.envelope, false, &error);
  double install_ms = ms_since(t0);
  if (!ok) return fprintf(stderr, "bench-update: %s\n", error.c_str()), 1;
  printf("bench-update: %d MB pack: download on loopback + verify + install %.0f ms; verify (SHA-256) alone %.0f ms; "
         "install steps alone (fsync, rename, fsync dir, envelopes) %.1f ms\n",
         pack_mb, full_ms, verify_ms, install_ms);

  // A fleet of updaters.
  Release f1 = make_release(10, pack_bytes(1 << 20, 10), {&key});
  serve(server, f1);
  std::vector<std::unique_ptr<update::Updater>> fleet;
  std::vector<std::unique_ptr<TempDir>> dirs;
  for (int i = 0; i < updaters; i++) {
    dirs.push_back(std::make_unique<TempDir>());
    update::Config c = config_for(server, dirs.back()->path, trust);
    c.poll_interval_ms = 500;
    fleet.push_back(std::make_unique<update::Updater>(c));
    if (!fleet.back()->start(&error)) return fprintf(stderr, "bench-update: %s\n", error.c_str()), 1;
  }
  auto all_at = [&](int64_t version) {
    for (auto& u : fleet)
      if (u->status().installed_version != version) return false;
    return true;
  };
  if (!wait_until([&] { return all_at(10); }, 60000)) return fprintf(stderr, "bench-update: fleet did not start\n"), 1;
  Release f2 = make_release(11, pack_bytes(1 << 20, 11), {&key});
  server.add_target(f2.sha256, f2.pack);
  t0 = Clock::now();
  server.set_manifest(f2.envelope);
  if (!wait_until([&] { return all_at(11); }, 60000)) return fprintf(stderr, "bench-update: fleet did not update\n"), 1;
  double fleet_ms = ms_since(t0);
  printf("bench-update: release of a 1 MB pack appearing -> %d updaters (500 ms poll, 20 %% jitter, one process) "
         "all installed: %.0f ms\n",
         updaters, fleet_ms);
  for (auto& u : fleet) u->stop();
  return 0;
}
