// The kiosk's side of the uploader process: spawn `sportello-uploader`, hand it the configuration
// over a socketpair, pass wake / status / snapshot messages, start it again when it dies.
//
// Index
//   [SECTION] Messages
//   [SECTION] Configuration on the wire
//   [SECTION] Spawning and supervision
//   [SECTION] Public functions
//
// Messages are JSON objects, one per SOCK_SEQPACKET datagram (the kernel keeps the boundaries):
//   kiosk -> child   {"op":"config","config":{...}}   first, once; answer {"ok":bool,"error":"..."}
//                    {"op":"wake"}                    no answer
//                    {"op":"status","ref":"GR1-..."}  answer {"ok","found","status","error"}
//                    {"op":"snapshot"}                answer {"last_error":"..."}
//                    {"op":"reach"}                   answer {"ok":bool,"error":"..."}: the hub connects
//                    {"op":"check"}                   no answer: check for new content now
//                    {"op":"update_status"}           answer update::status_to_json()'s object,
//                                                     {} when the child runs no content updates
//                    {"op":"running","version":N}     no answer: the screen now runs content N
//                                                     (the heartbeat's content_version)
// Requests and their answers are serialized by one mutex, so an answer always belongs to the
// request just sent. A child that does not answer in time is killed and started again.
#include "outbox_internal.h"

#include "platform.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <condition_variable>
#include <fcntl.h>
#include <mutex>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace outbox {

// [SECTION] Messages --------------------------------------------------------------------------
bool send_message(int fd, const nlohmann::json& message, int timeout_ms) {
  std::string text;
  try {   // bytes that are not UTF-8 (a token file in Latin-1) are replaced, never thrown
    text = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const nlohmann::json::exception&) {
    return false;
  }
  if (text.size() > kMaxMessageBytes) return false;
  // A peer that stopped reading fills the socket: wait for room at most timeout_ms, never forever.
  pollfd p = {fd, POLLOUT, 0};
  int ready;
  do ready = poll(&p, 1, timeout_ms);
  while (ready < 0 && errno == EINTR);
  if (ready <= 0) return false;
  ssize_t n;
  do n = send(fd, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  return n == (ssize_t)text.size();
}

int receive_message(int fd, int timeout_ms, nlohmann::json* message) {
  pollfd p = {fd, POLLIN, 0};
  int ready;
  do ready = poll(&p, 1, timeout_ms);
  while (ready < 0 && errno == EINTR);
  if (ready == 0) return 0;
  if (ready < 0) return -1;
  std::string buffer(kMaxMessageBytes, '\0');
  ssize_t n;
  do n = recv(fd, buffer.data(), buffer.size(), 0);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return -1;   // 0: the other side closed the socket
  *message = nlohmann::json::parse(buffer.begin(), buffer.begin() + n, nullptr, false);
  return message->is_object() ? 1 : -1;
}

// A field of an answer, or `fallback` when absent or of another type (never throws).
template <typename T>
static T field(const nlohmann::json& answer, const char* name, T fallback) {
  auto it = answer.find(name);
  if (it == answer.end()) return fallback;
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    return fallback;
  }
}

// [SECTION] Configuration on the wire ---------------------------------------------------------
// Every field but the injectable clocks and random source, which a child cannot share.
nlohmann::json config_to_json(const Config& c) {
  return {{"db_path", c.db_path}, {"hub_url", c.hub_url}, {"kiosk_id", c.kiosk_id}, {"ref_prefix", c.ref_prefix},
          {"token", c.token}, {"hub_public_key_b64", c.hub_public_key_b64}, {"ca_file", c.ca_file},
          {"pinned_public_key", c.pinned_public_key}, {"app_version", c.app_version},
          {"content_version", c.content_version}, {"connect_timeout_ms", c.connect_timeout_ms},
          {"transfer_timeout_ms", c.transfer_timeout_ms}, {"low_speed_limit_bytes", c.low_speed_limit_bytes},
          {"low_speed_time_s", c.low_speed_time_s}, {"status_timeout_ms", c.status_timeout_ms},
          {"backoff_base_ms", c.backoff_base_ms}, {"backoff_cap_ms", c.backoff_cap_ms},
          {"probe_interval_ms", c.probe_interval_ms}, {"heartbeat_interval_ms", c.heartbeat_interval_ms},
          {"checkpoint_batch", c.checkpoint_batch}, {"update_config", c.update_config}};
}

