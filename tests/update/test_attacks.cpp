// The updater against a hostile server: every attack of the list is refused, the content already
// installed stays what select_installed() returns, and the status says why. Real libcurl, real
// files, a real socket on loopback.
#include "update_test.h"

#include <catch2/catch.hpp>

using namespace update_test;

namespace {

// A kiosk with release 1 installed from the server.
struct Kiosk {
  release::SecretKey key = release::SecretKey::generate();
  release::Trust trust = trust_of({&key});
  ReleaseServer server;
  TempDir dir;
  update::Config cfg;
  Release v1 = make_release(1, pack_bytes(20000, 1), {&key});

  Kiosk() {
    REQUIRE(server.ok());
    cfg = config_for(server, dir.file("state"), trust);
    serve(server, v1);
    update::Status s = update::check_once(cfg);
    REQUIRE(s.last_error.empty());
    REQUIRE(s.installed_version == 1);
    server.clear_seen();
  }
  int64_t installed() {
    update::Installed in = update::select_installed(cfg.state_dir, cfg.trust);
    return in.ok ? in.version : -1;
  }
  // One poll that must be refused with `code`; the kiosk still runs release 1.
  update::Status refused(const std::string& code) {
    update::Status s = update::check_once(cfg);
    INFO("last_error: " << s.last_error);
    CHECK(s.last_refusal == code);
    CHECK_FALSE(s.last_error.empty());
    CHECK(s.state == "error");
    CHECK(s.installed_version == 1);
    CHECK(installed() == 1);
    return s;
  }
};

}  // namespace

TEST_CASE("a release with tampered pack bytes is refused", "[update][attack]") {
  Kiosk k;
  Release v2 = make_release(2, pack_bytes(20000, 2), {&k.key});
  std::string tampered = v2.pack;
  tampered[777] ^= 0x20;
  k.server.add_target(v2.sha256, tampered);
  k.server.set_manifest(v2.envelope);
  k.refused("hash_mismatch");
  CHECK(part_files(k.cfg.state_dir) == 0);
  CHECK_FALSE(exists(update::target_path(k.cfg.state_dir, v2.sha256)));
}

TEST_CASE("a release signed by an untrusted key is refused", "[update][attack]") {
  Kiosk k;
  release::SecretKey stranger = release::SecretKey::generate();
  serve(k.server, make_release(2, pack_bytes(20000, 2), {&stranger}));
  k.refused(release::refusal_code(release::Refusal::UnknownKey));
  CHECK(k.server.count("/api/v1/content/targets/") == 0);   // not a byte fetched before the signature
}

TEST_CASE("an unsigned release is refused", "[update][attack]") {
  Kiosk k;
  Release v2 = make_release(2, pack_bytes(20000, 2), {&k.key});
  nlohmann::json env = nlohmann::json::parse(v2.envelope);
  env["signatures"] = nlohmann::json::array();
  k.server.add_target(v2.sha256, v2.pack);
  k.server.set_manifest(env.dump());
  k.refused(release::refusal_code(release::Refusal::Unsigned));
}

TEST_CASE("a release with too few signatures is refused (threshold 2)", "[update][attack]") {
  release::SecretKey a = release::SecretKey::generate(), b = release::SecretKey::generate();
  ReleaseServer server;
  TempDir dir;
  update::Config cfg = config_for(server, dir.file("state"), trust_of({&a, &b}, 2));
  serve(server, make_release(1, pack_bytes(1000, 1), {&a, &b}));
  REQUIRE(update::check_once(cfg).installed_version == 1);
  serve(server, make_release(2, pack_bytes(1000, 2), {&a}));
  update::Status s = update::check_once(cfg);
  CHECK(s.last_refusal == release::refusal_code(release::Refusal::TooFewSignatures));
  CHECK_FALSE(s.last_error.empty());
  CHECK(update::select_installed(cfg.state_dir, cfg.trust).version == 1);
}

TEST_CASE("a validly signed older release replayed is refused (rollback)", "[update][attack]") {
  Kiosk k;
  Release v3 = make_release(3, pack_bytes(20000, 3), {&k.key});
  serve(k.server, v3);
  REQUIRE(update::check_once(k.cfg).installed_version == 3);
  serve(k.server, make_release(2, pack_bytes(20000, 2), {&k.key}));
  update::Status s = update::check_once(k.cfg);
  CHECK(s.last_refusal == "rollback");
  CHECK(s.last_error.find("not newer") != std::string::npos);
  CHECK(update::select_installed(k.cfg.state_dir, k.cfg.trust).version == 3);
  // The operator's own pack is a floor too.
  k.cfg.base_version = 5;
  serve(k.server, make_release(4, pack_bytes(20000, 4), {&k.key}));
  CHECK(update::check_once(k.cfg).last_refusal == "rollback");
  // The operator's own version offered back is nothing to do, not an attack.
  serve(k.server, make_release(5, pack_bytes(20000, 5), {&k.key}));
  update::Status same = update::check_once(k.cfg);
  CHECK(same.last_refusal.empty());
  CHECK(same.last_error.empty());
  CHECK(update::select_installed(k.cfg.state_dir, k.cfg.trust).version == 3);
}

