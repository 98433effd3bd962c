// End-to-end fault tests: between the kiosk's uploader and the real sportello-hub sits
// a real TCP fault proxy on loopback. For each fault: requests enqueued while it lasts must not be
// acknowledged (none before it is real), and after recovery each reaches the hub exactly once.
#include "fault_proxy.h"
#include "outbox_internal.h"
#include "real_hub.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <memory>
#include <set>
#include <fstream>

using namespace outbox;
using namespace outbox_test;

static const int kRequests = 4;

struct Pki {  // made with the openssl CLI for each test run
  std::string ca, hub_cert, hub_key, rogue_cert, rogue_key, other_cert, other_key, pin;
  bool ok = false;
};

static bool sh(const std::string& cmd) {
  bool ok = std::system(("( " + cmd + " ) >/dev/null 2>&1").c_str()) == 0;
  if (!ok) fprintf(stderr, "failed: %s\n", cmd.c_str());
  return ok;
}

static Pki make_pki(const TempDir& dir) {
  Pki p;
  std::string d = dir.path.string() + "/";
  std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  std::ofstream(d + "san.ext") << "subjectAltName=IP:127.0.0.1\n";
  p.ca = d + "ca.crt";
  p.hub_cert = d + "hub.crt", p.hub_key = d + "hub.key";
  p.rogue_cert = d + "rogue.crt", p.rogue_key = d + "rogue.key";
  p.other_cert = d + "other.crt", p.other_key = d + "other.key";
  bool ok = sh("openssl req -x509 " + ec + " -keyout " + d + "ca.key -out " + p.ca + " -subj /CN=Sportello-Test-CA -days 2");
  // The hub's certificate and another one from the same CA with another key (passes the CA,
  // fails the pin), and a self-signed impostor (fails the CA).
  for (const char* name : {"hub", "other"}) {
    std::string n = d + name;
    ok = ok && sh("openssl req -new " + ec + " -keyout " + n + ".key -out " + n + ".csr -subj /CN=127.0.0.1");
    ok = ok && sh("openssl x509 -req -in " + n + ".csr -CA " + p.ca + " -CAkey " + d + "ca.key -CAcreateserial -out " +
                  n + ".crt -days 2 -extfile " + d + "san.ext");
  }
  ok = ok && sh("openssl req -x509 " + ec + " -keyout " + p.rogue_key + " -out " + p.rogue_cert +
                " -subj /CN=127.0.0.1 -days 2 -addext subjectAltName=IP:127.0.0.1");
  std::string pin_file = d + "pin.txt";
  ok = ok && sh("openssl pkey -in " + p.hub_key + " -pubout -outform der | openssl dgst -sha256 -binary | openssl base64 -A > " +
                pin_file);
  std::ifstream f(pin_file);
  std::string b64;
  f >> b64;
  p.pin = "sha256//" + b64;
  p.ok = ok && b64.size() == 44;
  return p;
}

// A real hub in its own data dir, over TLS when given a certificate.
static void start_hub(harness::Hub& hub, const char* name, const std::string& cert = "", const std::string& key = "") {
  std::vector<std::string> tls;
  if (!cert.empty()) {
    hub.scheme = "https";
    tls = {"--tls-cert", cert, "--tls-key", key};
  }
  REQUIRE(hub.start(name, tls));
}

