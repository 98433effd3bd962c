// hub store, privacy and a kiosk's reach: personal data opens only for the claiming mediator and
// only when the view is audited; retention counts from creation whatever the state; references
// are unique, bound to their kiosk and rate-limited; the audit log is append-only; the queue
// shows open requests first; inputs are strict.
#include "hub.h"
#include "store_util.h"

#include <catch2/catch.hpp>
#include <sodium.h>
#include <sqlite3.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>

namespace {

std::string fresh_db(const char* name) {
  std::string dir = std::string(SPORTELLO_BINARY_DIR) + "/test-output/hubpriv-" + name + "-" + std::to_string(getpid());
  return storetest::fresh_target(dir, std::string("hubpriv-") + name);
}

const int64_t kNow = 1800000000;  // 2027-01-15

std::string iso(int64_t t) {
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A request id from a number: a valid lower-case UUID v4.
std::string uuid(int n) {
  char buf[40];
  snprintf(buf, sizeof buf, "%08x-0000-4000-8000-%012x", n, n);
  return buf;
}

struct Keys {
  hub::KeyPair pair;
  Keys() {
    REQUIRE(sodium_init() >= 0);
    pair.public_key.resize(crypto_box_PUBLICKEYBYTES);
    pair.secret_key = hub::SecretBytes(crypto_box_SECRETKEYBYTES);
    crypto_box_keypair(pair.public_key.data(), pair.secret_key.data());
  }
  std::vector<unsigned char> seal(const std::string& plain) const {
    std::vector<unsigned char> out(plain.size() + crypto_box_SEALBYTES);
    crypto_box_seal(out.data(), (const unsigned char*)plain.data(), plain.size(), pair.public_key.data());
    return out;
  }
};

hub::Request request(int n, const std::string& ref, int64_t created, const std::vector<unsigned char>& sealed,
                     const std::string& kiosk = "GR-01") {
  hub::Request r;
  r.id = uuid(n);
  r.ref = ref;
  r.kiosk = kiosk;
  r.created_at = iso(created);
  r.lang = "ar";
  r.topic = "health";
  r.contact = "phone";
  r.sealed = sealed.empty() ? std::vector<unsigned char>(80, 7) : sealed;
  return r;
}

hub::AuditEvent viewer(const std::string& who) { return hub::AuditEvent{kNow, who, "mediator", "", "", "192.0.2.7"}; }

// Runs SQL on the store's SQLite file as a second connection; the sqlite3 result code.
int run_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open(path.c_str(), &db);
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  }
  sqlite3_close(db);
  return rc;
}

int64_t count(const std::string& target, const std::string& sql) { return storetest::count(target, sql); }

}  // namespace

TEST_CASE("name and phone open only for the mediator who claimed the request, and each view is audited",
          "[unit][hub]") {
  Keys keys;
  std::string path = fresh_db("open");
  auto store = hub::Store::open(path);
  REQUIRE(store->ok());
  hub::Request r = request(1, "GR1-BCDF", kNow - 60, keys.seal("{\"name\":\"Amina \u202eZ\",\"phone\":\"3331234567\"}"));
  REQUIRE(store->store(r, "h", kNow) == hub::StoreResult::Created);
  hub::Personal p;
  CHECK(store->open_personal(r.id, keys.pair, viewer("anna"), 0, &p) == hub::OpenResult::NotClaimant);
  CHECK(p.name.empty());
  REQUIRE(store->claim(r.id, "anna", kNow));
  CHECK(store->open_personal(r.id, keys.pair, viewer("bruno"), 0, &p) == hub::OpenResult::NotClaimant);
  CHECK(store->open_personal(r.id, keys.pair, viewer(""), 0, &p) == hub::OpenResult::NotClaimant);
  CHECK(count(path, "SELECT count(*) FROM audit") == 0);
  REQUIRE(store->open_personal(r.id, keys.pair, viewer("anna"), 0, &p) == hub::OpenResult::Ok);
  CHECK(p.name.str() == "Amina Z");  // the right-to-left override is gone
  CHECK(p.phone.str() == "3331234567");
  CHECK(count(path, "SELECT count(*) FROM audit WHERE \"user\" = 'anna' AND role = 'mediator' AND action = 'view_personal'"
                    " AND request_id = '" + r.id + "' AND client = '192.0.2.7' AND at = " + std::to_string(kNow)) == 1);
  CHECK(store->open_personal(uuid(99), keys.pair, viewer("anna"), 0, &p) == hub::OpenResult::NotFound);
  REQUIRE(store->close(r.id, "anna", "done", kNow + 1));
  CHECK(store->open_personal(r.id, keys.pair, viewer("anna"), 0, &p) == hub::OpenResult::NotClaimant);
  CHECK(p.name.empty());
}