TEST_CASE("an expired manifest is refused (freeze)", "[update][attack]") {
  Kiosk k;
  serve(k.server, make_release(2, pack_bytes(20000, 2), {&k.key}, -60));
  update::Status s = k.refused("expired");
  CHECK(s.last_error.find("expired") != std::string::npos);
  // The same release as installed, replayed after its expiry, is a freeze too: reported.
  update::Config later = k.cfg;
  later.wall_s = [] { return now_s() + 60 * 86400; };
  serve(k.server, k.v1);
  CHECK(update::check_once(later).last_refusal == "expired");
}

TEST_CASE("the manifest of one pack with the bytes of another is refused (mix-and-match)", "[update][attack]") {
  Kiosk k;
  Release v2 = make_release(2, pack_bytes(30000, 2), {&k.key});
  k.server.add_target(v2.sha256, v2.pack);
  k.server.set_manifest(v2.envelope);
  k.server.set_target_mode(TargetMode::Swap);
  k.server.set_swap(k.v1.sha256);   // the old pack's bytes, smaller, under the new pack's name
  k.refused("hash_mismatch");
  CHECK(part_files(k.cfg.state_dir) == 0);
}

TEST_CASE("an endless download is capped at the manifest's size and refused", "[update][attack]") {
  Kiosk k;
  serve(k.server, make_release(2, pack_bytes(20000, 2), {&k.key}));
  k.server.set_target_mode(TargetMode::Endless);
  k.refused("too_large");
  CHECK(part_files(k.cfg.state_dir) == 0);
}

TEST_CASE("a manifest larger than the cap is refused unread", "[update][attack]") {
  Kiosk k;
  k.server.set_manifest_mode(ManifestMode::Huge);
  k.refused("too_large");
}

TEST_CASE("a truncated download is resumed with Range by the next poll", "[update][attack]") {
  Kiosk k;
  Release v2 = make_release(2, pack_bytes(50000, 2), {&k.key});
  serve(k.server, v2);
  k.server.set_target_mode(TargetMode::Truncate);
  k.server.set_truncate_at(20000);
  k.refused("download");
  CHECK(update::file_size(update::part_path(k.cfg.state_dir, v2.sha256)) == 20000);
  k.server.set_target_mode(TargetMode::Normal);
  k.server.clear_seen();
  update::Status s = update::check_once(k.cfg);
  CHECK(s.last_error.empty());
  CHECK(s.installed_version == 2);
  CHECK(k.installed() == 2);
  std::vector<std::string> ranges;
  for (const SeenRequest& r : k.server.seen())
    if (r.path.find("/targets/") != std::string::npos) ranges.push_back(r.range);
  REQUIRE(ranges.size() == 1);
  CHECK(ranges[0] == "bytes=20000-");
  CHECK(k.server.count("/api/v1/content/targets/", 206) == 1);
  CHECK(part_files(k.cfg.state_dir) == 0);
}

TEST_CASE("a captive portal's page is refused instead of the pack and instead of the manifest", "[update][attack]") {
  Kiosk k;
  serve(k.server, make_release(2, pack_bytes(20000, 2), {&k.key}));
  k.server.set_target_mode(TargetMode::Html);
  k.refused("hash_mismatch");
  CHECK(part_files(k.cfg.state_dir) == 0);
  k.server.set_target_mode(TargetMode::Normal);
  k.server.set_manifest_mode(ManifestMode::Html);
  k.refused(release::refusal_code(release::Refusal::NotAManifest));
}

TEST_CASE("a target name with ../ is refused by verification", "[update][attack]") {
  Kiosk k;
  std::string pack = pack_bytes(1000, 2), sha = release::sha256_hex(pack);
  nlohmann::json m = {{"format", 1}, {"content_version", 2}, {"created", release::format_utc(now_s() - 60)},
                      {"expires", release::format_utc(now_s() + 86400)},
                      {"targets", {{{"name", "content.pack"}, {"sha256", sha}, {"size", pack.size()}},
                                   {{"name", "../../etc/cron.d/evil"}, {"sha256", sha}, {"size", pack.size()}}}}};
  k.server.add_target(sha, pack);
  k.server.set_manifest(envelope_of(m.dump(), {&k.key}));
  k.refused(release::refusal_code(release::Refusal::BadManifest));
  CHECK(k.server.count("/api/v1/content/targets/") == 0);
}