bool config_from_json(const nlohmann::json& j, Config* c, std::string* error) {
  if (!j.is_object()) {
    *error = "the configuration is not an object";
    return false;
  }
  auto field = [&](const char* name, auto* out) {
    auto it = j.find(name);
    if (it == j.end()) return true;   // absent: the default
    try {
      *out = it->get<std::remove_pointer_t<decltype(out)>>();
      return true;
    } catch (const nlohmann::json::exception&) {
      *error = std::string("configuration field ") + name + " has the wrong type";
      return false;
    }
  };
  return field("db_path", &c->db_path) && field("hub_url", &c->hub_url) && field("kiosk_id", &c->kiosk_id) &&
         field("ref_prefix", &c->ref_prefix) && field("token", &c->token) &&
         field("hub_public_key_b64", &c->hub_public_key_b64) && field("ca_file", &c->ca_file) &&
         field("pinned_public_key", &c->pinned_public_key) && field("app_version", &c->app_version) &&
         field("content_version", &c->content_version) && field("connect_timeout_ms", &c->connect_timeout_ms) &&
         field("transfer_timeout_ms", &c->transfer_timeout_ms) &&
         field("low_speed_limit_bytes", &c->low_speed_limit_bytes) && field("low_speed_time_s", &c->low_speed_time_s) &&
         field("status_timeout_ms", &c->status_timeout_ms) && field("backoff_base_ms", &c->backoff_base_ms) &&
         field("backoff_cap_ms", &c->backoff_cap_ms) && field("probe_interval_ms", &c->probe_interval_ms) &&
         field("heartbeat_interval_ms", &c->heartbeat_interval_ms) && field("checkpoint_batch", &c->checkpoint_batch) &&
         field("update_config", &c->update_config);
}

// [SECTION] Spawning and supervision ----------------------------------------------------------
struct UploaderProcess::Impl {
  Config config;
  std::string program;
  uint64_t restart_delay_ms = 2000;
  mutable std::mutex mu;               // guards everything below; held for a whole request
  std::condition_variable cv;
  int fd = -1;                         // our end of the socketpair, -1 when no child runs
  pid_t pid = -1;
  bool stopping = false;
  std::string start_error;             // why the last start or restart failed, for the staff view
  uint64_t restarts = 0;
  std::thread supervisor;              // waits for the child; starts the next one
};

