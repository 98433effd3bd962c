// The hub across several instances on one PostgreSQL database (libpq): what one instance must
// tell the others, and which instance runs a job that must run once.
//   EventBridge: the live queue's events (events.h) between instances, by LISTEN/NOTIFY. What this
//     instance publishes reaches every other instance's bus; what they publish reaches ours. A
//     connection lost (a server restarted, a failover) is found again through the same URL, and
//     since events may have been missed meanwhile, the local bus gets a refresh (refresh_event()):
//     every live console re-fetches its page.
//   JobLock: a PostgreSQL session-level advisory lock on a connection of its own, for a job that
//     must run on one instance at a time (the notifier's outbox, retention, escalation). When the
//     holder's instance dies, its connection drops, the server releases the lock, and another
//     instance takes it at its next try (every retry interval).
// Both take libpq connection strings, multi-host URLs included
// ("postgresql://h1:5432,h2:5432/hub?target_session_attrs=read-write"): each reconnection goes
// through the same string, so it finds whichever server is the primary now. Both own a thread
// that waits in poll() on its socket and an eventfd: no polling while nothing happens (a JobLock
// that is not held asks again every retry interval), and stopping (the destructor) is prompt.
#pragma once

#include "events.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace hub {

// The event that tells live consoles "re-fetch everything": a RequestChanged without an id or a
// state (sse_text makes it `event: queue`, on which every live page re-fetches).
Event refresh_event();

// Whether another instance's event should wake this instance's notifier: a request received
// there (routed by whichever instance holds the notifier's lock), or a refresh (events may have
// been missed, requests among them).
bool wakes_notifier(const Event& e);

// The NOTIFY payload of an event from `instance` (JSON: instance, kind, id, state; well below
// PostgreSQL's 8000 bytes), or "" for an event that is not sent (ids and states are plain words
// of at most 64 characters: request ids, session token digests, staff account names).
std::string cluster_payload(const std::string& instance, const Event& e);
// The event in a payload, false when it is malformed; *instance is its sender.
bool cluster_parse(const std::string& payload, std::string* instance, Event* e);

class EventBridge {
public:
  static constexpr const char* kChannel = "sportello_events";
  // Connects (in its thread) to `url` and listens; other instances' events go to bus.deliver(),
  // and then to on_event when given (from the bridge's thread; it must not block: e.g. waking
  // the notifier when a request arrived through another instance), refreshes included.
  EventBridge(std::string url, EventBus& bus, std::function<void(const Event&)> on_event = nullptr);
  // Stops the thread promptly (closing the connection); events not yet sent are dropped.
  ~EventBridge();
  EventBridge(const EventBridge&) = delete;
  EventBridge& operator=(const EventBridge&) = delete;

  // Sends an event to the other instances (the bus's relay: bus.set_relay). Never blocks on the
  // network: queued for the bridge's thread (at most kMaxQueued; beyond that, and while the
  // connection is down, the others get one refresh instead once it is back).
  void send(const Event& e);
  // This instance's random id (16 hex digits), in every payload it sends.
  const std::string& instance() const;
  // Whether the bridge listens now; how many times it connected (1 after the first connection).
  bool connected() const;
  uint64_t connections() const;
  // The last connection error (libpq's message, never the connection string), for the log.
  std::string last_error() const;
  static constexpr size_t kMaxQueued = 1024;

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

class JobLock {
public:
  // Tries to take the lock named `job` on `url` at once and then every `retry` while not held.
  // on_change, when given, is called from the lock's thread whenever held() changes.
  JobLock(std::string url, std::string job, std::chrono::milliseconds retry = std::chrono::seconds(5),
          std::function<void(bool held)> on_change = nullptr);
  // Closes the connection (which releases the lock) and stops the thread promptly.
  ~JobLock();
  JobLock(const JobLock&) = delete;
  JobLock& operator=(const JobLock&) = delete;

  // Whether this instance holds the lock now, as last seen: a job checks it before each batch. A
  // lost connection is seen at once when the server closed it, and through TCP keepalives (about
  // 30 s) when the network went silent; for those seconds two instances may both run the job, so
  // the job's own writes still guard each row (a claim, a sent mark).
  bool held() const;
  const std::string& job() const;
  // The advisory lock's key: a stable 64-bit hash of "sportello-hub job " + job.
  static int64_t key(const std::string& job);

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hub
