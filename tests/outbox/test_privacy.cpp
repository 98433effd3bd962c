// Privacy test: a canary name and phone number, enqueued through the real
// outbox-tool and delivered to the real hub, are found in no kiosk file: database, WAL, shared
// memory, log. Searched as UTF-8 in three cases, as UTF-16 (both byte orders), and the phone
// also as bare digits.
#include "child.h"
#include "real_hub.h"
#include "test_util.h"

#include <algorithm>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <fstream>
#include <iterator>

using namespace outbox;
using namespace outbox_test;

static const char* kName = "Zanele Canarytest";
static const char* kPhone = "+39 347 555 0199";

static std::string upper(std::string s) {
  for (char& c : s) c = (char)toupper((unsigned char)c);
  return s;
}
static std::string lower(std::string s) {
  for (char& c : s) c = (char)tolower((unsigned char)c);
  return s;
}
static std::string utf16(const std::string& ascii, bool big_endian) {
  std::string out;
  for (char c : ascii) {
    if (big_endian) out += '\0';
    out += c;
    if (!big_endian) out += '\0';
  }
  return out;
}

static std::vector<std::string> needles() {
  std::vector<std::string> base = {kName, "Canarytest", kPhone, "3475550199", "347 555 0199"};
  std::vector<std::string> out;
  for (const std::string& b : base)
    for (const std::string& v : {b, upper(b), lower(b)}) {
      out.push_back(v);
      out.push_back(utf16(v, false));
      out.push_back(utf16(v, true));
    }
  return out;
}

// Every file under dir whose bytes contain one of the needles, with the needle's index.
static std::vector<std::string> findings(const std::filesystem::path& dir) {
  std::vector<std::string> found;
  std::vector<std::string> ns = needles();
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream f(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), {});
    for (size_t i = 0; i < ns.size(); i++)
      if (bytes.find(ns[i]) != std::string::npos) found.push_back(entry.path().filename().string() + "#" + std::to_string(i));
  }
  return found;
}

static std::vector<std::string> files_in(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path().filename().string());
  return out;
}

TEST_CASE("outbox-privacy-00 the scanner finds the canary in every encoding it checks", "[outbox][privacy]") {
  TempDir dir;
  std::ofstream(dir.file("plain.txt")) << "x" << upper(kName) << "x";
  std::ofstream(dir.file("wide.bin"), std::ios::binary) << utf16("3475550199", true);
  std::vector<std::string> f = findings(dir.path);
  CHECK(std::count_if(f.begin(), f.end(), [](auto& s) { return s.rfind("plain.txt#", 0) == 0; }) >= 1);
  CHECK(std::count_if(f.begin(), f.end(), [](auto& s) { return s.rfind("wide.bin#", 0) == 0; }) >= 1);
}

TEST_CASE("outbox-privacy-01 a canary name and phone reach no kiosk file", "[outbox][privacy]") {
  TempDir dir;
  harness::Hub hub;
  REQUIRE(hub.start("privacy-hub"));
  Config c = config_for(hub, dir);
  std::string tool = SPORTELLO_BINARY_DIR "/kiosk/outbox/outbox-tool";
  std::vector<std::string> base = {tool,      "--db",    c.db_path,  "--hub",     c.hub_url,  "--kiosk",
                                   c.kiosk_id, "--prefix", c.ref_prefix, "--token", c.token, "--hub-key",
                                   c.hub_public_key_b64, "--name",  kName,      "--phone",   kPhone};
  std::string log = dir.file("kiosk.log");
  std::vector<std::string> enqueue = base;
  enqueue.insert(enqueue.end(), {"enqueue", "3"});
  Child one(enqueue, log);
  REQUIRE(one.wait() == 0);
  CHECK(one.lines().size() == 3);
  INFO("files: " << nlohmann::json(files_in(dir.path)).dump());
  CHECK(findings(dir.path).empty());  // after enqueue, before any upload

  std::vector<std::string> drain = base;
  drain.insert(drain.end(), {"--timeout-ms", "30000", "drain"});
  Child two(drain, log);
  REQUIRE(two.wait() == 0);
  REQUIRE(hub.rows() == 3);
  CHECK(findings(dir.path).empty());  // after delivery
  {  // and while a connection is open, so the WAL and shared memory files exist and are scanned
    Outbox box = Outbox::open(c);
    REQUIRE(box.ok());
    RequestInput in;
    fill(in, kName, kPhone);
    REQUIRE(box.enqueue(in).ok);
    std::vector<std::string> files = files_in(dir.path);
    CHECK(std::count(files.begin(), files.end(), "outbox.db-wal") == 1);
    CHECK(std::count(files.begin(), files.end(), "outbox.db-shm") == 1);
    CHECK(findings(dir.path).empty());
  }
  // The canary did travel, sealed: the hub stores the sealed box, and only its secret key opens it.
  std::string key = harness::read_file(hub.data + "/hub.key");  // public key, then secret key
  REQUIRE(key.size() == crypto_box_PUBLICKEYBYTES + crypto_box_SECRETKEYBYTES);
  const unsigned char* pk = (const unsigned char*)key.data();
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2((hub.data + "/hub.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT sealed FROM requests", -1, &st, nullptr) == SQLITE_OK);
  int opened = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char* sealed = (const unsigned char*)sqlite3_column_blob(st, 0);
    size_t len = (size_t)sqlite3_column_bytes(st, 0);
    REQUIRE(len > crypto_box_SEALBYTES);
    std::string plain(len - crypto_box_SEALBYTES, '\0');
    REQUIRE(crypto_box_seal_open((unsigned char*)plain.data(), sealed, len, pk, pk + crypto_box_PUBLICKEYBYTES) == 0);
    nlohmann::json contact = nlohmann::json::parse(plain);
    CHECK(contact["name"] == kName);
    CHECK(contact["phone"] == kPhone);
    opened++;
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  CHECK(opened == 3);
}
