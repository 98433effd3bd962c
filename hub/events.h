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
};

class EventBus {
public:
  // Queues an event and wakes the reader. Thread-safe; never blocks on the reader. Events pile up
  // only while no reader drains them, and then at most kMaxPending (the oldest are dropped: a
  // live console re-fetches its whole queue on any event, so a lost one only delays nothing).
  void publish(Event e);
  // Takes every queued event (the reader's side, once woken).
  std::vector<Event> take();
  // Who is woken on publish (the front's eventfd writer); empty: nobody listens, nothing queued.
  void set_wake(std::function<void()> wake);
  static constexpr size_t kMaxPending = 4096;

private:
  std::mutex mu_;
  std::vector<Event> pending_;
  std::function<void()> wake_;
};

// The text of an event as a live console receives it (Server-Sent Events), or "" for events that
// are not sent (session ends). `event: request` with JSON data {"id","state"}.
std::string sse_text(const Event& e);

}  // namespace hub
