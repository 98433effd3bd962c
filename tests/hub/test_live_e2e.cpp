// The live console against the real hub on loopback: in Chromium, the queue and a request's page
// follow uploads, claims and closes without a reload (tests/hub/console_live.py); the event stream
// is refused without a session, with another role's or realm's session and from another site; it
// ends with its session; --max-live bounds the open streams (503 beyond); a slow reader is dropped
// while the others keep receiving.
#include "live_util.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

namespace {

using namespace hub_test;

int port_of(const Hub& hub) { return std::atoi(hub.server.port.c_str()); }

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Adds a council member (read-only role) to the running hub's database.
bool add_council(const Hub& hub, const std::string& user) {
  std::string cmd = "echo 'password-" + user + "' | SPORTELLO_TEST_CHEAP_HASH=1 '" SPORTELLO_HUB_BIN "' add-council --data '" +
                    hub.data + "' --user " + user + " --cheap-hash >/dev/null";
  return std::system(cmd.c_str()) == 0;
}

// Runs one of the Chromium scripts beside this file against the hub; its output, and its exit status in *status.
std::string run_browser_script(const Hub& hub, const char* script, int* status) {
  std::string cmd = "/usr/bin/python3 " SPORTELLO_SOURCE_DIR "/tests/hub/" + std::string(script) + " --url " +
                    hub.url("") + " --token=" + hub.token + " --out " + hub.dir + " 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) { *status = -1; return "popen failed"; }
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  *status = pclose(p);
  return out;
}

}  // namespace

TEST_CASE("in Chromium, the open queue and a request's page follow uploads, claims and closes", "[e2e][hub][live]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  REQUIRE(hub.start("live-chromium"));
  int status = 0;
  std::string out = run_browser_script(hub, "console_live.py", &status);
  INFO(out);
  CHECK(status == 0);
  CHECK(out.find("shown live") != std::string::npos);
}