// Spawns the child with its end of a socketpair as fd 3 and sends the configuration. Called with
// mu held. On failure nothing is left running.
static bool spawn(UploaderProcess::Impl& u, std::string* error) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    *error = std::string("socketpair: ") + strerror(errno);
    return false;
  }
  int child_end = sv[1];
  if (child_end == 3) {   // dup2(3, 3) would keep close-on-exec set
    child_end = fcntl(sv[1], F_DUPFD_CLOEXEC, 4);
    close(sv[1]);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, child_end, 3);
  std::string fd_arg = "3";
  char* argv[] = {u.program.data(), (char*)"--fd", fd_arg.data(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, u.program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(child_end);
  if (rc != 0) {
    close(sv[0]);
    *error = "cannot start " + u.program + ": " + strerror(rc);
    return false;
  }
  nlohmann::json answer;
  bool sent = send_message(sv[0], {{"op", "config"}, {"config", config_to_json(u.config)}}, 10000);
  int got = sent ? receive_message(sv[0], 10000, &answer) : -1;
  if (got != 1 || !field(answer, "ok", false)) {
    *error = got == 1 ? field(answer, "error", std::string("refused the configuration"))
                      : u.program + " did not start (see its log above)";
    close(sv[0]);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return false;
  }
  u.fd = sv[0];
  u.pid = pid;
  return true;
}

// Kills a child that broke the protocol (no answer in time, a malformed message). Called with mu
// held; the supervisor reaps it and starts the next one.
static void abandon_child(UploaderProcess::Impl& u, const char* why) {
  platform::log_event(platform::LogLevel::Warn, "outbox", "uploader_abandoned", "", "uploader process %d %s; restarting it", (int)u.pid, why);
  if (u.pid > 0) kill(u.pid, SIGKILL);
  if (u.fd >= 0) close(u.fd);
  u.fd = -1;
}

static void describe_exit(int pid, int status) {
  if (WIFEXITED(status))
    platform::log_event(platform::LogLevel::Warn, "outbox", "uploader_exited", "", "uploader process %d exited with status %d", pid,
                        WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    platform::log_event(platform::LogLevel::Warn, "outbox", "uploader_exited", "", "uploader process %d ended by signal %d", pid,
                        WTERMSIG(status));
}

// One child at a time: wait for it to end, then (unless stopping) wait restart_delay_ms and start
// the next. waitpid happens only here, so a pid is never reused under our feet.
static void supervise(UploaderProcess::Impl& u) {
  std::unique_lock<std::mutex> lock(u.mu);
  while (!u.stopping) {
    pid_t pid = u.pid;
    lock.unlock();
    // Wait without reaping, forget the pid under the lock, then reap: until then the pid cannot
    // be reused, so a kill() from abandon_child() or the destructor never reaches a stranger.
    siginfo_t info = {};
    int rc;
    do rc = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT);
    while (rc < 0 && errno == EINTR);
    lock.lock();
    u.pid = -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (u.fd >= 0) close(u.fd);
    u.fd = -1;
    u.cv.notify_all();
    if (u.stopping) break;
    describe_exit(pid, status);
    std::string error;
    // A child that cannot start at all (its program or the outbox gone) is retried ever more
    // slowly, up to every five minutes, rather than filling the journal.
    uint64_t delay = u.restart_delay_ms;
    while (!u.stopping) {
      u.cv.wait_for(lock, std::chrono::milliseconds(delay), [&] { return u.stopping; });
      if (u.stopping) break;
      if (spawn(u, &error)) {
        u.restarts++;
        u.start_error.clear();
        break;
      }
      u.start_error = error;   // what the staff view shows while it stays down
      platform::log(platform::LogLevel::Error, "outbox", "uploader: %s", error.c_str());
      delay = std::min<uint64_t>(delay * 2, 5 * 60 * 1000);
    }
  }
}

// [SECTION] Public functions ------------------------------------------------------------------
UploaderProcess::UploaderProcess(Config config, std::string program) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->program = std::move(program);
}

UploaderProcess::~UploaderProcess() {
  Impl& u = *impl_;
  std::unique_lock<std::mutex> lock(u.mu);
  u.stopping = true;
  // The child stops when it reads the end of the socket; a child stuck past the bound is killed.
  if (u.fd >= 0) shutdown(u.fd, SHUT_RDWR);
  u.cv.notify_all();
  if (!u.cv.wait_for(lock, std::chrono::seconds(5), [&] { return u.pid < 0; }) && u.pid > 0) kill(u.pid, SIGKILL);
  lock.unlock();
  if (u.supervisor.joinable()) u.supervisor.join();
}

