// sportello-uploader: the kiosk's Uploader in a process of its own (see UploaderProcess in
// outbox.h). Started by the kiosk with its end of a socketpair as a file descriptor; reads the
// configuration from it, delivers the outbox to the hub, runs the content Updater when the
// configuration has one (kiosk/update: the screen's process never loads libcurl), answers
// wake / status / snapshot / check / update_status / running (see process.cpp), and stops when
// the socket closes (the kiosk ended, however it ended) or on SIGTERM / SIGINT.
// Exit codes: 0 stopped, 2 bad arguments or configuration.
#include "outbox_internal.h"

#include "platform.h"
#include "update.h"

#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace {

// A string field of a message, "" when absent or not a string.
std::string text_field(const nlohmann::json& message, const char* name) {
  auto it = message.find(name);
  return it != message.end() && it->is_string() ? it->get<std::string>() : std::string();
}

nlohmann::json answer_status(outbox::Uploader& uploader, const nlohmann::json& request) {
  std::string ref = text_field(request, "ref");
  outbox::RemoteStatus r = uploader.remote_status(ref);
  return {{"ok", r.ok}, {"found", r.found}, {"status", r.status}, {"error", r.error}};
}

// The updater's status as a JSON object; {} when this process runs no content updates.
std::string g_update_error;   // why the configured updater could not start

nlohmann::json answer_update_status(const update::Updater* updater) {
  if (!updater && !g_update_error.empty()) {
    update::Status s;
    s.state = "error";
    s.last_error = "content updates off: " + g_update_error;
    s.last_refusal = "config";
    return nlohmann::json::parse(update::status_to_json(s), nullptr, false);
  }
  if (!updater) return nlohmann::json::object();
  nlohmann::json j = nlohmann::json::parse(update::status_to_json(updater->status()), nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}

// Answers the kiosk until the socket closes or a stop signal arrives.
void serve(int fd, int signal_fd, outbox::Uploader& uploader, update::Updater* updater) {
  for (;;) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {signal_fd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    nlohmann::json request;
    if (outbox::receive_message(fd, 0, &request) < 0) return;   // closed: the kiosk is gone
    std::string op = text_field(request, "op");
    if (op == "wake") uploader.wake();
    else if (op == "status") outbox::send_message(fd, answer_status(uploader, request), 5000);
    else if (op == "reach") {
      std::string why;
      bool ok = uploader.check_hub(&why);
      outbox::send_message(fd, {{"ok", ok}, {"error", ok ? std::string() : why}}, 5000);
    } else if (op == "snapshot") outbox::send_message(fd, {{"last_error", uploader.snapshot().last_error}}, 5000);
    else if (op == "check") {
      if (updater) updater->check_now();
    } else if (op == "update_status") outbox::send_message(fd, answer_update_status(updater), 5000);
    else if (op == "running") {
      auto it = request.find("version");
      if (it != request.end() && it->is_number_integer()) uploader.set_content_version(std::to_string(it->get<int64_t>()));
    }
    else platform::log(platform::LogLevel::Warn, "outbox", "uploader process: unknown message \"%s\"", op.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  int fd = -1;
  if (argc == 3 && !strcmp(argv[1], "--fd")) fd = atoi(argv[2]);
  if (fd < 0) {
    fprintf(stderr, "usage: sportello-uploader --fd N   (started by sportello, not by hand)\n");
    return 2;
  }
  // Stop signals arrive through a descriptor, so the loop can stop the Uploader cleanly.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigprocmask(SIG_BLOCK, &stop_signals, nullptr);   // before any thread starts: they inherit it
  int signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);

  nlohmann::json first;
  outbox::Config config;
  std::string error;
  if (outbox::receive_message(fd, 30000, &first) != 1 || text_field(first, "op") != "config")
    error = "no configuration from the kiosk";
  else
    outbox::config_from_json(first["config"], &config, &error);
  platform::log_set_kiosk_id(config.kiosk_id);
  // The content updater first, so the heartbeat can carry its status from the start. One that
  // cannot start costs the kiosk its updates, never its request delivery: it is reported instead.
  std::unique_ptr<update::Updater> updater;
  if (error.empty() && !config.update_config.empty()) {
    update::Config update_config;
    std::string why;
    if (update::config_from_json(config.update_config, &update_config, &why)) {
      updater = std::make_unique<update::Updater>(update_config);
      if (!updater->start(&why)) updater.reset();
    }
    if (updater) {
      config.heartbeat_update = [u = updater.get()] { return update::status_to_json(u->status()); };
    } else {
      platform::log(platform::LogLevel::Error, "update", "content updates off: %s", why.c_str());
      g_update_error = why;
    }
  }
  std::unique_ptr<outbox::Uploader> uploader;
  if (error.empty()) {
    uploader = std::make_unique<outbox::Uploader>(config);
    uploader->start(&error);
  }
  outbox::send_message(fd, {{"ok", error.empty()}, {"error", error}}, 5000);
  if (!error.empty()) {
    platform::log(platform::LogLevel::Error, "outbox", "uploader process: %s", error.c_str());
    return 2;
  }
  serve(fd, signal_fd, *uploader, updater.get());
  uploader->stop();
  if (updater) updater->stop();
  return 0;
}