TEST_CASE("a sealed payload that is not two strings is unreadable, not a crash", "[unit][hub]") {
  Keys keys;
  auto store = hub::Store::open(fresh_db("odd"));
  REQUIRE(store->ok());
  int n = 0;
  for (const char* plain : {"{\"name\":1,\"phone\":\"3\"}", "[1]", "not json", "{\"name\":\"A\"}"}) {
    n++;
    hub::Request r = request(n, "GR1-BCD" + std::to_string(n), kNow, keys.seal(plain));
    REQUIRE(store->store(r, "h", kNow) == hub::StoreResult::Created);
    REQUIRE(store->claim(r.id, "anna", kNow));
    hub::Personal p;
    CHECK(store->open_personal(r.id, keys.pair, viewer("anna"), 0, &p) == hub::OpenResult::Unreadable);
  }
}

TEST_CASE("when the audit write fails, the personal data is not opened", "[unit][hub]") {
  Keys keys;
  std::string path = fresh_db("auditfail");
  auto store = hub::Store::open(path);
  REQUIRE(store->ok());
  hub::Request r = request(1, "GR1-BCDF", kNow, keys.seal("{\"name\":\"Amina\",\"phone\":\"333\"}"));
  REQUIRE(store->store(r, "h", kNow) == hub::StoreResult::Created);
  REQUIRE(store->claim(r.id, "anna", kNow));
  // A disk that refuses the audit's write, played by a trigger.
  if (storetest::on_postgres())
    REQUIRE(storetest::run(path, "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS"
                                 " $$ BEGIN RAISE EXCEPTION 'disk'; END $$;"
                                 "CREATE TRIGGER audit_broken BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION disk_full()"));
  else
    REQUIRE(run_sql(path, "CREATE TRIGGER audit_broken BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk'); END") ==
            SQLITE_OK);
  hub::Personal p;
  CHECK(store->open_personal(r.id, keys.pair, viewer("anna"), 0, &p) == hub::OpenResult::AuditFailed);
  CHECK(p.name.empty());
  CHECK(p.phone.empty());
  CHECK_FALSE(store->audit(hub::AuditEvent{kNow, "ada", "admin", "x", "y", ""}));
  REQUIRE(storetest::run(path, storetest::on_postgres() ? "DROP TRIGGER audit_broken ON audit" : "DROP TRIGGER audit_broken"));
  CHECK(store->open_personal(r.id, keys.pair, viewer("anna"), 0, &p) == hub::OpenResult::Ok);
}

