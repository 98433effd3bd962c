// Unit tests of the outbox database: schema, durable enqueue, sealing, wipe, refs, full disk.
#include "outbox_internal.h"
#include "test_util.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <regex>
#include <set>

using namespace outbox;
using namespace outbox_test;


static int64_t query_int(sqlite3* db, const char* sql) {
  Stmt st(db, sql);
  return st.step() == SQLITE_ROW ? st.col_int(0) : -1;
}

TEST_CASE("outbox-db-01 open creates the schema in WAL mode and reopens", "[outbox][db]") {
  TempDir dir;
  HubKeys keys;
  Config c = make_config(dir, keys);
  {
    Outbox box = Outbox::open(c);
    INFO(box.error());
    REQUIRE(box.ok());
    sqlite3* db = box.state()->db.get();
    CHECK(query_int(db, "PRAGMA user_version") == 1);
    Stmt mode(db, "PRAGMA journal_mode");
    REQUIRE(mode.step() == SQLITE_ROW);
    CHECK(mode.col_text(0) == "wal");
    CHECK(query_int(db, "PRAGMA synchronous") == 2);  // FULL
    CHECK(query_int(db, "PRAGMA secure_delete") == 1);
  }
  Outbox again = Outbox::open(c);
  CHECK(again.ok());
  CHECK(again.status().queue_depth == 0);
}

TEST_CASE("outbox-db-02 a database from a newer schema is refused with a clear error", "[outbox][db]") {
  TempDir dir;
  HubKeys keys;
  Config c = make_config(dir, keys);
  {
    Outbox box = Outbox::open(c);
    REQUIRE(box.ok());
    REQUIRE(exec(box.state()->db.get(), "PRAGMA user_version = 7", nullptr));
  }
  Outbox box = Outbox::open(c);
  CHECK_FALSE(box.ok());
  CHECK(box.error() == "outbox database has schema 7, this build knows 1");
}

TEST_CASE("outbox-db-03 a bad hub key or missing prefix gives an inert outbox", "[outbox][db]") {
  TempDir dir;
  HubKeys keys;
  Config c = make_config(dir, keys);
  c.hub_public_key_b64 = "bm90IGEga2V5";
  Outbox box = Outbox::open(c);
  CHECK_FALSE(box.ok());
  CHECK(box.error() == "hub public key must be standard base64 of 32 bytes");
  RequestInput in;
  fill(in, "Amina", "+39 333 1234567");
  EnqueueResult r = box.enqueue(in);
  CHECK_FALSE(r.ok);
  CHECK(in.name.empty());
  CHECK_FALSE(box.status().ok);
}

TEST_CASE("outbox-db-04 enqueued requests survive close and reopen", "[outbox][db]") {
  TempDir dir;
  HubKeys keys;
  Config c = make_config(dir, keys);
  std::vector<std::string> refs, ids;
  {
    Outbox box = Outbox::open(c);
    REQUIRE(box.ok());
    for (int i = 0; i < 3; i++) {
      RequestInput in;
      fill(in, "Amina", "+39 333 1234567");
      EnqueueResult r = box.enqueue(in);
      REQUIRE(r.ok);
      refs.push_back(r.ref);
      ids.push_back(r.id);
    }
  }
  Outbox box = Outbox::open(c);
  REQUIRE(box.ok());
  QueueStatus q = box.status();
  REQUIRE(q.ok);
  CHECK(q.queue_depth == 3);
  CHECK(q.permanent_errors == 0);
  for (const std::string& ref : refs) {
    LocalLookup l = box.lookup(ref);
    CHECK(l.found);
    CHECK(l.state == RequestState::Queued);
  }
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 3);
  std::regex uuid("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (const std::string& id : ids) CHECK(std::regex_match(id, uuid));
}

