// The offline map ships as its own target of a signed release, so a text fix never downloads the
// map again: releases made and published with the real sportello-admin to the real hub on
// loopback, polled by the real Updater, which fetches the target files from a plain mirror (any
// HTTP server holding <sha256> files, README "Content updates") that counts what it served.
#include "harness.h"
#include "release/release.h"
#include "release_server.h"
#include "update.h"
#include "update_internal.h"   // target_path: where the state directory keeps a target

#include <catch2/catch.hpp>

#include <filesystem>
#include <random>
#include <sys/stat.h>

namespace fs = std::filesystem;

TEST_CASE("a release with only the text changed downloads the pack, not the map again", "[e2e][update][map]") {
  std::string dir = harness::temp_dir("update-map");
  REQUIRE(harness::admin(dir, {"keygen", "--out", dir + "/keys", "--no-passphrase"}) == 0);
  std::string public_key = harness::last_line(harness::read_file(dir + "/keys/release.pub"));
  release::Trust trust;
  trust.keys.resize(1);
  std::string error;
  REQUIRE(release::parse_public_key(public_key, &trust.keys[0], &error));
  harness::Hub hub;
  hub.release_keys = {public_key};
  REQUIRE(hub.start("update-map-hub"));
  std::string admin_token_file = dir + "/admin.token";
  harness::write_file(admin_token_file, hub.admin_token + "\n");
  auto publish = [&](const std::string& pack, const std::string& map, const std::string& out) {
    bool ok = harness::admin(dir, {"release", "--pack", pack, "--map", map, "--key", dir + "/keys/release.key", "--out", out}) == 0 &&
              harness::admin(dir, {"publish", "--hub", hub.url(), "--admin-token", admin_token_file, out}) == 0;
    INFO(harness::read_file(dir + "/admin.log"));
    REQUIRE(ok);
  };

  // v1: the pack and a 2 MB map; v2: the same map, the pack with one title fixed.
  std::string v1 = harness::build_demo_pack(dir, 1), v2 = harness::build_demo_pack(dir, 2, "Rinnovo del permesso (testo corretto)");
  REQUIRE((!v1.empty() && !v2.empty()));
  std::string map = dir + "/map.mbtiles", map_bytes(2 << 20, '\0');
  std::mt19937 rng(7);
  for (char& c : map_bytes) c = (char)(rng() & 0xff);
  harness::write_file(map, map_bytes);
  std::string map_sha = release::sha256_hex(map_bytes);
  std::string pack1_sha = release::sha256_hex(harness::read_file(v1)), pack2_sha = release::sha256_hex(harness::read_file(v2));
  REQUIRE(pack1_sha != pack2_sha);

  update_test::ReleaseServer mirror;
  REQUIRE(mirror.ok());
  for (const std::string& f : {v1, v2, map}) {
    std::string bytes = harness::read_file(f);
    mirror.add_target(release::sha256_hex(bytes), bytes);
  }
  update::Config cfg;
  cfg.state_dir = dir + "/state";
  cfg.hub_url = hub.url();
  cfg.token = hub.token;
  cfg.targets_url = mirror.url() + "/mirror";
  cfg.trust = trust;

  publish(v1, map, dir + "/release-v1");
  update::Status s = update::check_once(cfg);
  INFO(s.last_error);
  REQUIRE(s.installed_version == 1);
  CHECK(mirror.count("/mirror/" + map_sha, 200) == 1);
  CHECK(mirror.count("/mirror/" + pack1_sha, 200) == 1);
  update::Installed in = update::select_installed(cfg.state_dir, trust);
  REQUIRE(in.ok);
  // Where the kiosk finds the map: the map target's file in the state directory, named by its hash.
  CHECK(in.map_path == update::target_path(cfg.state_dir, map_sha));
  CHECK(harness::read_file(in.map_path) == map_bytes);
  struct stat before{};
  REQUIRE(stat(in.map_path.c_str(), &before) == 0);

  publish(v2, map, dir + "/release-v2");
  s = update::check_once(cfg);
  INFO(s.last_error);
  REQUIRE(s.installed_version == 2);
  CHECK(mirror.count("/mirror/" + pack2_sha, 200) == 1);
  CHECK(mirror.count("/mirror/" + map_sha) == 1);   // not asked for again, not even a Range
  in = update::select_installed(cfg.state_dir, trust);
  REQUIRE(in.ok);
  CHECK(in.version == 2);
  CHECK(in.sha256 == pack2_sha);
  CHECK(in.map_path == update::target_path(cfg.state_dir, map_sha));
  struct stat after{};
  REQUIRE(stat(in.map_path.c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino);   // the very file v1 installed
  CHECK(after.st_mtime == before.st_mtime);
  // The old pack went with v1's envelope once v2 and v1 (previous) are what the state keeps.
  CHECK(fs::exists(update::target_path(cfg.state_dir, pack1_sha)));   // previous.json still names it
}