TEST_CASE("retention drops every request's personal data N days after creation, whatever its state",
          "[unit][hub]") {
  Keys keys;
  auto store = hub::Store::open(fresh_db("retention"));
  REQUIRE(store->ok());
  const int64_t old = kNow - 31 * 86400, recent = kNow - 29 * 86400;
  const char* refs[] = {"GR1-AAAA", "GR1-BBBB", "GR1-CCCC", "GR1-DDDD"};
  for (int i = 0; i < 4; i++)
    REQUIRE(store->store(request(i + 1, refs[i], old, {}), "h", old + 10) == hub::StoreResult::Created);
  REQUIRE(store->claim(uuid(2), "anna", old + 20));                      // in progress
  REQUIRE(store->claim(uuid(3), "anna", old + 20));
  REQUIRE(store->close(uuid(3), "anna", "done", old + 30));             // done
  REQUIRE(store->claim(uuid(4), "anna", old + 20));
  REQUIRE(store->close(uuid(4), "anna", "unreachable", old + 30));      // unreachable; 1 stays received
  // Created long ago, arrived today (a kiosk offline for a month): its clock starts at creation.
  REQUIRE(store->store(request(5, "GR1-EEEE", old, {}), "h", kNow) == hub::StoreResult::Created);
  // A kiosk clock in the future never extends the time: it counts from arrival.
  REQUIRE(store->store(request(6, "GR1-FFFF", kNow + 3600, {}), "h", recent) == hub::StoreResult::Created);
  REQUIRE(store->store(request(7, "GR1-GGGG", recent, {}), "h", recent) == hub::StoreResult::Created);

  CHECK(store->status_of("GR1-GGGG", "GR-01", kNow - 30 * 86400) == std::optional<std::string>("received"));
  // Past its time but before the sweep: already answered as expired, and never opened.
  CHECK(store->status_of("GR1-AAAA", "GR-01", kNow - 30 * 86400) == std::optional<std::string>("expired"));
  hub::Personal p;
  CHECK(store->open_personal(uuid(2), keys.pair, viewer("anna"), kNow - 30 * 86400, &p) == hub::OpenResult::Expired);

  CHECK(store->retention(kNow - 30 * 86400) == 5);
  for (int i = 1; i <= 5; i++) {
    CHECK(store->get(uuid(i))->sealed.empty());
    CHECK(store->get(uuid(i))->expired_at > 0);
  }
  for (const char* ref : refs) CHECK(store->status_of(ref, "GR-01", 0) == std::optional<std::string>("expired"));
  CHECK(store->status_of("GR1-EEEE") == std::optional<std::string>("expired"));
  CHECK(store->get(uuid(3))->status == "done");  // the rest stays for statistics
  CHECK_FALSE(store->get(uuid(6))->sealed.empty());
  CHECK_FALSE(store->get(uuid(7))->sealed.empty());
  CHECK(store->retention(kNow - 30 * 86400) == 0);
}

TEST_CASE("references are unique, bound to their kiosk, and a kiosk's requests are limited", "[unit][hub]") {
  auto store = hub::Store::open(fresh_db("refs"));
  REQUIRE(store->ok());
  REQUIRE(store->add_kiosk("GR-01", "", "t1", "default", "GR1"));
  REQUIRE(store->add_kiosk("GR-02", "", "t2", "default", "GR2"));
  CHECK_FALSE(store->add_kiosk("GR-03", "", "t3", "default", "GR1"));  // another kiosk's prefix
  CHECK_FALSE(store->add_kiosk("GR-03", "", "t3", "default", "gr3"));
  CHECK_FALSE(store->add_kiosk("GR 03", "", "t3", "default", "GR3"));
  CHECK_FALSE(store->add_kiosk("GR-03", "Grosseto \u202e", "t3", "default", "GR3"));
  REQUIRE(store->add_kiosk("OLD", "", "t4"));
  CHECK(store->kiosk_ref_prefix("GR-01") == std::optional<std::string>("GR1"));
  CHECK_FALSE(store->kiosk_ref_prefix("OLD"));
  CHECK_FALSE(store->kiosk_ref_prefix("NOPE"));
  REQUIRE(store->add_kiosk("GR-01", "", "t1-new"));  // a new token keeps the prefix
  CHECK(store->kiosk_ref_prefix("GR-01") == std::optional<std::string>("GR1"));
  CHECK(store->set_ref_prefix("OLD", "OL"));
  CHECK(store->kiosk_ref_prefix("OLD") == std::optional<std::string>("OL"));

  REQUIRE(store->store(request(1, "GR1-BCDF", kNow, {}), "a", kNow) == hub::StoreResult::Created);
  CHECK(store->store(request(2, "GR1-BCDF", kNow, {}), "b", kNow) == hub::StoreResult::RefConflict);
  CHECK(store->count_requests() == 1);
  CHECK(store->status_of("GR1-BCDF", "GR-01", 0) == std::optional<std::string>("received"));
  CHECK_FALSE(store->status_of("GR1-BCDF", "GR-02", 0));  // another kiosk's reference is unknown

  hub::KioskLimits limits{3, 5};
  int64_t wait = 0;
  CHECK(store->store(request(3, "GR1-CDFG", kNow, {}), "c", kNow, limits, &wait) == hub::StoreResult::Created);
  CHECK(store->store(request(4, "GR1-DFGH", kNow, {}), "d", kNow + 1, limits, &wait) == hub::StoreResult::Created);
  CHECK(store->store(request(5, "GR1-FGHJ", kNow, {}), "e", kNow + 2, limits, &wait) == hub::StoreResult::RateLimited);
  CHECK(wait >= 1);
  CHECK(wait <= 61);
  CHECK(store->store(request(3, "GR1-CDFG", kNow, {}), "c", kNow + 2, limits, &wait) == hub::StoreResult::Replayed);
  CHECK(store->store(request(6, "GR2-CDFG", kNow, {}, "GR-02"), "f", kNow + 2, limits, &wait) ==
        hub::StoreResult::Created);  // another kiosk has its own count
  CHECK(store->store(request(5, "GR1-FGHJ", kNow, {}), "e", kNow + 61, limits, &wait) == hub::StoreResult::Created);
  CHECK(store->store(request(7, "GR1-GHJK", kNow, {}), "g", kNow + 62, limits, &wait) == hub::StoreResult::Created);
  CHECK(store->store(request(8, "GR1-HJKM", kNow, {}), "h", kNow + 200, limits, &wait) == hub::StoreResult::QuotaExceeded);
  CHECK(wait > 61);
  CHECK(wait <= 86401);
  CHECK(store->store(request(8, "GR1-HJKM", kNow, {}), "h", kNow + 86401, limits, &wait) == hub::StoreResult::Created);
}

