// A full disk: the state directory on a 3 MB tmpfs mounted by the test. A target bigger than the
// free space is refused before a byte is written; a disk that fills up during the download
// (another writer) ends the poll with ENOSPC. Either way the old content stays, the status says
// "disk_full" and no .part is left behind. Needs root for mount(8); skipped with a warning otherwise.
#include "update_test.h"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

using namespace update_test;

namespace {

struct Tmpfs {
  std::string path, why;
  explicit Tmpfs(const std::string& dir) {
    std::string error;
    if (!update::make_dir(dir, &error)) {
      why = error;
      return;
    }
    if (mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=3m") != 0) {
      why = std::string("mount -t tmpfs: ") + strerror(errno);
      return;
    }
    path = dir;
  }
  ~Tmpfs() {
    if (!path.empty()) umount2(path.c_str(), MNT_DETACH);
  }
};

// Fills the file system holding `dir` until a write fails.
void fill(const std::string& dir) {
  int fd = open((dir + "/filler").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  std::string block(65536, 'f');
  while (write(fd, block.data(), block.size()) > 0) {
  }
  std::string one(1, 'f');
  while (write(fd, one.data(), 1) > 0) {
  }
  close(fd);
}

}  // namespace

TEST_CASE("a full disk keeps the old content and says disk_full", "[update][disk]") {
  TempDir dir;
  Tmpfs fs(dir.file("small"));
  if (fs.path.empty()) {
    WARN("full-disk test skipped: cannot mount a tmpfs (" << fs.why << ")");
    return;
  }
  release::SecretKey key = release::SecretKey::generate();
  ReleaseServer server;
  update::Config cfg = config_for(server, fs.path + "/state", trust_of({&key}));
  serve(server, make_release(1, pack_bytes(100000, 1), {&key}));
  REQUIRE(update::check_once(cfg).installed_version == 1);
  server.clear_seen();

  SECTION("a target bigger than the free space is refused before the download") {
    serve(server, make_release(2, pack_bytes(5 << 20, 2), {&key}));
    update::Status s = update::check_once(cfg);
    CHECK(s.last_refusal == "disk_full");
    CHECK(s.last_error.find("free space") != std::string::npos);
    CHECK(server.count("/api/v1/content/targets/") == 0);
    CHECK(part_files(cfg.state_dir) == 0);
    CHECK(update::select_installed(cfg.state_dir, cfg.trust).version == 1);
  }
  SECTION("a disk that fills up during the download") {
    Release v2 = make_release(2, pack_bytes(2 << 20, 2), {&key});
    serve(server, v2);
    server.set_midway_hook(512 << 10, [&] { fill(fs.path); });   // someone else takes the space
    update::Status s = update::check_once(cfg);
    CHECK(s.last_refusal == "disk_full");
    CHECK(s.last_error.find("No space left") != std::string::npos);
    CHECK(server.count("/api/v1/content/targets/") == 1);
    CHECK(part_files(cfg.state_dir) == 0);
    CHECK(update::select_installed(cfg.state_dir, cfg.trust).version == 1);
    // With the space back, the next poll installs it.
    unlink((fs.path + "/filler").c_str());
    CHECK(update::check_once(cfg).installed_version == 2);
    CHECK(update::select_installed(cfg.state_dir, cfg.trust).version == 2);
  }
}