bool UploaderProcess::start(std::string* error) {
  Impl& u = *impl_;
  std::string why;
  std::lock_guard<std::mutex> lock(u.mu);
  u.restart_delay_ms = restart_delay_ms;
  if (u.supervisor.joinable()) why = "uploader already running";
  else if (platform::hub_url_allowed(u.config.hub_url, &why) && spawn(u, &why))
    u.supervisor = std::thread([&u] { supervise(u); });
  u.start_error = why;
  if (!why.empty() && error) *error = why;
  return why.empty();
}

void UploaderProcess::wake() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  // A child that is gone is being restarted, and reads the whole queue when it starts.
  // Never waits: a wake that finds the socket full adds nothing to the ones already queued.
  if (impl_->fd >= 0) send_message(impl_->fd, {{"op", "wake"}}, 0);
}

std::string UploaderProcess::last_error() {
  Impl& u = *impl_;
  std::lock_guard<std::mutex> lock(u.mu);
  if (u.fd < 0) return u.start_error;   // never started, or restarts failing; "" between restarts
  nlohmann::json answer;
  if (!send_message(u.fd, {{"op", "snapshot"}}, 5000) || receive_message(u.fd, 5000, &answer) != 1) {
    abandon_child(u, "did not answer a snapshot");
    return "";
  }
  return field(answer, "last_error", std::string());
}

RemoteStatus UploaderProcess::remote_status(std::string_view ref) {
  Impl& u = *impl_;
  RemoteStatus out;
  std::lock_guard<std::mutex> lock(u.mu);
  if (u.fd < 0) {
    out.error = "the uploader is restarting";
    return out;
  }
  nlohmann::json answer;
  int bound_ms = (int)u.config.status_timeout_ms + 5000;   // the child's own timeout comes first
  if (!send_message(u.fd, {{"op", "status"}, {"ref", std::string(ref)}}, bound_ms) ||
      receive_message(u.fd, bound_ms, &answer) != 1) {
    abandon_child(u, "did not answer a status query");
    out.error = "the uploader did not answer";
    return out;
  }
  out.ok = field(answer, "ok", false);
  out.found = field(answer, "found", false);
  out.status = field(answer, "status", std::string());
  out.error = field(answer, "error", std::string());
  return out;
}

bool UploaderProcess::check_hub(std::string* error) {
  Impl& u = *impl_;
  std::lock_guard<std::mutex> lock(u.mu);
  if (u.fd < 0) {
    *error = u.start_error.empty() ? "the uploader is restarting" : u.start_error;
    return false;
  }
  nlohmann::json answer;
  int bound_ms = (int)u.config.status_timeout_ms + 5000;   // the child's own timeout comes first
  if (!send_message(u.fd, {{"op", "reach"}}, bound_ms) || receive_message(u.fd, bound_ms, &answer) != 1) {
    abandon_child(u, "did not answer a reachability check");
    *error = "the uploader did not answer";
    return false;
  }
  *error = field(answer, "error", std::string());
  return field(answer, "ok", false);
}

void UploaderProcess::check_content() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->fd >= 0) send_message(impl_->fd, {{"op", "check"}}, 0);   // never waits
}

std::string UploaderProcess::content_status() {
  Impl& u = *impl_;
  std::lock_guard<std::mutex> lock(u.mu);
  if (u.fd < 0) return "";
  nlohmann::json answer;
  if (!send_message(u.fd, {{"op", "update_status"}}, 5000) || receive_message(u.fd, 5000, &answer) != 1) {
    abandon_child(u, "did not answer an update status query");
    return "";
  }
  return answer.empty() ? "" : answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void UploaderProcess::content_running(int64_t version) {
  Impl& u = *impl_;
  std::lock_guard<std::mutex> lock(u.mu);
  u.config.content_version = std::to_string(version);   // a restarted child starts with it
  if (u.fd >= 0) send_message(u.fd, {{"op", "running"}, {"version", version}}, 1000);
}

int UploaderProcess::pid() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->fd >= 0 ? (int)impl_->pid : -1;
}

uint64_t UploaderProcess::restarts() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->restarts;
}

}  // namespace outbox