TEST_CASE("kiosks from before prefixes take the one prefix of their history", "[unit][hub]") {
  if (storetest::on_postgres()) return;  // an old SQLite file's migration: PostgreSQL starts whole
  std::string path = fresh_db("prefixmig");
  {
    auto store = hub::Store::open(path);
    REQUIRE(store->ok());
    REQUIRE(store->add_kiosk("GR-01", "", "t1"));
    REQUIRE(store->add_kiosk("GR-02", "", "t2"));
    REQUIRE(store->add_kiosk("GR-03", "", "t3"));
    REQUIRE(store->store(request(1, "GR1-BCDF", kNow, {}), "a", kNow) == hub::StoreResult::Created);
    REQUIRE(store->store(request(2, "GR1-CDFG", kNow, {}), "b", kNow) == hub::StoreResult::Created);
    REQUIRE(store->store(request(3, "GR2-BCDF", kNow, {}, "GR-02"), "c", kNow) == hub::StoreResult::Created);
    REQUIRE(store->store(request(4, "XX-BCDF", kNow, {}, "GR-02"), "d", kNow) == hub::StoreResult::Created);
  }
  auto store = hub::Store::open(path);
  REQUIRE(store->ok());
  CHECK(store->kiosk_ref_prefix("GR-01") == std::optional<std::string>("GR1"));
  CHECK_FALSE(store->kiosk_ref_prefix("GR-02"));  // two prefixes in its history: an operator decides
  CHECK_FALSE(store->kiosk_ref_prefix("GR-03"));  // no history
}