TEST_CASE("the event stream is refused without a mediator's session and from another site", "[e2e][hub][live]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  REQUIRE(hub.start("live-refusals"));
  REQUIRE(add_council(hub, "carla"));
  std::string anna = session_cookie(hub, "anna", "password-anna");
  std::string carla = session_cookie(hub, "carla", "password-carla");
  std::string ada = session_cookie(hub, "ada", "password-ada", "admin");
  REQUIRE(!anna.empty());
  REQUIRE(!carla.empty());
  REQUIRE(!ada.empty());
  std::string ada_value = ada.substr(ada.find('=') + 1);
  struct Case {
    const char* what;
    std::vector<std::string> headers;
    int status;
  };
  std::vector<Case> cases = {
      {"no cookie", {}, 401},
      {"a made-up session", {"Cookie: sportello_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, 401},
      {"a council member's session", {"Cookie: " + carla}, 403},
      {"an admin's session", {"Cookie: " + ada}, 401},
      {"an admin's session under the console's cookie name", {"Cookie: sportello_session=" + ada_value}, 401},
      {"a cross-site request with anna's cookie", {"Cookie: " + anna, "Sec-Fetch-Site: cross-site"}, 403},
      {"a same-site (other origin) request", {"Cookie: " + anna, "Sec-Fetch-Site: same-site"}, 403},
      {"another origin without Sec-Fetch-Site", {"Cookie: " + anna, "Origin: http://evil.example"}, 403},
      {"anna, same origin", {"Cookie: " + anna, "Sec-Fetch-Site: same-origin"}, 200},
  };
  for (const Case& c : cases) {
    Stream s;
    REQUIRE(s.open(port_of(hub), c.headers));
    INFO(c.what << "\n" << s.head);
    CHECK(s.wait_head() == c.status);
    if (c.status == 200) {
      CHECK(s.head.find("Content-Type: text/event-stream") != std::string::npos);
      CHECK(s.head.find("Cache-Control: no-store") != std::string::npos);
    } else {
      CHECK(s.wait_closed());  // a refusal ends the connection
    }
  }
  // A refused stream hears nothing: an upload reaches only the stream that was let in.
  Stream council, mine;
  REQUIRE(council.open(port_of(hub), {"Cookie: " + carla}));
  REQUIRE(mine.open(port_of(hub), {"Cookie: " + anna}));
  REQUIRE(mine.wait_head() == 200);
  std::string id;
  REQUIRE(upload(hub, 1, &id));
  CHECK(mine.wait_for("\"id\":\"" + id + "\",\"state\":\"received\""));
  council.read_for(200);
  CHECK(council.data.find(id) == std::string::npos);
  // Events carry no personal data and no reference: only the id and the state.
  CHECK(mine.data.find("GR1-") == std::string::npos);
}

TEST_CASE("a live stream ends with its session: logout, and the user's sessions ended by an admin", "[e2e][hub][live]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  REQUIRE(hub.start("live-session-end"));
  std::string anna = session_cookie(hub, "anna", "password-anna");
  std::string bruno = session_cookie(hub, "bruno", "password-bruno");
  Stream a, b, other;
  REQUIRE(a.open(port_of(hub), {"Cookie: " + anna}));
  REQUIRE(b.open(port_of(hub), {"Cookie: " + bruno}));
  REQUIRE(a.wait_head() == 200);
  REQUIRE(b.wait_head() == 200);
  // anna logs out: her stream closes, bruno's stays.
  Reply page = http("GET", hub.url("/console/"), "", {"Cookie: " + anna});
  REQUIRE(http("POST", hub.url("/console/logout"), "csrf=" + csrf_of(page.body), {"Cookie: " + anna}).status == 302);
  CHECK(a.wait_closed());
  std::string id;
  REQUIRE(upload(hub, 2, &id));
  CHECK(b.wait_for(id));
  // An admin ends bruno's sessions: his stream closes.
  std::string ada = session_cookie(hub, "ada", "password-ada", "admin");
  Reply users = http("GET", hub.url("/console/admin/users"), "", {"Cookie: " + ada});
  REQUIRE(users.status == 200);
  Reply revoke = http("POST", hub.url("/console/admin/users/revoke"),
                      "csrf=" + csrf_of(users.body) + "&realm=console&user=bruno", {"Cookie: " + ada});
  INFO(revoke.status << " " << revoke.headers);
  CHECK(revoke.status == 302);
  CHECK(b.wait_closed());
  // The ended session cannot open a new stream.
  REQUIRE(other.open(port_of(hub), {"Cookie: " + bruno}));
  CHECK(other.wait_head() == 401);
}

TEST_CASE("the --max-live bounds the open live streams: 503 beyond, room again once one closes", "[e2e][hub][live]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  REQUIRE(hub.start("live-max", {"--max-live", "2"}));
  std::string anna = session_cookie(hub, "anna", "password-anna");
  auto s1 = std::make_unique<Stream>();
  Stream s2, s3;
  REQUIRE(s1->open(port_of(hub), {"Cookie: " + anna}));
  REQUIRE(s2.open(port_of(hub), {"Cookie: " + anna}));
  REQUIRE(s1->wait_head() == 200);
  REQUIRE(s2.wait_head() == 200);
  REQUIRE(s3.open(port_of(hub), {"Cookie: " + anna}));
  CHECK(s3.wait_head() == 503);
  CHECK(s3.head.find("Retry-After:") != std::string::npos);
  // The rest of the hub is not affected by the bound.
  CHECK(http("GET", hub.url("/console/"), "", {"Cookie: " + anna}).status == 200);
  s1.reset();  // closed by the client: the hub notices and makes room
  int status = 0;
  for (int i = 0; i < 100 && status != 200; i++) {
    Stream s4;
    REQUIRE(s4.open(port_of(hub), {"Cookie: " + anna}));
    status = s4.wait_head();
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(status == 200);
}

TEST_CASE("a slow reader is dropped, the other live consoles keep receiving", "[e2e][hub][live]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  REQUIRE(hub.start("live-slow"));
  std::string anna = session_cookie(hub, "anna", "password-anna");
  Stream slow, fast;
  REQUIRE(slow.open(port_of(hub), {"Cookie: " + anna}, 2048));
  REQUIRE(fast.open(port_of(hub), {"Cookie: " + anna}));
  REQUIRE(fast.wait_head() == 200);
  // The slow one reads its head, then nothing: its window fills, then the hub's buffer for it.
  REQUIRE(slow.wait_head() == 200);
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done) fast.read_for(20);
  });
  std::string last;
  bool dropped = false;
  int sent = 0;
  for (int i = 0; i < 4000 && !dropped; i++) {
    REQUIRE(upload(hub, 1000 + i, &last));
    sent++;
    if (i % 100 == 99) dropped = read_file(hub.dir + "/hub.log").find("live_dropped slow_consumer") != std::string::npos;
  }
  done = true;
  reader.join();
  INFO("uploads: " << sent);
  CHECK(dropped);
  // The fast reader got every event up to the last upload, and its stream is still open.
  CHECK(fast.wait_for(last));
  std::string after;
  REQUIRE(upload(hub, 9999, &after));
  CHECK(fast.wait_for(after));
  // The slow reader's stream was closed by the hub: reading now drains what was buffered, then ends,
  // without the last events.
  CHECK(slow.wait_closed(20000));
  CHECK(slow.data.find(after) == std::string::npos);
}