TEST_CASE("a server dripping a byte a second is abandoned, and the download resumes later", "[update][attack]") {
  Kiosk k;
  Release v2 = make_release(2, pack_bytes(20000, 2), {&k.key});
  serve(k.server, v2);
  k.server.set_target_mode(TargetMode::Drip);
  k.cfg.low_speed_time_s = 2;
  k.refused("download");
  int64_t kept = update::file_size(update::part_path(k.cfg.state_dir, v2.sha256));
  CHECK(kept >= 1);
  CHECK(kept < 20000);
  k.server.set_target_mode(TargetMode::Normal);
  k.server.clear_seen();
  update::Status s = update::check_once(k.cfg);
  CHECK(s.last_error.empty());
  CHECK(k.installed() == 2);
  bool resumed = false;
  for (const SeenRequest& r : k.server.seen())
    if (r.path.find("/targets/") != std::string::npos) resumed = r.range == "bytes=" + std::to_string(kept) + "-";
  CHECK(resumed);
}

TEST_CASE("an unchanged poll is a 304 and changes nothing", "[update][attack]") {
  Kiosk k;
  update::Status s = update::check_once(k.cfg);
  CHECK(s.last_error.empty());
  CHECK(s.installed_version == 1);
  CHECK(s.offered_version == 1);
  CHECK(s.last_install == 0);   // nothing installed by this poll
  CHECK(k.server.count("/api/v1/content/manifest", 304) == 1);
  CHECK(k.server.count("/api/v1/content/targets/") == 0);
  std::vector<SeenRequest> seen = k.server.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].authorization == "Bearer kiosk-token-test");
  CHECK_FALSE(seen[0].if_none_match.empty());
  CHECK(k.installed() == 1);
}

TEST_CASE("a mirror gets the targets without the token, the hub's errors are reported", "[update][attack]") {
  Kiosk k;
  Release v2 = make_release(2, pack_bytes(20000, 2), {&k.key});
  serve(k.server, v2);
  k.cfg.targets_url = k.server.url() + "/mirror";
  REQUIRE(update::check_once(k.cfg).installed_version == 2);
  for (const SeenRequest& r : k.server.seen())
    if (r.path.rfind("/mirror/", 0) == 0) CHECK(r.authorization.empty());
  CHECK(k.server.count("/mirror/" + v2.sha256, 200) == 1);
  k.server.set_manifest_mode(ManifestMode::Status500);
  update::Status s = update::check_once(k.cfg);
  CHECK(s.last_refusal == "http_500");
  CHECK(update::select_installed(k.cfg.state_dir, k.cfg.trust).version == 2);
}

TEST_CASE("a release that failed on this kiosk is not installed again", "[update][attack]") {
  Kiosk k;
  Release v2 = make_release(2, pack_bytes(20000, 2), {&k.key});
  serve(k.server, v2);
  REQUIRE(update::check_once(k.cfg).installed_version == 2);
  std::string error;
  REQUIRE(update::roll_back(k.cfg.state_dir, 2, "the pack does not open", &error));
  CHECK(k.installed() == 1);
  k.refused("known_bad");
}

TEST_CASE("an Updater polls soon after start, on check_now, and stops promptly mid-download", "[update][updater]") {
  Kiosk k;
  k.cfg.poll_interval_ms = 3600 * 1000;   // only the first poll and check_now() can install
  Release v2 = make_release(2, pack_bytes(20000, 2), {&k.key});
  serve(k.server, v2);
  update::Updater up(k.cfg);
  std::string error;
  REQUIRE(up.start(&error));
  REQUIRE(wait_until([&] { return up.status().installed_version == 2; }, 10000));
  CHECK(up.status().last_install > 0);
  // A second updater on the same state directory is refused while a poll holds the lock; not
  // testable without a poll in flight, so: a slow download, then the second one, then stop().
  Release v3 = make_release(3, pack_bytes(200000, 3), {&k.key});
  serve(k.server, v3);
  k.server.set_rate(20000);   // ten seconds for the pack
  up.check_now();
  REQUIRE(wait_until([&] { return up.status().state == "downloading" && up.status().downloaded > 0; }, 10000));
  update::Updater second(k.cfg);
  CHECK_FALSE(second.start(&error));
  CHECK(error.find("another updater") != std::string::npos);
  up.stop();
  // Prompt means mid-transfer: a stop that waited for the download would have installed v3.
  CHECK(k.installed() == 2);
  uint64_t part = update::file_size(update::part_path(k.cfg.state_dir, v3.sha256));
  CHECK(part > 0);                          // kept for the resume
  CHECK(part < v3.pack.size());
}
