// bench-update: figures of the content updater against the real hub on loopback (plain HTTP,
// this machine's disk), printed, never asserted. The releases are published the way an admin's
// CLI does: PUT each target, POST the signed envelope, POST its rollout to every kiosk.
//   wire     bytes of an unchanged poll (If-None-Match -> 304) and of a poll that fetches the
//            manifest, counted by libcurl (CURLINFO_REQUEST_SIZE for the request; HEADER_SIZE +
//            SIZE_DOWNLOAD_T for the answer): HTTP bytes, without TCP/IP framing
//   install  a 50 MB pack: one whole poll (manifest, download on loopback, verify, install), then
//            the install steps alone on a finished download (SHA-256 check; fsync, rename, fsync)
//   fleet    rollout returned -> 20 Updaters (threads in this process, each its own state directory
//            and its own kiosk token, 500 ms poll +/- 20 %) all installed the new release
// Usage: bench-update [pack_mb=50] [updaters=20] [poll_ms=500]
#include "harness.h"
#include "platform.h"
#include "release_util.h"
#include "update_test.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

using namespace update_test;
using Clock = std::chrono::steady_clock;

static double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// Uploads the target, publishes the release and rolls it out to every kiosk; "" or what failed.
static std::string publish(const harness::Hub& hub, const Release& r) {
  relt::Reply put = relt::put_target(hub, r.pack);
  if (put.status / 100 != 2) return "PUT target: HTTP " + std::to_string(put.status) + " " + put.body;
  relt::Reply pub = relt::publish(hub, r.envelope);
  if (pub.status != 201) return "publish: HTTP " + std::to_string(pub.status) + " " + pub.body;
  relt::Reply out = relt::roll_out(hub, r.version, "{\"all\":true}");
  if (out.status != 200) return "rollout: HTTP " + std::to_string(out.status) + " " + out.body;
  return "";
}

static update::Config config_for(const harness::Hub& hub, const std::string& state, const std::string& token,
                                 const release::Trust& trust) {
  update::Config c;
  c.state_dir = state;
  c.hub_url = hub.url();
  c.token = token;
  c.trust = trust;
  c.connect_timeout_ms = 2000;
  c.free_space_margin = 0;
  return c;
}

static int fail(const std::string& what) {
  fprintf(stderr, "bench-update: %s\n", what.c_str());
  return 1;
}

int main(int argc, char** argv) {
  int pack_mb = argc > 1 ? atoi(argv[1]) : 50;
  int updaters = argc > 2 ? atoi(argv[2]) : 20;
  int poll_ms = argc > 3 ? atoi(argv[3]) : 500;
  platform::log_set_min_level(platform::LogLevel::Warn);
  release::SecretKey key = release::SecretKey::generate();
  release::Trust trust = trust_of({&key});
  harness::Hub hub;
  hub.release_keys = {key.public_key().base64()};
  if (!hub.start("bench-update-hub")) return fail("the hub did not start");
  TempDir dir;
  std::string error;

  // [wire] A first poll installs v1; the next one finds nothing new.
  update::Config cfg = config_for(hub, dir.file("wire"), hub.token, trust);
  Release v1 = make_release(1, pack_bytes(4096, 1), {&key});
  if (!(error = publish(hub, v1)).empty()) return fail(error);
  update::WireBytes first, unchanged;
  update::Status s = update::poll_once(cfg, nullptr, {}, nullptr, &first);
  if (s.installed_version != 1) return fail("v1: " + s.last_error);
  s = update::poll_once(cfg, nullptr, s, nullptr, &unchanged);
  if (!s.last_error.empty()) return fail("unchanged poll: " + s.last_error);
  printf("bench-update: against the real sportello-hub on loopback (HTTP bytes as libcurl counts them: "
         "request line + headers sent, status line + headers + body received; no TCP/IP framing)\n");
  printf("  unchanged poll (If-None-Match -> 304)      %6llu bytes on the wire (request %llu, answer %llu)\n",
         (unsigned long long)(unchanged.sent + unchanged.received), (unsigned long long)unchanged.sent,
         (unsigned long long)unchanged.received);
  printf("  a poll that fetches the manifest (200)     %6llu bytes (request %llu, answer %llu)\n",
         (unsigned long long)(first.sent + first.received), (unsigned long long)first.sent,
         (unsigned long long)first.received);

  // [install] A 50 MB pack from the hub: one whole poll.
  Release big = make_release(2, pack_bytes((size_t)pack_mb << 20, 2), {&key});
  if (!(error = publish(hub, big)).empty()) return fail(error);
  Clock::time_point t0 = Clock::now();
  s = update::check_once(cfg);
  double full_ms = ms_since(t0);
  if (s.installed_version != 2) return fail("v2: " + s.last_error);
  // The install steps alone, from a finished download in another state directory: the hash check,
  // then part -> targets/ and the two envelopes (each with its fsyncs and renames).
  TempDir steps;
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
  if (!ok) return fail(error);
  printf("  %d MB pack, one poll: manifest + download from the hub + verify + install   %6.0f ms\n", pack_mb, full_ms);
  printf("    of which, measured apart on a finished download: verify (SHA-256) %.0f ms, "
         "install steps (fsync, rename, fsync dir, envelopes) %.1f ms\n", verify_ms, install_ms);

  // [fleet] 20 updaters, each a kiosk of the hub with its own token, all on v3; then v4.
  Release f1 = make_release(3, pack_bytes(1 << 20, 3), {&key});
  if (!(error = publish(hub, f1)).empty()) return fail(error);
  std::vector<std::unique_ptr<update::Updater>> fleet;
  std::vector<std::unique_ptr<TempDir>> dirs;
  for (int i = 0; i < updaters; i++) {
    char id[32];
    snprintf(id, sizeof id, "BENCH-%02d", i + 1);
    std::string token = hub.add_kiosk(id);
    if (token.empty()) return fail(std::string("add-kiosk ") + id);
    dirs.push_back(std::make_unique<TempDir>());
    update::Config c = config_for(hub, dirs.back()->path, token, trust);
    c.poll_interval_ms = (uint64_t)poll_ms;
    fleet.push_back(std::make_unique<update::Updater>(c));
    if (!fleet.back()->start(&error)) return fail(error);
  }
  auto all_at = [&](int64_t version) {
    for (auto& u : fleet)
      if (u->status().installed_version != version) return false;
    return true;
  };
  if (!wait_until([&] { return all_at(3); }, 60000)) return fail("the fleet did not install v3");
  Release f2 = make_release(4, pack_bytes(1 << 20, 4), {&key});
  relt::put_target(hub, f2.pack);
  relt::publish(hub, f2.envelope);
  t0 = Clock::now();
  relt::Reply out = relt::roll_out(hub, f2.version, "{\"all\":true}");
  double rollout_ms = ms_since(t0);
  if (out.status != 200) return fail("rollout v4: HTTP " + std::to_string(out.status));
  t0 = Clock::now();
  // Checked every 5 ms (wait_until), so the figure is at most 5 ms late.
  if (!wait_until([&] { return all_at(4); }, 60000)) return fail("the fleet did not install v4");
  double fleet_ms = ms_since(t0);
  printf("  rollout returned -> %d updaters all installed a 1 MB release   %6.0f ms   (poll every %d ms +/- 20 %%: "
         "the figure is mostly the wait for the next poll; rollout call %.0f ms)\n",
         updaters, fleet_ms, poll_ms, rollout_ms);
  for (auto& u : fleet) u->stop();
  return 0;
}