TEST_CASE("the audit log is append-only and an old one gains role and client", "[unit][hub]") {
  if (storetest::on_postgres()) return;  // an old SQLite file; PostgreSQL's own case follows
  std::string path = fresh_db("audit");
  REQUIRE(run_sql(path, "CREATE TABLE audit(at INTEGER, user TEXT, request_id TEXT, action TEXT);"
                        "INSERT INTO audit VALUES(1, 'anna', 'r1', 'view');") == SQLITE_OK);
  auto store = hub::Store::open(path);
  REQUIRE(store->ok());
  CHECK(store->audit(hub::AuditEvent{5, "ada", "admin", "publish", "release:3", "192.0.2.1"}));
  CHECK(count(path, "SELECT count(*) FROM audit WHERE role = 'admin' AND client = '192.0.2.1' AND action = 'publish'"
                    " AND request_id = 'release:3' AND user = 'ada' AND at = 5") == 1);
  CHECK(count(path, "SELECT count(*) FROM audit WHERE user = 'anna' AND role = ''") == 1);
  CHECK(store->audit(hub::AuditEvent{6, "eve\n2026 admin_login ok\u202e", "mediator", "login_failed", "", ""}));
  CHECK(count(path, "SELECT count(*) FROM audit WHERE user = 'eve2026 admin_login ok'") == 1);
  CHECK(run_sql(path, "UPDATE audit SET user = 'nobody'") == SQLITE_CONSTRAINT);
  CHECK(run_sql(path, "DELETE FROM audit") == SQLITE_CONSTRAINT);
  CHECK(run_sql(path, "DELETE FROM audit WHERE user = 'anna'") == SQLITE_CONSTRAINT);
  CHECK(count(path, "SELECT count(*) FROM audit") == 3);
  CHECK(count(path, "SELECT count(*) FROM audit WHERE user = 'nobody'") == 0);
}

TEST_CASE("on PostgreSQL the audit log is append-only: a trigger refuses update, delete and truncate",
          "[unit][hub]") {
  if (!storetest::on_postgres()) return;  // SQLite's triggers: the case above
  std::string target = fresh_db("pgaudit");
  auto store = hub::Store::open(target);
  REQUIRE(store->ok());
  CHECK(store->audit(hub::AuditEvent{5, "ada", "admin", "publish", "release:3", "192.0.2.1"}));
  CHECK(store->audit(hub::AuditEvent{6, "eve\n2026 admin_login ok\u202e", "mediator", "login_failed", "", ""}));
  CHECK(count(target, "SELECT count(*) FROM audit WHERE \"user\" = 'eve2026 admin_login ok'") == 1);
  CHECK_FALSE(storetest::run(target, "UPDATE audit SET \"user\" = 'nobody'"));
  CHECK_FALSE(storetest::run(target, "DELETE FROM audit"));
  CHECK_FALSE(storetest::run(target, "TRUNCATE audit"));
  CHECK(count(target, "SELECT count(*) FROM audit") == 2);
  auto log = store->audit_log(10);
  REQUIRE(log.size() == 2);
  CHECK(log[0].actor == "eve2026 admin_login ok");  // newest first
  CHECK(log[1].client == "192.0.2.1");
}

TEST_CASE("the default queue lists open requests newest first, even behind 600 closed ones", "[unit][hub]") {
  auto store = hub::Store::open(fresh_db("queue"));
  REQUIRE(store->ok());
  for (int i = 0; i < 600; i++) {
    char ref[16];
    snprintf(ref, sizeof ref, "GR1-%04d", i);
    REQUIRE(store->store(request(i + 1, ref, kNow, {}), "h", kNow + i) == hub::StoreResult::Created);
    REQUIRE(store->claim(uuid(i + 1), "anna", kNow + i));
    REQUIRE(store->close(uuid(i + 1), "anna", i % 2 ? "done" : "unreachable", kNow + i));
  }
  REQUIRE(store->store(request(1001, "GR1-OLDR", kNow, {}), "h", kNow + 700) == hub::StoreResult::Created);
  REQUIRE(store->store(request(1002, "GR1-NEWR", kNow, {}), "h", kNow + 800) == hub::StoreResult::Created);
  REQUIRE(store->claim(uuid(1001), "bruno", kNow + 801));
  std::vector<hub::Request> open = store->list(hub::Filter{}, kNow + 900);
  REQUIRE(open.size() == 2);
  CHECK(open[0].ref == "GR1-NEWR");
  CHECK(open[1].ref == "GR1-OLDR");
  CHECK(open[0].sealed.empty());
  hub::Filter closed;
  closed.status = "closed";
  std::vector<hub::Request> shut = store->list(closed, kNow + 900);
  CHECK(shut.size() == 500);
  CHECK(shut.front().ref == "GR1-0599");
  hub::Filter all;
  all.status = "all";
  CHECK(store->list(all, kNow + 900).front().ref == "GR1-NEWR");
  hub::Filter done;
  done.status = "done";
  CHECK(store->list(done, kNow + 900).size() == 300);
  hub::Filter huge;
  huge.max_age_s = INT64_MAX;  // clamped, no overflow
  CHECK(store->list(huge, kNow + 900).size() == 2);
}

