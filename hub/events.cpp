// [SECTION] Event bus (events.h): a queue under a mutex and a wake-up callback.
#include "events.h"

namespace hub {

void EventBus::publish(Event e) {
  std::function<void(const Event&)> relay;
  {
    std::lock_guard<std::mutex> lock(mu_);
    relay = relay_;
  }
  if (relay) relay(e);
  deliver(std::move(e));
}

void EventBus::deliver(Event e) {
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!wake_) return;
    if (pending_.size() >= kMaxPending) pending_.erase(pending_.begin());
    pending_.push_back(std::move(e));
    wake = wake_;
  }
  wake();
}

std::vector<Event> EventBus::take() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Event> out;
  out.swap(pending_);
  return out;
}

void EventBus::set_relay(std::function<void(const Event&)> relay) {
  std::lock_guard<std::mutex> lock(mu_);
  relay_ = std::move(relay);
}

void EventBus::set_wake(std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(mu_);
  wake_ = std::move(wake);
  if (!wake_) pending_.clear();
}

// Ids are UUIDs and states are fixed words (checked by their publishers); anything else is not sent.
static bool plain(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!(isalnum((unsigned char)c) || c == '-' || c == '_')) return false;
  return true;
}

std::string sse_text(const Event& e) {
  if (e.kind == Event::RequestChanged && e.id.empty() && e.state.empty()) return "event: queue\ndata: {}\n\n";
  if (e.kind != Event::RequestChanged || !plain(e.id) || !plain(e.state)) return {};
  return "event: request\ndata: {\"id\":\"" + e.id + "\",\"state\":\"" + e.state + "\"}\n\n";
}

}  // namespace hub