TEST_CASE("outbox-db-05 the body is the protocol JSON and only the hub key opens the seal", "[outbox][db]") {
  TempDir dir;
  HubKeys keys, other;
  Config c = make_config(dir, keys);
  int64_t fixed = 1795424400000;  // 2026-11-23T09:00:00Z
  c.wall_ms = [&] { return fixed; };
  Outbox box = Outbox::open(c);
  REQUIRE(box.ok());
  RequestInput in;
  fill(in, "Amina \"A\" Diallo", "+39 333 1234567");
  in.contact = "desk";
  in.desk_day = "2026-11-25";
  EnqueueResult r = box.enqueue(in);
  REQUIRE(r.ok);
  Pending p;
  bool found = false;
  std::string err;
  REQUIRE(next_pending(*box.state(), &p, &found, &err));
  REQUIRE(found);
  CHECK(p.id == r.id);
  nlohmann::json j = nlohmann::json::parse(p.body);
  CHECK(j["id"] == r.id);
  CHECK(j["ref"] == r.ref);
  CHECK(j["kiosk"] == "kiosk-gr1");
  CHECK(j["created_at"] == "2026-11-23T09:00:00Z");
  CHECK(j["lang"] == "ar");
  CHECK(j["topic"] == "health");
  CHECK(j["contact"] == "desk");
  CHECK(j["desk_day"] == "2026-11-25");
  CHECK(j.size() == 9);
  std::string plain = keys.open(j["sealed"]);
  REQUIRE_FALSE(plain.empty());
  nlohmann::json contact = nlohmann::json::parse(plain);
  CHECK(contact["name"] == "Amina \"A\" Diallo");
  CHECK(contact["phone"] == "+39 333 1234567");
  CHECK(other.open(j["sealed"]).empty());
  CHECK(p.body.find("Diallo") == std::string::npos);
}

TEST_CASE("outbox-db-06 enqueue wipes the name and phone buffers, on success and on error", "[outbox][db]") {
  TempDir dir;
  HubKeys keys;
  Outbox box = Outbox::open(make_config(dir, keys));
  REQUIRE(box.ok());
  auto all_zero = [](const SecretText& t) {
    for (size_t i = 0; i < SecretText::kCapacity; i++)
      if (t.data()[i] != 0) return false;
    return true;
  };
  RequestInput ok_in;
  fill(ok_in, "Canary Name", "+39 111 2223334");
  REQUIRE_FALSE(all_zero(ok_in.name));
  REQUIRE(box.enqueue(ok_in).ok);
  CHECK(all_zero(ok_in.name));
  CHECK(all_zero(ok_in.phone));
  CHECK(ok_in.name.size() == 0);

  RequestInput bad;
  fill(bad, "Canary Name", "+39 111 2223334");
  bad.contact = "pigeon";
  EnqueueResult r = box.enqueue(bad);
  CHECK_FALSE(r.ok);
  CHECK(r.error == "contact must be phone or desk");
  CHECK(all_zero(bad.name));
  CHECK(all_zero(bad.phone));
}

TEST_CASE("outbox-db-07 invalid input is refused with a clear error and nothing stored", "[outbox][db]") {
  TempDir dir;
  HubKeys keys;
  Outbox box = Outbox::open(make_config(dir, keys));
  REQUIRE(box.ok());
  struct Case {
    const char *lang, *contact, *day, *phone, *name, *error;
  } cases[] = {
      {"", "phone", "", "+39 1", "A", "invalid language code"},
      {"ar", "phone", "", "", "A", "a phone number is required"},
      {"ar", "phone", "2026-11-25", "+39 1", "A", "invalid desk day"},
      {"ar", "desk", "25/11/2026", "", "A", "invalid desk day"},
      {"ar", "desk", "", "", "\xc3\x28", "name or phone is not valid UTF-8"},
      {"ar", "desk", "", "", "\xed\xa0\x80", "name or phone is not valid UTF-8"},
  };
  for (const Case& k : cases) {
    RequestInput in;
    fill(in, k.name, k.phone);
    in.lang = k.lang;
    in.contact = k.contact;
    in.desk_day = k.day;
    EnqueueResult r = box.enqueue(in);
    CHECK_FALSE(r.ok);
    CHECK(r.error == k.error);
  }
  CHECK(box.status().queue_depth == 0);
  RequestInput fine;
  fill(fine, "\xd8\xa3\xd9\x85\xd9\x8a\xd9\x86\xd8\xa9", "+39 1");  // Arabic name is fine
  CHECK(box.enqueue(fine).ok);
}

