// E-mail notifications against the real hub and a real SMTP server on loopback (aiosmtpd): who is
// told of a request (language, desk, duty; coordinators when nobody matches), that no mail, no
// database file and no log line holds the visitor's name or phone, exactly one mail across a
// kill -9 between commit and send, retries and a visible error when the relay refuses, stalls or
// drops, the digest, escalation and the daily summary on a virtual clock, STARTTLS with AUTH.
#include "notify_util.h"

#include <catch2/catch.hpp>
#include <sodium.h>

#include <csignal>

namespace {

using namespace hub_test;

const std::string kName = "Zainab Canarino", kPhone = "3330001234";
const std::string kPerson = "{\"name\":\"" + kName + "\",\"phone\":\"" + kPhone + "\"}";

// Four more mediators and a coordinator beside the harness's anna and bruno:
//   anna   ar  GR-01 on duty        bruno ar  GR-02 on duty        carla ar GR-01 off duty
//   dario  fr  GR-01 on duty        ezio  coordinator (ur, GR-01)
void provision(const Hub& hub) {
  for (const char* u : {"carla", "dario", "ezio"}) REQUIRE(add_mediator(hub, u));
  struct P {
    const char *user, *langs, *desks, *duty, *coordinator;
  } ps[] = {{"anna", "ar,fr", "GR-01", "on", "no"},
            {"bruno", "ar", "GR-02", "on", "no"},
            {"carla", "ar", "GR-01", "off", "no"},
            {"dario", "fr", "GR-01", "on", "no"},
            {"ezio", "ur", "GR-01", "off", "yes"}};
  for (const P& p : ps)
    REQUIRE(hub_cli(hub, "set-profile", {"--user", p.user, "--languages", p.langs, "--desks", p.desks, "--duty", p.duty,
                                         "--coordinator", p.coordinator, "--email",
                                         std::string(p.user) + "@mediatori.test"})
                .find("profile of") != std::string::npos);
}

int64_t mails_in_state(const Hub& hub, const std::string& state) {
  return hub.count("SELECT count(*) FROM notify_mails WHERE state = '" + state + "'");
}

bool file_has(const std::string& path, const std::string& needle) {
  std::string data = harness::read_file(path);
  return data.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("notify: an Arabic request from desk A reaches only desk A's on-duty Arabic speaker, without name or phone",
          "[e2e][hub][notify]") {
  REQUIRE(sodium_init() >= 0);
  Sink sink;
  REQUIRE(sink.start("notify-sink-route"));
  Hub hub;
  std::string dir = harness::temp_dir("notify-route-conf");
  REQUIRE(hub.start("notify-route", {"--notify-config", notify_config(dir, sink, "digest-minutes = 0\n")}));
  std::string gr02 = hub.add_kiosk("GR-02");
  REQUIRE(!gr02.empty());
  provision(hub);

  std::string id = uuid(1);
  REQUIRE(post_request(hub, hub.token, id, request_body(hub, id, "GR1-ARAB", kPerson, "GR-01", "ar")).status == 201);
  REQUIRE(wait_until([&] { return sink.mails().size() == 1 && mails_in_state(hub, "sent") == 1; }));
  std::string mail = sink.mails()[0];
  CHECK(sink.rcpt(1) == "anna@mediatori.test\n");
  CHECK(mail.find("Subject: Sportello: nuova richiesta GR1-ARAB") != std::string::npos);
  CHECK(mail.find("Codice: GR1-ARAB") != std::string::npos);
  CHECK(mail.find("Lingua: arabo") != std::string::npos);
  CHECK(mail.find("Argomento: health") != std::string::npos);
  CHECK(mail.find("Sportello: GR-01") != std::string::npos);
  CHECK(mail.find("Eta': ") != std::string::npos);
  CHECK(mail.find("https://console.test/console/request/" + id) != std::string::npos);
  CHECK(mail.find("Message-ID: <sportello-notify-1.") != std::string::npos);
  // Routing is one transaction: every recipient of the request is already chosen.
  CHECK(hub.count("SELECT count(*) FROM notify_items WHERE request_id = '" + id + "'") == 1);
  CHECK(hub.count("SELECT count(*) FROM audit WHERE request_id = '" + id + "' AND action = 'notify_queued:anna'") == 1);
  CHECK(hub.count("SELECT count(*) FROM audit WHERE request_id = '" + id + "' AND action LIKE 'notify_queued:%'") == 1);

  // French from desk A: dario and anna (she speaks both); Arabic from desk B: bruno; Tigrinya
  // (nobody speaks it): the coordinator.
  std::string fr = uuid(2), b = uuid(3), ti = uuid(4);
  REQUIRE(post_request(hub, hub.token, fr, request_body(hub, fr, "GR1-FREN", kPerson, "GR-01", "fr")).status == 201);
  REQUIRE(post_request(hub, gr02, b, request_body(hub, b, "GR2-ARAB", kPerson, "GR-02", "ar")).status == 201);
  REQUIRE(post_request(hub, hub.token, ti, request_body(hub, ti, "GR1-TIGR", kPerson, "GR-01", "ti")).status == 201);
  REQUIRE(wait_until([&] { return sink.mails().size() == 5 && mails_in_state(hub, "sent") == 5; }));
  std::multiset<std::string> to;
  for (int n = 2; n <= 5; n++) to.insert(sink.rcpt(n));
  CHECK(to == std::multiset<std::string>{"anna@mediatori.test\n", "dario@mediatori.test\n", "bruno@mediatori.test\n",
                                         "ezio@mediatori.test\n"});
  for (int n = 1; n <= 5; n++) CHECK(sink.rcpt(n) != "carla@mediatori.test\n");  // off duty

  // The canary's name and phone: in no mail, no database file, no log.
  for (const std::string& m : sink.mails()) {
    CHECK(m.find("Zainab") == std::string::npos);
    CHECK(m.find("Canarino") == std::string::npos);
    CHECK(m.find(kPhone) == std::string::npos);
  }
  for (const auto& entry : std::filesystem::directory_iterator(hub.data)) {
    INFO(entry.path());
    CHECK_FALSE(file_has(entry.path(), "Canarino"));
    CHECK_FALSE(file_has(entry.path(), kPhone));
  }
  CHECK_FALSE(file_has(hub.dir + "/hub.log", "Canarino"));
  CHECK_FALSE(file_has(hub.dir + "/hub.log", kPhone));

  // The timeline: received, notified, the mail accepted, claimed by whom.
  std::string jar = hub.dir + "/anna.jar";
  REQUIRE(console_login(hub, jar, "anna"));
  REQUIRE(console_claim(hub, jar, id));
  Reply page = http("GET", hub.url("/console/request/" + id + "/timeline"), "", {}, "", jar);
  REQUIRE(page.status == 200);
  for (const char* step : {"Creata al chiosco GR-01", "Ricevuta dall", "Notifica per anna in coda",
                           "E-mail a anna accettata dal server", "Presa in carico da anna"})
    CHECK(page.body.find(step) != std::string::npos);
  CHECK(page.body.find("Canarino") == std::string::npos);

  // The admins' outbox page: every mail, its state and the relay's answer.
  std::string ada = hub.dir + "/ada.jar";
  REQUIRE(http("POST", hub.url("/console/admin/login"), "user=ada&password=password-ada", {}, "", ada).status == 302);
  Reply outbox = http("GET", hub.url("/console/admin/outbox"), "", {}, "", ada);
  REQUIRE(outbox.status == 200);
  CHECK(outbox.body.find("accepted as mail-1") != std::string::npos);
  CHECK(outbox.body.find("inviata") != std::string::npos);
}

TEST_CASE("notify: a hub killed (kill -9) after committing a mail and before sending it sends it once",
          "[e2e][hub][notify]") {
  REQUIRE(sodium_init() >= 0);
  Sink sink;
  REQUIRE(sink.start("notify-sink-crash"));
  std::string dir = harness::temp_dir("notify-crash-conf");
  std::string conf = notify_config(dir, sink);
  Hub hub;
  setenv("SPORTELLO_TEST_NOTIFY_PAUSE", "before_send", 1);
  bool started = hub.start("notify-crash", {"--notify-config", conf});
  unsetenv("SPORTELLO_TEST_NOTIFY_PAUSE");
  REQUIRE(started);
  provision(hub);
  std::string id = uuid(7);
  REQUIRE(post_request(hub, hub.token, id, request_body(hub, id, "GR1-KILL", kPerson, "GR-01", "ar")).status == 201);
  // The hook stops the sender after 'sending' is committed and before the relay is contacted.
  REQUIRE(wait_until([&] { return file_has(hub.dir + "/hub.log", "test pause before sending mail 1"); }));
  CHECK(mails_in_state(hub, "sending") == 1);
  kill(hub.server.pid, SIGKILL);
  waitpid(hub.server.pid, nullptr, 0);
  hub.server.pid = -1;
  CHECK(sink.mails().empty());

  harness::Server again;
  again.log_path = hub.dir + "/hub2.log";
  REQUIRE(again.start({SPORTELLO_HUB_BIN, "serve", "--data", hub.data, "--listen", "127.0.0.1:0", "--notify-config", conf},
                      "listening on 127.0.0.1:"));
  REQUIRE(wait_until([&] { return mails_in_state(hub, "sent") == 1; }));
  CHECK(mails_in_state(hub, "pending") + mails_in_state(hub, "sending") == 0);
  REQUIRE(sink.mails().size() == 1);
  CHECK(sink.rcpt(1) == "anna@mediatori.test\n");
  CHECK(sink.mails()[0].find("GR1-KILL") != std::string::npos);
  CHECK(hub.count("SELECT attempts FROM notify_mails WHERE id = 1") == 2);
  // The request was routed once: the restart did not queue it again.
  CHECK(hub.count("SELECT count(*) FROM notify_items") == 1);
}

TEST_CASE("notify: a hub killed between the relay's 250 and the commit sends again, with the same Message-ID",
          "[e2e][hub][notify]") {
  REQUIRE(sodium_init() >= 0);
  Sink sink;
  REQUIRE(sink.start("notify-sink-dup"));
  std::string dir = harness::temp_dir("notify-dup-conf");
  std::string conf = notify_config(dir, sink);
  Hub hub;
  setenv("SPORTELLO_TEST_NOTIFY_PAUSE", "after_send", 1);
  bool started = hub.start("notify-dup", {"--notify-config", conf});
  unsetenv("SPORTELLO_TEST_NOTIFY_PAUSE");
  REQUIRE(started);
  provision(hub);
  std::string id = uuid(8);
  REQUIRE(post_request(hub, hub.token, id, request_body(hub, id, "GR1-DUPL", kPerson, "GR-01", "ar")).status == 201);
  REQUIRE(wait_until([&] { return file_has(hub.dir + "/hub.log", "test pause after sending mail 1"); }));
  kill(hub.server.pid, SIGKILL);
  waitpid(hub.server.pid, nullptr, 0);
  hub.server.pid = -1;
  REQUIRE(sink.mails().size() == 1);
  harness::Server again;
  again.log_path = hub.dir + "/hub2.log";
  REQUIRE(again.start({SPORTELLO_HUB_BIN, "serve", "--data", hub.data, "--listen", "127.0.0.1:0", "--notify-config", conf},
                      "listening on 127.0.0.1:"));
  REQUIRE(wait_until([&] { return mails_in_state(hub, "sent") == 1; }));
  // The documented window: delivered twice, and the two carry one Message-ID.
  REQUIRE(sink.mails().size() == 2);
  auto message_id = [](const std::string& m) {
    size_t at = m.find("Message-ID: ");
    return at == std::string::npos ? std::string() : m.substr(at, m.find('\n', at) - at);
  };
  CHECK_FALSE(message_id(sink.mails()[0]).empty());
  CHECK(message_id(sink.mails()[0]) == message_id(sink.mails()[1]));
}

TEST_CASE("notify: a relay that refuses, stalls or drops gets retries and a visible error, and the mail arrives once",
          "[e2e][hub][notify]") {
  REQUIRE(sodium_init() >= 0);
  Sink sink;
  REQUIRE(sink.start("notify-sink-faults"));
  sink.mode("refuse5");
  Hub hub;
  std::string dir = harness::temp_dir("notify-faults-conf");
  REQUIRE(hub.start("notify-faults", {"--notify-config", notify_config(dir, sink)}));
  provision(hub);
  std::string id = uuid(9);
  REQUIRE(post_request(hub, hub.token, id, request_body(hub, id, "GR1-RTRY", kPerson, "GR-01", "ar")).status == 201);
  auto answer = [&](const std::string& mode, const std::string& expected) {
    int64_t before = hub.count("SELECT coalesce(max(attempts), 0) FROM notify_mails");
    sink.mode(mode);
    INFO(mode);
    bool seen = wait_until([&] {
      return hub.count("SELECT count(*) FROM notify_mails WHERE attempts > " + std::to_string(before + 1) +
                       " AND state = 'pending' AND last_answer LIKE '%" + expected + "%'") == 1;
    });
    CHECK(seen);
    CHECK(sink.mails().empty());
  };
  answer("refuse5", "550");
  answer("refuse4", "451");
  answer("stall", "timeout");
  answer("drop", "");
  CHECK(file_has(hub.dir + "/hub.log", "not sent (attempt"));
  sink.mode("accept");
  REQUIRE(wait_until([&] { return mails_in_state(hub, "sent") == 1; }));
  CHECK(sink.mails().size() == 1);
  CHECK(hub.count("SELECT count(*) FROM notify_mails") == 1);
}

TEST_CASE("notify: digest, escalation after the desk's working hours, daily summary on a virtual clock",
          "[e2e][hub][notify]") {
  REQUIRE(sodium_init() >= 0);
  Sink sink;
  REQUIRE(sink.start("notify-sink-clock"));
  std::string dir = harness::temp_dir("notify-clock-conf");
  std::string clock = dir + "/clock";
  int64_t t0 = time(nullptr);
  harness::write_file(clock, std::to_string(t0));
  // Desk GR-01 open every hour of every day (its working hours count fully); the default for other
  // desks is Mo-Fr 08:00-14:00.
  std::string conf = notify_config(dir, sink,
                                   "digest-minutes = 10\nescalation-hours = 4\ndesk-hours.GR-01 = Mo-Su 00:00-24:00\n"
                                   "summary-time = 18:00\n");
  setenv("SPORTELLO_TEST_CLOCK_FILE", clock.c_str(), 1);
  setenv("TZ", "UTC", 1);
  Hub hub;
  bool started = hub.start("notify-clock", {"--notify-config", conf});
  unsetenv("SPORTELLO_TEST_CLOCK_FILE");
  REQUIRE(started);
  provision(hub);
  REQUIRE(hub_cli(hub, "set-profile", {"--role", "admin", "--user", "ada", "--email", "ada@admin.test"}).find("profile of") !=
          std::string::npos);

  std::string a = uuid(11), b = uuid(12);
  REQUIRE(post_request(hub, hub.token, a, request_body(hub, a, "GR1-DIGA", kPerson, "GR-01", "ar")).status == 201);
  REQUIRE(wait_until([&] { return sink.mails().size() == 1; }));
  REQUIRE(post_request(hub, hub.token, b, request_body(hub, b, "GR1-DIGB", kPerson, "GR-01", "ar")).status == 201);
  REQUIRE(wait_until([&] { return hub.count("SELECT count(*) FROM notify_items WHERE request_id = '" + b + "'") == 1; }));
  // Digest: anna's second mail waits for the interval (10 min of the virtual clock).
  harness::write_file(clock, std::to_string(t0 + 601));
  REQUIRE(wait_until([&] { return sink.mails().size() == 2; }));
  CHECK(sink.mails()[1].find("GR1-DIGB") != std::string::npos);
  CHECK(sink.mails()[1].find("GR1-DIGA") == std::string::npos);
  CHECK(hub.count("SELECT created_at FROM notify_mails WHERE id = 2") >= t0 + 600);
  CHECK(hub.count("SELECT count(*) FROM notify_escalations") == 0);

  // Escalation: 4 working hours unclaimed; the coordinator hears of both, in one mail.
  harness::write_file(clock, std::to_string(t0 + 4 * 3600 + 700));
  REQUIRE(wait_until([&] { return hub.count("SELECT count(*) FROM notify_escalations") == 2; }));
  REQUIRE(wait_until([&] {
    for (const std::string& m : sink.mails())
      if (m.find("To: <ezio@mediatori.test>") != std::string::npos) return true;
    return false;
  }));
  std::string jar = hub.dir + "/anna.jar";
  REQUIRE(console_login(hub, jar, "anna"));
  Reply queue = http("GET", hub.url("/console/"), "", {}, "", jar);
  CHECK(queue.body.find("class=escalated><td><a id='GR1-DIGA'") != std::string::npos);
  CHECK(queue.body.find("class=escalated><td><a id='GR1-DIGB'") != std::string::npos);
  Reply timeline = http("GET", hub.url("/console/request/" + a + "/timeline"), "", {}, "", jar);
  CHECK(timeline.body.find("segnalata ai coordinatori") != std::string::npos);
  // A claimed request leaves the red.
  REQUIRE(console_claim(hub, jar, a));
  queue = http("GET", hub.url("/console/"), "", {}, "", jar);
  CHECK(queue.body.find("class=escalated><td><a id='GR1-DIGA'") == std::string::npos);

  // The daily summary: the next day at 18:00 UTC the admin with an address gets the counts.
  int64_t next_day = (t0 + 4 * 3600 + 700) / 86400 * 86400 + 86400;
  harness::write_file(clock, std::to_string(next_day + 18 * 3600 + 60));
  time_t day = (time_t)next_day;
  struct tm tm;
  gmtime_r(&day, &tm);
  char title[64];
  strftime(title, sizeof title, "Riepilogo del %Y-%m-%d", &tm);
  std::string summary;
  REQUIRE(wait_until([&] {
    for (const std::string& m : sink.mails())
      if (m.find("To: <ada@admin.test>") != std::string::npos && m.find(title) != std::string::npos) summary = m;
    return !summary.empty();
  }));
  CHECK(summary.find("Subject: Sportello: riepilogo giornaliero") != std::string::npos);
  CHECK(summary.find("Richieste aperte: 2") != std::string::npos);
  CHECK(summary.find("di cui da prendere: 1") != std::string::npos);
  unsetenv("TZ");
}

TEST_CASE("notify: a day with nothing to say sends no summary", "[e2e][hub][notify]") {
  Sink sink;
  REQUIRE(sink.start("notify-sink-quiet"));
  std::string dir = harness::temp_dir("notify-quiet-conf");
  std::string clock = dir + "/clock";
  harness::write_file(clock, "1772476200");  // 2026-03-02T18:30:00Z, a Monday, after the summary time
  setenv("SPORTELLO_TEST_CLOCK_FILE", clock.c_str(), 1);
  setenv("TZ", "UTC", 1);
  Hub hub;
  bool started = hub.start("notify-quiet", {"--notify-config", notify_config(dir, sink, "summary-time = 18:00\n")});
  unsetenv("SPORTELLO_TEST_CLOCK_FILE");
  unsetenv("TZ");
  REQUIRE(started);
  REQUIRE(hub_cli(hub, "set-profile", {"--role", "admin", "--user", "ada", "--email", "ada@admin.test"}).find("profile of") !=
          std::string::npos);
  REQUIRE(wait_until([&] { return file_has(hub.dir + "/hub.log", "daily summary 2026-03-02: nothing to say"); }));
  CHECK(hub.count("SELECT count(*) FROM notify_items") == 0);
  CHECK(sink.mails().empty());
}

TEST_CASE("notify: STARTTLS with a real certificate and AUTH", "[e2e][hub][notify]") {
  REQUIRE(sodium_init() >= 0);
  std::string dir = harness::temp_dir("notify-tls-conf");
  REQUIRE(system(("cd " + dir + " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
                  "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout key.pem -out cert.pem 2>/dev/null")
                     .c_str()) == 0);
  Sink sink;
  REQUIRE(sink.start("notify-sink-tls", dir + "/cert.pem", dir + "/key.pem", "hubmail", "relay-secret-9"));
  harness::write_file(dir + "/smtp.pass", "relay-secret-9\n");
  std::string conf = dir + "/notify.conf";
  harness::write_file(conf, "smtp-url = smtp://127.0.0.1:" + sink.server.port +
                                "\nsmtp-from = sportello@hub.test\nconsole-url = https://console.test\nsmtp-user = hubmail\n"
                                "smtp-password-file = " + dir + "/smtp.pass\nsmtp-ca-file = " + dir +
                                "/cert.pem\nsmtp-timeout = 5\nretry-base = 1\nretry-max = 2\n");
  Hub hub;
  REQUIRE(hub.start("notify-tls", {"--notify-config", conf}));
  provision(hub);
  std::string id = uuid(21);
  REQUIRE(post_request(hub, hub.token, id, request_body(hub, id, "GR1-TLSS", kPerson, "GR-01", "ar")).status == 201);
  REQUIRE(wait_until([&] { return mails_in_state(hub, "sent") == 1; }));
  REQUIRE(sink.mails().size() == 1);
  CHECK(sink.mails()[0].find("GR1-TLSS") != std::string::npos);
  // The password is in no log and no database file.
  CHECK_FALSE(file_has(hub.dir + "/hub.log", "relay-secret-9"));
  CHECK_FALSE(file_has(hub.data + "/hub.db", "relay-secret-9"));
}

TEST_CASE("notify: a bad notifications file stops the hub at start-up with file and line", "[e2e][hub][notify]") {
  std::string dir = harness::temp_dir("notify-badconf");
  Hub hub;
  harness::write_file(dir + "/a.conf", "smtp-url = smtp://relay.example.org:587\nsmtp-tls = none\n"
                                       "smtp-from = s@x.test\nconsole-url = https://c.test\n");
  harness::write_file(dir + "/b.conf", "smtp-url = smtps://relay.example.org\nsmtp-from = s@x.test\n"
                                       "console-url = https://c.test\ndesk-hours = Mo-Xx 08:00-14:00\n");
  harness::write_file(dir + "/c.conf", "smtp-url = smtps://relay.example.org\nsmtp-from = s@x.test\n"
                                       "console-url = https://c.test\nsmtp-user = u\nsmtp-password-file = /nonexistent\n");
  REQUIRE(hub.start("notify-badconf-hub"));
  for (const char* f : {"a.conf", "b.conf", "c.conf"}) {
    std::string out = harness::capture({"/bin/sh", "-c", std::string(SPORTELLO_HUB_BIN) + " serve --data '" + hub.data +
                                                             "' --listen 127.0.0.1:0 --notify-config " + dir + "/" + f +
                                                             " 2>&1; echo status=$?"});
    INFO(out);
    CHECK(out.find("status=2") != std::string::npos);
    CHECK(out.find(std::string(f)) != std::string::npos);
  }
}

TEST_CASE("profiles: an admin sets languages and desks in the console, a mediator only their duty and address",
          "[e2e][hub][notify]") {
  Hub hub;
  REQUIRE(hub.start("notify-profiles"));
  std::string ada = hub.dir + "/ada.jar", anna = hub.dir + "/anna.jar";
  REQUIRE(http("POST", hub.url("/console/admin/login"), "user=ada&password=password-ada", {}, "", ada).status == 302);
  Reply list = http("GET", hub.url("/console/admin/profiles"), "", {}, "", ada);
  REQUIRE(list.status == 200);
  CHECK(list.body.find("id='profile-console-anna'") != std::string::npos);
  Reply edit = http("GET", hub.url("/console/admin/profiles/console/anna"), "", {}, "", ada);
  REQUIRE(edit.status == 200);
  CHECK(edit.body.find("name='desk_GR-01'") != std::string::npos);
  Reply saved = http("POST", hub.url("/console/admin/profiles/console/anna"),
                     "csrf=" + csrf_of(edit.body) + "&lang_ar=1&lang_ti=1&desk_GR-01=1&coordinator=1&email=anna%40m.test",
                     {}, "", ada);
  CHECK(saved.status == 302);
  CHECK(hub_cli(hub, "show-profiles", {}).find("anna mediator off-duty coordinator languages=ar,ti desks=GR-01 "
                                               "email=anna@m.test") != std::string::npos);
  // A bad address is refused, and nothing changes.
  edit = http("GET", hub.url("/console/admin/profiles/console/anna"), "", {}, "", ada);
  http("POST", hub.url("/console/admin/profiles/console/anna"), "csrf=" + csrf_of(edit.body) + "&email=not-an-address",
       {}, "", ada);
  CHECK(hub_cli(hub, "show-profiles", {}).find("email=anna@m.test") != std::string::npos);

  // The mediator: duty and address; languages and desks are shown, not editable.
  REQUIRE(console_login(hub, anna, "anna"));
  Reply mine = http("GET", hub.url("/console/profile"), "", {}, "", anna);
  REQUIRE(mine.status == 200);
  CHECK(mine.body.find("arabo (ar), tigrino (ti)") != std::string::npos);
  CHECK(mine.body.find("name=lang_") == std::string::npos);
  Reply duty = http("POST", hub.url("/console/profile"),
                    "csrf=" + csrf_of(mine.body) + "&on_duty=1&email=anna%40casa.test&lang_fr=1", {}, "", anna);
  CHECK(duty.status == 302);
  CHECK(hub_cli(hub, "show-profiles", {}).find("anna mediator on-duty coordinator languages=ar,ti desks=GR-01 "
                                               "email=anna@casa.test") != std::string::npos);
  // Without the CSRF token nothing changes; an admin's session does not open the mediator's page.
  http("POST", hub.url("/console/profile"), "on_duty=0", {}, "", anna);
  CHECK(hub_cli(hub, "show-profiles", {}).find("anna mediator on-duty") != std::string::npos);
  CHECK(http("GET", hub.url("/console/profile"), "", {}, "", ada).status == 302);
  CHECK(http("GET", hub.url("/console/admin/profiles"), "", {}, "", anna).status == 302);
  CHECK(hub.count("SELECT count(*) FROM audit WHERE action = 'profile_set' AND user = 'ada' AND request_id = 'user:anna'") == 1);
  CHECK(hub.count("SELECT count(*) FROM audit WHERE action = 'duty_set:on' AND user = 'anna'") == 1);
}
