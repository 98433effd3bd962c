// The hub's in-process event bus: facts about requests ("a request arrived", "was claimed", "was
// closed") and about sessions ("a session ended"), published by whichever thread made them true
// and read by the front's loop, which forwards the request facts to the open live consoles
// (front_events.cpp). An event never carries personal data: a request's id and its new state.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace hub {

struct Event {
  enum Kind { RequestChanged, SessionEnded, UserSessionsEnded };
  Kind kind = RequestChanged;
  std::string id;      // RequestChanged: the request's id; SessionEnded: the session token's SHA-256;
                       // UserSessionsEnded: the user's name (realm "console")
  std::string state;   // RequestChanged: received | in_progress | done | unreachable
                       // A RequestChanged with neither id nor state is a refresh: events may have
                       // been missed (another instance's, while out of touch), every console re-fetches.
};

class EventBus {
public:
  // Hands the event to the relay (other instances, cluster.h) and delivers it here.
  void publish(Event e);
  // Queues an event and wakes the reader, without relaying it (another instance's event, come
  // through the relay's other end). Thread-safe; never blocks on the reader. Events pile up
  // only while no reader drains them, and then at most kMaxPending (the oldest are dropped: a
  // live console re-fetches its whole queue on any event, so a lost one only delays nothing).
  void deliver(Event e);
  // Takes every queued event (the reader's side, once woken).
  std::vector<Event> take();
  // Who is woken on publish (the front's eventfd writer); empty: nobody listens, nothing queued.
  void set_wake(std::function<void()> wake);
  // Who also gets every published event, whether or not anyone listens here (the cluster bridge,
  // which must not block); empty: nobody.
  void set_relay(std::function<void(const Event&)> relay);
  static constexpr size_t kMaxPending = 4096;

private:
  std::mutex mu_;
  std::vector<Event> pending_;
  std::function<void()> wake_;
  std::function<void(const Event&)> relay_;
};

// The text of an event as a live console receives it (Server-Sent Events), or "" for events that
// are not sent (session ends). `event: request` with JSON data {"id","state"}; a refresh is
// `event: queue` (every live page re-fetches on it).
std::string sse_text(const Event& e);

}  // namespace hub
