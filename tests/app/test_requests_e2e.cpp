// Mediator requests end to end on loopback: the real kiosk binary, headless, submits a
// request; the real hub stores it once; the visitor's reference code finds it; nothing personal
// is left in a kiosk file.
#include "harness.h"

#include <catch2/catch.hpp>
#include <curl/curl.h>

#include <filesystem>
#include <map>
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

namespace {

// The entries of a stderr in the Journal Export Format: KEY=VALUE lines, a blank line after each.
std::vector<std::map<std::string, std::string>> journal_entries(const std::string& text) {
  std::vector<std::map<std::string, std::string>> out;
  std::map<std::string, std::string> entry;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    size_t eq = line.find('=');
    if (line.empty()) {
      if (!entry.empty()) out.push_back(std::move(entry));
      entry.clear();
    } else if (eq != std::string::npos && eq > 0 &&
               line.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == eq) {
      entry[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  if (!entry.empty()) out.push_back(std::move(entry));
  return out;
}

bool has_event(const std::vector<std::map<std::string, std::string>>& entries, const std::string& event,
               const std::string& ref, const std::string& identifier) {
  for (const auto& e : entries) {
    auto field = [&](const char* k) { auto it = e.find(k); return it == e.end() ? std::string() : it->second; };
    if (field("SPORTELLO_EVENT") == event && field("SPORTELLO_REQUEST_REF") == ref &&
        field("SYSLOG_IDENTIFIER") == identifier && field("SPORTELLO_KIOSK_ID") == "GR-01" && !field("MESSAGE").empty() &&
        !field("PRIORITY").empty())
      return true;
  }
  return false;
}

}  // namespace

TEST_CASE("the journal entries of a request's life name it by its ref and never hold the name or phone",
          "[e2e][requests][journal]") {
  std::string dir = harness::temp_dir("journal");
  Hub hub;
  REQUIRE(hub.start("journal-hub"));
  harness::write_file(dir + "/token", hub.token + "\n");
  std::filesystem::create_directories(dir + "/kiosk");
  auto args = [&](const std::string& hub_url) {
    return std::vector<std::string>{"--outbox-db", dir + "/kiosk/outbox.db", "--hub-url", hub_url, "--kiosk-id", "GR-01",
                                    "--ref-prefix", "GR1", "--hub-token-file", dir + "/token", "--hub-public-key",
                                    hub.public_key, "--log-target", "export"};
  };
  // First with the hub unreachable (nothing listens on port 1): queued, then a failed upload.
  harness::Run offline = harness::run_kiosk(
      "tap home.start\ntap lang.it\ntap welcome.start\ntap nav.mediator\ntap mediator.topic.health\n"
      "tap mediator.by_phone\ntap mediator.next\n"
      "type " + std::string(kCanaryName) + "\n"
      "tap mediator.phone\n"
      "type " + kCanaryPhone + "\n"
      "tap mediator.next\ntap mediator.consent\ntap mediator.send\n"
      "dump done\n"
      "drain 3000\n",
      args("http://127.0.0.1:1"));
  INFO(offline.stderr_text);
  REQUIRE(offline.exit_code == 1);  // the drain step fails: the hub is down
  REQUIRE(offline.stderr_text.find("requests still queued") != std::string::npos);
  nlohmann::json ref = element(harness::load_dump(offline, "done"), "mediator.ref");
  REQUIRE(ref.is_object());
  std::string code = ref["text"];

  // Then with the hub up: delivered.
  harness::Run online = harness::run_kiosk("drain 30000\n", args(hub.url()));
  INFO(online.stderr_text);
  REQUIRE(online.exit_code == 0);
  CHECK(hub.rows_with_ref(code) == 1);

  auto before = journal_entries(offline.stderr_text), after = journal_entries(online.stderr_text);
  CHECK(has_event(before, "request_queued", code, "sportello"));
  CHECK(has_event(before, "upload_failed", code, "sportello-uploader"));
  CHECK(has_event(after, "upload_ok", code, "sportello-uploader"));
  CHECK_FALSE(has_event(before, "upload_ok", code, "sportello-uploader"));

  // Nothing of the visitor anywhere in either process's log: not the name, not a word of it, not
  // the phone, in no field.
  for (const std::string* text : {&offline.stderr_text, &online.stderr_text})
    for (const char* canary : {kCanaryName, "Zzcanary", "Qqvisitor", kCanaryPhone}) CHECK(text->find(canary) == std::string::npos);
  for (const auto* entries : {&before, &after})
    for (const auto& e : *entries)
      for (const auto& [key, value] : e) {
        CHECK(value.find("Zzcanary") == std::string::npos);
        CHECK(value.find(kCanaryPhone) == std::string::npos);
      }
}
