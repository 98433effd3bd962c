// Mediator requests end to end on loopback: the real kiosk binary, headless, submits a
// request; the real hub stores it once; the visitor's reference code finds it; nothing personal
// is left in a kiosk file.
#include "harness.h"

#include <catch2/catch.hpp>
#include <curl/curl.h>

#include <filesystem>
#include <memory>

using harness::element;

namespace {

const char* kCanaryName = "Zzcanary Qqvisitor";
const char* kCanaryPhone = "3399917735";

using harness::Hub;

size_t collect(char* p, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

// GET /api/v1/requests/status?ref= with the kiosk's token: the hub's own answer.
long hub_status(const Hub& hub, const std::string& ref, std::string* body) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  std::string url = hub.url("/api/v1/requests/status?ref=" + ref);
  curl_slist* headers = curl_slist_append(nullptr, ("Authorization: Bearer " + hub.token).c_str());
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, body);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 10L);
  long code = 0;
  if (curl_easy_perform(curl.get()) == CURLE_OK) curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(headers);
  return code;
}

}  // namespace

TEST_CASE("a visitor's request reaches the hub once, sealed, a mediator closes it, the code shows it", "[e2e][requests]") {
  std::string dir = harness::temp_dir("requests");
  Hub hub;
  REQUIRE(hub.start("requests-hub"));
  harness::write_file(dir + "/token", hub.token + "\n");
  std::vector<std::string> kiosk_args = {"--outbox-db", dir + "/kiosk/outbox.db", "--hub-url", hub.url(), "--kiosk-id",
                                         "GR-01", "--ref-prefix", "GR1", "--hub-token-file", dir + "/token",
                                         "--hub-public-key", hub.public_key};
  std::filesystem::create_directories(dir + "/kiosk");
  harness::Run run = harness::run_kiosk(
      "tap home.start\n"
      "tap lang.ar\n"
      "tap welcome.start\n"
      "tap nav.mediator\n"
      "tap mediator.topic.health\n"
      "tap mediator.by_phone\n"
      "tap mediator.next\n"
      "type " + std::string(kCanaryName) + "\n"
      "tap mediator.phone\n"
      "type " + kCanaryPhone + "\n"
      "dump details\n"
      "tap mediator.next\n"
      "dump privacy\n"
      "tap mediator.send\n"
      "dump without-consent\n"
      "tap mediator.consent\n"
      "tap mediator.send\n"
      "dump done\n"
      "shot done\n"
      "drain 30000\n",
      kiosk_args);
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);

  CHECK(harness::load_dump(run, "without-consent")["screen"] == "mediator");
  CHECK_FALSE(element(harness::load_dump(run, "without-consent"), "mediator.ref").is_object());
  nlohmann::json done = harness::load_dump(run, "done");
  nlohmann::json ref = element(done, "mediator.ref");
  REQUIRE(ref.is_object());
  std::string code = ref["text"];
  CHECK(code.rfind("GR1-", 0) == 0);
  CHECK(element(done, "mediator.qr").is_object());

  std::string body;
  CHECK(hub_status(hub, code, &body) == 200);
  CHECK(body.find("\"received\"") != std::string::npos);

  // A mediator claims and closes it in the console, in headless Chromium.
  std::string claim = "/usr/bin/python3 " SPORTELLO_SOURCE_DIR "/tests/hub/console_claim.py --url " + hub.url() +
                      " --ref1 " + code + " --out " + dir + " > " + dir + "/chromium.log 2>&1";
  int claimed = system(claim.c_str());
  INFO(harness::read_file(dir + "/chromium.log"));
  REQUIRE(claimed == 0);

  // The visitor comes back and types the code (lower case, without the dash): the kiosk asks the hub.
  std::string typed = code;
  typed.erase(typed.find('-'), 1);
  for (char& c : typed) c = (char)tolower((unsigned char)c);
  harness::Run check = harness::run_kiosk(
      "tap home.start\ntap lang.ar\ntap welcome.start\ntap nav.mediator\ntap mediator.check\n"
      "type " + typed + "\n"
      "tap check.go\n"
      "dump check\n",
      kiosk_args);
  INFO(check.stderr_text);
  REQUIRE(check.exit_code == 0);
  nlohmann::json result = element(harness::load_dump(check, "check"), "check.result");
  REQUIRE(result.is_object());
  CHECK(result["lang"] == "ar");
  CHECK(result["text"] == "مغلق");  // status.done in Arabic: the mediator closed it

  // The visitor's data erased at the hub (an erasure request, or the retention period): the same
  // check now says, in the visitor's language, that the request expired.
  REQUIRE(system((std::string(SPORTELLO_HUB_BIN) + " erase --data " + hub.data + " --ref " + code + " > " + dir +
                  "/erase.log 2>&1").c_str()) == 0);
  harness::Run expired = harness::run_kiosk(
      "tap home.start\ntap lang.ar\ntap welcome.start\ntap nav.mediator\ntap mediator.check\n"
      "type " + typed + "\n"
      "tap check.go\n"
      "dump check\n",
      kiosk_args);
  REQUIRE(expired.exit_code == 0);
  nlohmann::json gone = element(harness::load_dump(expired, "check"), "check.result");
  REQUIRE(gone.is_object());
  CHECK(gone["text"].get<std::string>().rfind("انتهت صلاحية الطلب", 0) == 0);  // status.expired in Arabic

  // Nothing personal in any kiosk file: database, WAL, or its log.
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir + "/kiosk")) {
    if (!f.is_regular_file()) continue;
    std::string bytes = harness::read_file(f.path());
    CHECK(bytes.find(kCanaryName) == std::string::npos);
    CHECK(bytes.find(kCanaryPhone) == std::string::npos);
  }
  CHECK(run.stderr_text.find(kCanaryName) == std::string::npos);
  CHECK(run.stderr_text.find(kCanaryPhone) == std::string::npos);
  // ...nor in the hub's: it stores the sealed box only.
  for (const auto& f : std::filesystem::recursive_directory_iterator(hub.data)) {
    if (!f.is_regular_file()) continue;
    std::string bytes = harness::read_file(f.path());
    CHECK(bytes.find(kCanaryPhone) == std::string::npos);
  }
}
