// The hub's event bus and the text of its events as live consoles receive them.
#include "events.h"

#include <catch2/catch.hpp>

using hub::Event;
using hub::EventBus;

TEST_CASE("the event bus queues only while someone listens, wakes them, and is bounded", "[hub][events]") {
  EventBus bus;
  bus.publish({Event::RequestChanged, "a", "received"});
  CHECK(bus.take().empty());  // nobody listens: nothing kept
  int wakes = 0;
  bus.set_wake([&] { wakes++; });
  bus.publish({Event::RequestChanged, "a", "received"});
  bus.publish({Event::SessionEnded, "abc", ""});
  CHECK(wakes == 2);
  std::vector<Event> got = bus.take();
  REQUIRE(got.size() == 2);
  CHECK(got[0].id == "a");
  CHECK(got[1].kind == Event::SessionEnded);
  CHECK(bus.take().empty());
  for (size_t i = 0; i < EventBus::kMaxPending + 10; i++) bus.publish({Event::RequestChanged, std::to_string(i), "received"});
  got = bus.take();
  CHECK(got.size() == EventBus::kMaxPending);
  CHECK(got.front().id == "10");  // the oldest were dropped
  bus.set_wake(nullptr);
  bus.publish({Event::RequestChanged, "b", "received"});
  CHECK(bus.take().empty());
}

TEST_CASE("an event's text is an id and a state, nothing that could break the stream", "[hub][events]") {
  CHECK(hub::sse_text({Event::RequestChanged, "4b5c6d7e-8f9a-4b1c-9d2e-3f4a5b6c7d8e", "in_progress"}) ==
        "event: request\ndata: {\"id\":\"4b5c6d7e-8f9a-4b1c-9d2e-3f4a5b6c7d8e\",\"state\":\"in_progress\"}\n\n");
  // Session facts stay inside the hub.
  CHECK(hub::sse_text({Event::SessionEnded, "abcdef", ""}).empty());
  CHECK(hub::sse_text({Event::UserSessionsEnded, "anna", ""}).empty());
  // Anything but a plain word is never written: no new line, no field, no quote, no markup.
  for (const char* id : {"a\nevent: x", "a\r\ndata: x", "a\"b", "<script>", "", "a b", "é"})
    CHECK(hub::sse_text({Event::RequestChanged, id, "received"}).empty());
  CHECK(hub::sse_text({Event::RequestChanged, "a", "done\n\nevent: x"}).empty());
  CHECK(hub::sse_text({Event::RequestChanged, std::string(65, 'a'), "received"}).empty());
}

TEST_CASE("the bus relays what is published here, not what another instance delivered", "[hub][events]") {
  EventBus bus;
  std::vector<Event> relayed;
  bus.set_relay([&](const Event& e) { relayed.push_back(e); });
  bus.publish({Event::RequestChanged, "a", "received"});  // relayed even while nobody listens here
  bus.set_wake([] {});
  bus.publish({Event::UserSessionsEnded, "anna", ""});
  bus.deliver({Event::RequestChanged, "b", "done"});  // another instance's: not sent back
  REQUIRE(relayed.size() == 2);
  CHECK(relayed[0].id == "a");
  CHECK(relayed[1].kind == Event::UserSessionsEnded);
  std::vector<Event> got = bus.take();
  REQUIRE(got.size() == 2);
  CHECK(got[0].id == "anna");
  CHECK(got[1].id == "b");
  // A refresh (no id, no state) is the "re-fetch everything" every live page listens to.
  CHECK(hub::sse_text({Event::RequestChanged, "", ""}) == "event: queue\ndata: {}\n\n");
  bus.set_relay(nullptr);
  bus.publish({Event::RequestChanged, "c", "received"});
  CHECK(relayed.size() == 2);
}
