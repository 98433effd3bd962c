// The state directory without a network: what select_installed() picks when files rot or lie,
// roll_back(), the install steps one by one, the Watcher, and the JSON of Config and Status.
#include "update_test.h"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace update_test;

// Installs a release the way a poll does, minus the download: part -> targets/ -> envelopes.
static void place(const std::string& dir, const Release& r) {
  std::string error;
  REQUIRE(update::ensure_layout(dir, &error));
  std::ofstream(update::part_path(dir, r.sha256), std::ios::binary) << r.pack;
  REQUIRE(update::install_target(dir, r.sha256, &error));
  REQUIRE(update::install_envelope(dir, r.envelope, false, &error));
}

static void flip_byte(const std::string& path, off_t at) {
  int fd = open(path.c_str(), O_RDWR);   // root writes through 0444
  REQUIRE(fd >= 0);
  char c;
  REQUIRE(pread(fd, &c, 1, at) == 1);
  c ^= 0x01;
  REQUIRE(pwrite(fd, &c, 1, at) == 1);
  close(fd);
}

struct TwoReleases {
  release::SecretKey key = release::SecretKey::generate();
  release::Trust trust = trust_of({&key});
  TempDir dir;
  Release v1 = make_release(1, pack_bytes(4096, 1), {&key});
  Release v2 = make_release(2, pack_bytes(5000, 2), {&key});
  TwoReleases() {
    place(dir.path, v1);
    place(dir.path, v2);
  }
};

TEST_CASE("select_installed returns the current release when its pack is intact", "[update][state]") {
  TwoReleases t;
  update::Installed in = update::select_installed(t.dir.path, t.trust);
  REQUIRE(in.ok);
  CHECK(in.version == 2);
  CHECK(in.sha256 == t.v2.sha256);
  CHECK(in.pack_path == update::target_path(t.dir.path, t.v2.sha256));
  CHECK_FALSE(in.from_previous);
  CHECK(in.map_path.empty());
}

TEST_CASE("select_installed falls back to the previous release when the current pack rotted", "[update][state]") {
  TwoReleases t;
  std::string pack = update::target_path(t.dir.path, t.v2.sha256);
  SECTION("one flipped byte") { flip_byte(pack, 1234); }
  SECTION("truncated") { REQUIRE(truncate(pack.c_str(), 100) == 0); }
  SECTION("missing") { REQUIRE(unlink(pack.c_str()) == 0); }
  update::Installed in = update::select_installed(t.dir.path, t.trust);
  REQUIRE(in.ok);
  CHECK(in.version == 1);
  CHECK(in.from_previous);
  CHECK(in.sha256 == t.v1.sha256);
  CHECK(in.error.find("current.json") != std::string::npos);
}

TEST_CASE("select_installed refuses a current.json signed by a key it does not trust", "[update][state]") {
  TwoReleases t;
  release::SecretKey stranger = release::SecretKey::generate();
  Release forged = make_release(3, pack_bytes(3000, 3), {&stranger});
  place(t.dir.path, forged);   // previous := v2, current := the forged one
  update::Installed in = update::select_installed(t.dir.path, t.trust);
  REQUIRE(in.ok);
  CHECK(in.version == 2);
  CHECK(in.from_previous);
}

TEST_CASE("select_installed with nothing installed says why", "[update][state]") {
  release::SecretKey key = release::SecretKey::generate();
  TempDir dir;
  update::Installed in = update::select_installed(dir.path, trust_of({&key}));
  CHECK_FALSE(in.ok);
  CHECK(in.pack_path.empty());
  CHECK(in.error.find("current.json is missing") != std::string::npos);
}

TEST_CASE("roll_back marks the release bad and makes the previous one current", "[update][state]") {
  TwoReleases t;
  std::string error;
  REQUIRE(update::roll_back(t.dir.path, 2, "the pack does not open", &error));
  update::Installed in = update::select_installed(t.dir.path, t.trust);
  REQUIRE(in.ok);
  CHECK(in.version == 1);
  CHECK_FALSE(in.from_previous);   // previous.json became current.json
  update::BadRelease bad;
  REQUIRE(update::read_bad(t.dir.path, &bad));
  CHECK(bad.version == 2);
  CHECK(bad.sha256 == t.v2.sha256);
  CHECK(bad.why == "the pack does not open");
  // Nothing left to go back to.
  CHECK_FALSE(update::roll_back(t.dir.path, 1, "also broken", &error));
  CHECK(error.find("no previous") != std::string::npos);
}