// One round: fault on, enqueue, prove no false ack, fault off, drain, prove exactly once.
static void fault_round(Fault fault, bool tls, const std::string& impostor_cert = "", const std::string& expect_error = "") {
  INFO("fault " << fault_name(fault) << (tls ? " over TLS" : ""));
  TempDir dir;
  Pki pki;
  if (tls) {
    pki = make_pki(dir);
    REQUIRE(pki.ok);
  }
  harness::Hub hub;
  start_hub(hub, "fault-hub", tls ? pki.hub_cert : "", tls ? pki.hub_key : "");
  // The impostor is a real hub too, behind a certificate the kiosk must refuse.
  std::unique_ptr<harness::Hub> impostor;
  if (!impostor_cert.empty()) {
    impostor = std::make_unique<harness::Hub>();
    bool rogue = impostor_cert == "rogue";
    start_hub(*impostor, "fault-impostor", rogue ? pki.rogue_cert : pki.other_cert, rogue ? pki.rogue_key : pki.other_key);
  }
  FaultProxy proxy(std::stoi(hub.server.port), impostor ? std::stoi(impostor->server.port) : 0);
  REQUIRE(proxy.ok());
  proxy.set(fault);
  Config c = config_for(hub, dir, (tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(proxy.port()));
  fast_retries(c);
  if (tls) {
    c.ca_file = pki.ca;
    c.pinned_public_key = pki.pin;
  }
  Outbox box = Outbox::open(c);
  REQUIRE(box.ok());
  std::set<std::string> queued;
  for (int i = 0; i < kRequests; i++) {
    RequestInput in;
    fill(in, "Amina", "+39 333 1234567");
    EnqueueResult r = box.enqueue(in);
    REQUIRE(r.ok);
    queued.insert(r.id);
  }
  Uploader up(c);
  REQUIRE(up.start());
  REQUIRE(wait_until([&] { return up.snapshot().attempts >= 2; }, 30000));  // the fault was met
  CHECK(box.status().queue_depth == kRequests);  // no false acknowledgement
  CHECK(up.snapshot().acked == 0);
  if (fault == Fault::ResetMid) {
    CHECK(hub.rows() >= 1);  // the hub did store what the kiosk never saw acknowledged
  } else {
    CHECK(hub.rows() == 0);
  }
  if (impostor) CHECK(impostor->rows() == 0);  // the handshake failed before any byte of data
  std::string last_error = box.status().last_error;
  CHECK_FALSE(last_error.empty());
  if (!expect_error.empty()) CHECK_THAT(last_error, Catch::Contains(expect_error));

  proxy.set(Fault::Pass);
  up.wake();
  REQUIRE(wait_until([&] { return box.status().queue_depth == 0; }, 30000));
  up.stop();
  // Exactly once: the hub holds these ids and nothing else. Its primary key is the request id; an
  // upload repeated after a lost answer is answered as a replay, never stored twice.
  CHECK(hub.ids() == queued);
  CHECK(box.status().permanent_errors == 0);
  CHECK(box.status().sent_total == kRequests);
}

TEST_CASE("outbox-fault-01 hub down", "[outbox][fault]") { fault_round(Fault::Down, false); }
TEST_CASE("outbox-fault-02 HTTP 500", "[outbox][fault]") { fault_round(Fault::Http500, false); }
TEST_CASE("outbox-fault-03 HTTP 503 with Retry-After", "[outbox][fault]") { fault_round(Fault::Http503, false, "", "HTTP 503"); }
TEST_CASE("outbox-fault-04 HTTP 429 with Retry-After", "[outbox][fault]") { fault_round(Fault::Http429, false, "", "HTTP 429"); }
TEST_CASE("outbox-fault-05 a stalled response hits the low-speed limit", "[outbox][fault]") {
  fault_round(Fault::Stall, false, "", "Operation too slow");
}
TEST_CASE("outbox-fault-06 connection reset mid-response", "[outbox][fault]") { fault_round(Fault::ResetMid, false); }
TEST_CASE("outbox-fault-07 a captive portal's 200 HTML page", "[outbox][fault]") { fault_round(Fault::Html200, false, "", "without the expected acknowledgement"); }
TEST_CASE("outbox-fault-08 TLS: hub down, then delivery over verified TLS", "[outbox][fault][tls]") {
  fault_round(Fault::Down, true);
}
TEST_CASE("outbox-fault-09 TLS: a self-signed impostor certificate", "[outbox][fault][tls]") {
  fault_round(Fault::Impostor, true, "rogue", "SSL certificate problem");
}
TEST_CASE("outbox-fault-10 TLS: a CA-signed certificate with the wrong pinned key", "[outbox][fault][tls]") {
  fault_round(Fault::Impostor, true, "other", "does not match pinned public key");
}