TEST_CASE("axe-core finds no WCAG 2.1 A/AA violation on any console page, as each role", "[e2e][hub][a11y]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  REQUIRE(hub.start("console-axe"));
  REQUIRE(add_council(hub, "carla"));
  int status = 0;
  std::string out = run_browser_script(hub, "console_axe.py", &status);
  INFO(out);
  CHECK(status == 0);
  CHECK(out.find("no WCAG 2.1 A/AA violation") != std::string::npos);
}

TEST_CASE("the queue opens on the mediator's languages and desks, all of them one tap away", "[e2e][hub][console]") {
  REQUIRE(sodium_init() >= 0);
  Hub hub;
  REQUIRE(hub.start("console-mine"));
  std::string cmd = "'" SPORTELLO_HUB_BIN "' set-profile --data '" + hub.data + "' --user anna --languages uk,fr --desks GR-01 >/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::string arabic, ukrainian;
  REQUIRE(upload(hub, 1, &arabic));  // lang ar
  nlohmann::json j = nlohmann::json::parse(body_for(hub, "00000002-8f9a-4b1c-9d2e-3f4a5b6c7d8e", "GR1-UKUKUK", "{}"));
  j["lang"] = "uk";
  ukrainian = "00000002-8f9a-4b1c-9d2e-3f4a5b6c7d8e";
  REQUIRE(http("POST", hub.url("/api/v1/requests"), j.dump(), headers(hub, ukrainian)).status == 201);
  std::string anna = session_cookie(hub, "anna", "password-anna"), bruno = session_cookie(hub, "bruno", "password-bruno");
  Reply mine = http("GET", hub.url("/console/"), "", {"Cookie: " + anna});
  CHECK(mine.body.find("row-" + ukrainian) != std::string::npos);
  CHECK(mine.body.find("row-" + arabic) == std::string::npos);
  CHECK(mine.body.find("id=show-all href='/console/?mine=0'") != std::string::npos);
  CHECK(mine.body.find("ucraino · українська") != std::string::npos);
  Reply all = http("GET", hub.url("/console/?mine=0"), "", {"Cookie: " + anna});
  CHECK(all.body.find("row-" + ukrainian) != std::string::npos);
  CHECK(all.body.find("row-" + arabic) != std::string::npos);
  CHECK(all.body.find("id=show-mine") != std::string::npos);
  // Filters keep to "all" once chosen (the form carries mine=0).
  CHECK(all.body.find("<input type=hidden name=mine value=0>") != std::string::npos);
  // Without languages or desks in the profile, the queue shows everything and offers no toggle.
  Reply theirs = http("GET", hub.url("/console/"), "", {"Cookie: " + bruno});
  CHECK(theirs.body.find("row-" + arabic) != std::string::npos);
  CHECK(theirs.body.find("id=mine") == std::string::npos);
}