TEST_CASE("every step of an install leaves a consistent state directory", "[update][state]") {
  release::SecretKey key = release::SecretKey::generate();
  release::Trust trust = trust_of({&key});
  TempDir dir;
  Release v1 = make_release(1, pack_bytes(4096, 1), {&key});
  Release v2 = make_release(2, pack_bytes(8192, 2), {&key});
  place(dir.path, v1);
  std::string error;
  auto version = [&] {
    update::Installed in = update::select_installed(dir.path, trust);
    return in.ok ? in.version : -1;
  };
  // A half-written download and the finished part: nothing changes.
  std::ofstream(update::part_path(dir.path, v2.sha256), std::ios::binary) << v2.pack.substr(0, 100);
  CHECK(version() == 1);
  std::ofstream(update::part_path(dir.path, v2.sha256), std::ios::binary) << v2.pack;
  CHECK(version() == 1);
  // The target in place, read-only: still the old release.
  REQUIRE(update::install_target(dir.path, v2.sha256, &error));
  CHECK(version() == 1);
  struct stat st;
  REQUIRE(stat(update::target_path(dir.path, v2.sha256).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0444);
  CHECK_FALSE(exists(update::part_path(dir.path, v2.sha256)));
  // The envelopes: previous then current.
  REQUIRE(update::install_envelope(dir.path, v2.envelope, false, &error));
  CHECK(version() == 2);
  std::string previous;
  REQUIRE(update::read_file(dir.file("previous.json"), &previous, 1 << 16, &error));
  CHECK(previous == v1.envelope);
  // Garbage collection keeps what the two envelopes name, and drops the rest.
  Release v0 = make_release(3, pack_bytes(100, 9), {&key});
  std::ofstream(update::target_path(dir.path, v0.sha256)) << v0.pack;
  std::ofstream(update::part_path(dir.path, v0.sha256)) << "x";
  update::collect_garbage(dir.path, trust, {});
  CHECK(exists(update::target_path(dir.path, v1.sha256)));
  CHECK(exists(update::target_path(dir.path, v2.sha256)));
  CHECK_FALSE(exists(update::target_path(dir.path, v0.sha256)));
  CHECK(part_files(dir.path) == 0);
  CHECK(version() == 2);
}

TEST_CASE("the Watcher fires when an install replaces current.json", "[update][watcher]") {
  release::SecretKey key = release::SecretKey::generate();
  TempDir dir;
  Signal fired;
  update::Watcher watcher(dir.path, [&] { fired.notify(); });
  REQUIRE(watcher.ok());
  CHECK(watcher.error().empty());
  // Files other than current.json do not wake the screen.
  std::string error;
  REQUIRE(update::write_file_durable(dir.file("bad.json"), "{}", &error));
  place(dir.path, make_release(1, pack_bytes(1000, 1), {&key}));
  REQUIRE(fired.wait_for_count(1, 5000));
  place(dir.path, make_release(2, pack_bytes(1000, 2), {&key}));
  REQUIRE(fired.wait_for_count(2, 5000));
  REQUIRE(update::roll_back(dir.path, 2, "test", &error));
  CHECK(fired.wait_for_count(3, 5000));
}

TEST_CASE("Config and Status survive their JSON", "[update][json]") {
  release::SecretKey a = release::SecretKey::generate(), b = release::SecretKey::generate();
  update::Config c;
  c.state_dir = "/var/lib/sportello/content";
  c.hub_url = "https://hub.example.org";
  c.token = "t0k";
  c.targets_url = "http://mirror.example.org/sportello";
  c.trust = trust_of({&a, &b}, 2);
  c.base_version = 4;
  c.poll_interval_ms = 1234;
  c.low_speed_time_s = 7;
  update::Config back;
  std::string error;
  REQUIRE(update::config_from_json(update::config_to_json(c), &back, &error));
  CHECK(back.state_dir == c.state_dir);
  CHECK(back.hub_url == c.hub_url);
  CHECK(back.token == c.token);
  CHECK(back.targets_url == c.targets_url);
  REQUIRE(back.trust.keys.size() == 2);
  CHECK(back.trust.keys[1].id() == b.public_key().id());
  CHECK(back.trust.threshold == 2);
  CHECK(back.base_version == 4);
  CHECK(back.poll_interval_ms == 1234);
  CHECK(back.low_speed_time_s == 7);
  CHECK_FALSE(update::config_from_json("{\"state_dir\":\"/x\",\"trust_keys\":[\"nope\"]}", &back, &error));
  CHECK_FALSE(update::config_from_json("<html>", &back, &error));

  update::Status s;
  s.state = "downloading";
  s.installed_version = 3;
  s.offered_version = 4;
  s.last_check = 1800000000;
  s.last_error = "manifest refused: expired";
  s.last_refusal = "expired";
  s.downloaded = 10;
  s.total = 20;
  update::Status t;
  REQUIRE(update::status_from_json(update::status_to_json(s), &t));
  CHECK(t.state == "downloading");
  CHECK(t.installed_version == 3);
  CHECK(t.offered_version == 4);
  CHECK(t.last_check == 1800000000);
  CHECK(t.last_error == s.last_error);
  CHECK(t.last_refusal == "expired");
  CHECK(t.downloaded == 10);
  CHECK(t.total == 20);
  CHECK_FALSE(update::status_from_json("[1]", &t));
  CHECK_FALSE(update::status_from_json("{\"installed_version\":\"x\"}", &t));
}