TEST_CASE("an erasure removes one reference's personal data now and is audited", "[unit][hub]") {
  std::string path = fresh_db("erase");
  auto store = hub::Store::open(path);
  REQUIRE(store->ok());
  hub::Request r = request(1, "GR1-BCDF", kNow, {});
  r.contact = "desk";
  r.desk_day = "2027-01-20";
  REQUIRE(store->store(r, "h", kNow) == hub::StoreResult::Created);
  REQUIRE(store->store(request(2, "GR1-CDFG", kNow, {}), "h", kNow) == hub::StoreResult::Created);
  hub::AuditEvent by{kNow + 5, "sportello-hub erase", "operator", "erase", "", "cli"};
  CHECK(store->erase("GR1-BCDF", by) == 1);
  CHECK(store->erase("GR1-ZZZZ", by) == 0);
  CHECK(store->get(r.id)->sealed.empty());
  CHECK(store->get(r.id)->desk_day.empty());
  CHECK(store->status_of("GR1-BCDF", "GR-01", 0) == std::optional<std::string>("expired"));
  CHECK_FALSE(store->get(uuid(2))->sealed.empty());
  CHECK(count(path, "SELECT count(*) FROM audit WHERE action = 'erase' AND request_id = '" + r.id + "' AND role = 'operator'") == 1);
}

TEST_CASE("text checks refuse control and bidi characters, times must be real", "[unit][hub]") {
  CHECK(hub::clean_text("Grosseto, via Roma 1", 64));
  CHECK(hub::clean_text("العربية", 64));
  CHECK_FALSE(hub::clean_text("a\u202eb", 64));
  CHECK_FALSE(hub::clean_text("a\u2066b", 64));
  CHECK_FALSE(hub::clean_text("a\u200fb", 64));
  CHECK_FALSE(hub::clean_text("a\nb", 64));
  CHECK_FALSE(hub::clean_text("a\u0085b", 64));
  CHECK_FALSE(hub::clean_text("\xff", 64));
  CHECK_FALSE(hub::clean_text(std::string(65, 'a'), 64));
  std::string s = "An\u202ena\x01 \u2067X";
  hub::strip_unsafe_text(&s);
  CHECK(s == "Anna X");
  CHECK(hub::printable_ascii("0.1.0-rc1", 32));
  CHECK_FALSE(hub::printable_ascii("0.1\t", 32));
  CHECK(hub::parse_utc("2026-11-22T10:00:00Z") == 1795341600);
  CHECK(hub::parse_utc("2028-02-29T00:00:00Z") > 0);
  CHECK(hub::parse_utc("2026-02-30T10:00:00Z") == -1);
  CHECK(hub::parse_utc("2026-11-22T24:00:00Z") == -1);
  CHECK(hub::parse_utc("2026-11-22 10:00:00Z") == -1);
  CHECK(hub::parse_utc("2026-11-22T10:00:00+01:00") == -1);
  CHECK(hub::valid_ref_prefix("GR1"));
  CHECK_FALSE(hub::valid_ref_prefix("GR1X2"));
  CHECK_FALSE(hub::valid_ref_prefix(""));
}

TEST_CASE("secrets live in wiping memory", "[unit][hub]") {
  REQUIRE(sodium_init() >= 0);
  hub::SecretString a("Amina Qqsecret");
  hub::SecretString b(std::move(a));
  CHECK(a.empty());
  CHECK(b.str() == "Amina Qqsecret");
  b.wipe();
  CHECK(b.empty());
  hub::SecretBytes key(std::vector<unsigned char>(32, 9));
  REQUIRE(key.size() == 32);
  CHECK(key.data()[31] == 9);
  hub::SecretBytes moved(std::move(key));
  CHECK(key.size() == 0);
  CHECK(moved.size() == 32);
}