TEST_CASE("outbox-db-08 refs are unique, well formed and the check character catches typos", "[outbox][ref]") {
  std::set<std::string> seen;
  std::regex form("^GR1-[23456789BCDFGHJKMNPQRSTVWXZ]{5}$");
  for (uint64_t seq = 0; seq < 531441; seq += 1) {
    std::string ref = make_ref("GR1", seq);
    if (seq % 997 == 0) REQUIRE(std::regex_match(ref, form));
    seen.insert(ref);
  }
  CHECK(seen.size() == 531441);
  std::string long_ref = make_ref("GR1", 531441);
  CHECK(long_ref.size() == std::string("GR1-").size() + 6);
  CHECK(seen.count(long_ref) == 0);

  std::string ref = make_ref("GR1", 41);
  CHECK(normalize_ref(ref) == ref);
  std::string lower;
  for (char ch : ref) lower += (char)tolower((unsigned char)ch);
  CHECK(normalize_ref(lower) == ref);
  CHECK(normalize_ref("gr1 " + lower.substr(4), "GR1") == ref);
  std::string code = ref.substr(4);
  CHECK(normalize_ref("gr1" + code, "GR1") == ref);
  int caught = 0, tried = 0;
  for (size_t i = 0; i < code.size(); i++) {
    for (const char* a = kRefAlphabet; *a; a++) {
      if (*a == code[i]) continue;
      std::string typo = code;
      typo[i] = *a;
      tried++;
      caught += normalize_ref("GR1-" + typo).empty();
    }
    if (i + 1 < code.size() && code[i] != code[i + 1]) {
      std::string swap = code;
      std::swap(swap[i], swap[i + 1]);
      tried++;
      caught += normalize_ref("GR1-" + swap).empty();
    }
  }
  CHECK(caught == tried);
  CHECK(normalize_ref("GR1-K7P0X").empty());
}

TEST_CASE("outbox-db-09 a full disk fails enqueue cleanly and leaves nothing half-written", "[outbox][db]") {
  TempDir dir;
  HubKeys keys;
  Outbox box = Outbox::open(make_config(dir, keys));
  REQUIRE(box.ok());
  sqlite3* db = box.state()->db.get();
  int64_t pages = query_int(db, "PRAGMA page_count");
  REQUIRE(exec(db, ("PRAGMA max_page_count = " + std::to_string(pages + 2)).c_str(), nullptr));
  int stored = 0;
  EnqueueResult r;
  for (int i = 0; i < 1000; i++) {
    RequestInput in;
    fill(in, "Amina", "+39 333 1234567");
    r = box.enqueue(in);
    if (!r.ok) break;
    stored++;
  }
  REQUIRE_FALSE(r.ok);
  CHECK(r.error == "cannot store the request: database or disk is full");
  CHECK(r.ref.empty());
  CHECK(query_int(db, "SELECT count(*) FROM requests") == stored);
  CHECK(query_int(db, "SELECT value FROM counters WHERE name = 'ref_seq'") == stored);
  Stmt check(db, "PRAGMA integrity_check");
  REQUIRE(check.step() == SQLITE_ROW);
  CHECK(check.col_text(0) == "ok");
  CHECK(box.status().queue_depth == stored);
}

TEST_CASE("outbox-db-10 ack NULLs the sealed body and keeps only metadata", "[outbox][db]") {
  TempDir dir;
  HubKeys keys;
  Outbox box = Outbox::open(make_config(dir, keys));
  REQUIRE(box.ok());
  RequestInput in;
  fill(in, "Amina", "+39 333 1234567");
  EnqueueResult a = box.enqueue(in);
  fill(in, "Amina", "+39 333 1234567");
  EnqueueResult b = box.enqueue(in);
  REQUIRE((a.ok && b.ok));
  std::string err;
  REQUIRE(mark_sent(*box.state(), a.id, &err));
  REQUIRE(mark_failed(*box.state(), b.id, 409, "HTTP 409 idempotency_conflict", &err));
  sqlite3* db = box.state()->db.get();
  CHECK(query_int(db, "SELECT count(*) FROM requests WHERE body IS NOT NULL") == 1);
  CHECK(box.lookup(a.ref).state == RequestState::Sent);
  LocalLookup lb = box.lookup(b.ref);
  CHECK(lb.state == RequestState::Failed);
  CHECK(lb.http_status == 409);
  QueueStatus q = box.status();
  CHECK(q.queue_depth == 0);
  CHECK(q.permanent_errors == 1);
  CHECK(q.sent_total == 1);
  CHECK(q.last_error == "HTTP 409 idempotency_conflict");
  CHECK(q.last_success_unix_ms > 0);
  CHECK(box.retry_failed() == 1);
  CHECK(box.status().queue_depth == 1);
}
