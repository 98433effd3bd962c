// The uploader process (sportello-uploader) that the kiosk starts: delivery to the real hub,
// status queries through it, a restart after it is killed, clear errors when it cannot start,
// and a clean stop when the kiosk's end of the socket closes, which is all a kill -9 of the
// kiosk leaves behind.
#include "outbox_internal.h"
#include "real_hub.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace outbox;
using namespace outbox_test;

extern char** environ;

static std::string enqueue_one(Outbox& box) {
  RequestInput in;
  fill(in, "Amina", "+39 333 1234567");
  EnqueueResult r = box.enqueue(in);
  REQUIRE(r.ok);
  return r.ref;
}

TEST_CASE("the uploader process delivers, answers status queries and is started again when killed",
          "[outbox][process]") {
  harness::Hub hub;
  REQUIRE(hub.start("process-hub"));
  TempDir dir;
  Config c = config_for(hub, dir);
  fast_retries(c);
  c.probe_interval_ms = 60000;   // an idle uploader looks at the queue again only after a minute:
                                 // a delivery within seconds of an enqueue is the wake's doing
  Outbox box = Outbox::open(c);
  REQUIRE(box.ok());
  std::string ref = enqueue_one(box);
  enqueue_one(box);

  UploaderProcess up(c, SPORTELLO_UPLOADER_BIN);
  up.restart_delay_ms = 50;
  std::string error;
  REQUIRE(up.start(&error));
  int first_pid = up.pid();
  REQUIRE(first_pid > 0);
  CHECK(first_pid != getpid());
  REQUIRE(wait_until([&] { return box.status().queue_depth == 0; }, 20000));   // read at start
  CHECK(hub.rows() == 2);
  enqueue_one(box);
  up.wake();
  REQUIRE(wait_until([&] { return box.status().queue_depth == 0; }, 5000));
  CHECK(hub.rows() == 3);
  RemoteStatus s = up.remote_status(ref);
  CHECK(s.ok);
  CHECK(s.found);
  CHECK(s.status == "received");
  CHECK(up.last_error().empty());

  // A crash of the network side: the kiosk's side notices, and a new child takes over.
  REQUIRE(kill(first_pid, SIGKILL) == 0);
  REQUIRE(wait_until([&] { return up.restarts() == 1 && up.pid() > 0; }, 10000));
  CHECK(up.pid() != first_pid);
  enqueue_one(box);
  up.wake();
  REQUIRE(wait_until([&] { return box.status().queue_depth == 0; }, 20000));
  CHECK(hub.rows() == 4);
  CHECK(up.remote_status(ref).found);
}

// No child process of this test is left, running or unreaped.
static bool no_children() { return waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD; }

TEST_CASE("an uploader process that cannot start says why and leaves nothing running", "[outbox][process]") {
  TempDir dir;
  HubKeys keys;
  Config c = make_config(dir, keys, "http://127.0.0.1:9");
  std::string error;
  {
    UploaderProcess missing(c, dir.file("no-such-uploader"));
    CHECK_FALSE(missing.start(&error));
    CHECK_THAT(error, Catch::Contains("cannot start"));
    CHECK(missing.pid() == -1);
    CHECK(missing.last_error() == error);   // what the staff view shows
    CHECK(no_children());
  }
  {
    Config bad = c;
    bad.db_path = dir.file("no-such-dir/outbox.db");   // refused by the child itself
    UploaderProcess refused(bad, SPORTELLO_UPLOADER_BIN);
    error.clear();
    CHECK_FALSE(refused.start(&error));
    CHECK_FALSE(error.empty());
    CHECK(refused.pid() == -1);
    CHECK(no_children());
  }
  {
    Config remote_http = c;
    remote_http.hub_url = "http://hub.example.org";     // refused before any child is spawned
    UploaderProcess insecure(remote_http, SPORTELLO_UPLOADER_BIN);
    error.clear();
    CHECK_FALSE(insecure.start(&error));
    CHECK_THAT(error, Catch::Contains("https"));
  }
}

// Starts sportello-uploader by hand, as UploaderProcess does, and configures it.
struct RawChild {
  pid_t pid = -1;
  int fd = -1;
  RawChild(const Config& c) {
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
    char* argv[] = {(char*)SPORTELLO_UPLOADER_BIN, (char*)"--fd", (char*)"3", nullptr};
    REQUIRE(posix_spawn(&pid, SPORTELLO_UPLOADER_BIN, &fa, nullptr, argv, environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    close(sv[1]);
    fd = sv[0];
    nlohmann::json answer;
    REQUIRE(send_message(fd, {{"op", "config"}, {"config", config_to_json(c)}}, 10000));
    REQUIRE(receive_message(fd, 10000, &answer) == 1);
    REQUIRE(answer.value("ok", false));
  }
  ~RawChild() {
    if (fd >= 0) close(fd);
    if (pid > 0 && waitpid(pid, nullptr, WNOHANG) == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
  // The exit status once the child ended within limit_ms; -1 if it is still running.
  int exit_status(int limit_ms) {
    int status = 0;
    bool ended = wait_until([&] { return waitpid(pid, &status, WNOHANG) == pid; }, limit_ms);
    if (!ended) return -1;
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

TEST_CASE("the uploader process stops cleanly when the kiosk's socket closes or on SIGTERM", "[outbox][process]") {
  TempDir dir;
  HubKeys keys;
  Config c = make_config(dir, keys, "http://127.0.0.1:9");   // nothing listens: it keeps retrying
  fast_retries(c);
  Outbox box = Outbox::open(c);
  REQUIRE(box.ok());
  enqueue_one(box);
  SECTION("the kiosk ended (for the child, a kill -9 of the kiosk is just the socket closing)") {
    RawChild child(c);
    close(child.fd);
    child.fd = -1;
    CHECK(child.exit_status(10000) == 0);
    CHECK(box.status().queue_depth == 1);   // undelivered, still queued for the next start
  }
  SECTION("SIGTERM from systemd") {
    RawChild child(c);
    REQUIRE(kill(child.pid, SIGTERM) == 0);
    CHECK(child.exit_status(10000) == 0);
  }
}
