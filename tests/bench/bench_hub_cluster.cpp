// bench-hub-cluster: the hub's ingest with 2,000 simulated kiosks on loopback, on SQLite and on
// PostgreSQL, with one and with two hub instances; then the time from the loss of the PostgreSQL
// primary to the first request accepted after its synchronous standby is promoted.
// Usage: bench-hub-cluster [--kiosks N] [--requests N] [--connections N]
//
// Kiosks are spread over the instances by id (as a load balancer hashing on the kiosk would), and
// the requests over the kiosks; `--connections` transfers are in flight at any time (libcurl multi,
// connections reused). The 2,000 kiosks are provisioned with one SQL transaction rather than 2,000
// runs of `sportello-hub add-kiosk` (each opens the database: minutes, and not what is measured).
// Prints; asserts nothing.
#include "harness.h"
#include "postgres.h"

#include <curl/curl.h>
#include <sodium.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>
#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

std::string hex_sha256(const std::string& s) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, (const unsigned char*)s.data(), s.size());
  char out[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(out, sizeof out, h, sizeof h);
  return out;
}


struct Kiosk {
  std::string id, prefix, token;
};

// K0..K1999 with reference prefixes "K" + three base-36 digits.
std::vector<Kiosk> make_kiosks(int n) {
  const char* digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::vector<Kiosk> out;
  for (int k = 0; k < n; k++) {
    std::string prefix = "K";
    prefix += digits[(k / 1296) % 36];
    prefix += digits[(k / 36) % 36];
    prefix += digits[k % 36];
    out.push_back({"K" + std::to_string(k), prefix, "bench-token-" + harness::random_uuid()});
  }
  return out;
}

std::string kiosk_rows(const std::vector<Kiosk>& kiosks) {
  std::string sql = "INSERT INTO kiosks(id, name, token_sha256, grp, ref_prefix) VALUES ";
  for (size_t i = 0; i < kiosks.size(); i++) {
    const Kiosk& k = kiosks[i];
    sql += (i ? ",('" : "('") + k.id + "','" + k.id + "','" + hex_sha256(k.token) + "','default','" + k.prefix + "')";
  }
  return sql;
}

// On PostgreSQL through psql, in statements of 500 rows: one argument of a command line is at most
// 128 KiB (Linux's MAX_ARG_STRLEN).
bool provision_postgres(harness::Postgres& pg, const std::string& db, const std::vector<Kiosk>& kiosks) {
  for (size_t at = 0; at < kiosks.size(); at += 500) {
    std::vector<Kiosk> part(kiosks.begin() + at, kiosks.begin() + std::min(kiosks.size(), at + 500));
    if (!pg.psql(kiosk_rows(part), nullptr, db)) return false;
  }
  return true;
}

bool provision_sqlite(const std::string& db_path, const std::vector<Kiosk>& kiosks) {
  sqlite3* db = nullptr;
  bool ok = sqlite3_open(db_path.c_str(), &db) == SQLITE_OK &&
            sqlite3_exec(db, ("BEGIN;" + kiosk_rows(kiosks) + ";COMMIT;").c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
  sqlite3_close(db);
  return ok;
}

// One configuration's hub processes (the store made by `sportello-hub init`).
struct Cluster {
  std::string dir, database;  // database "" = the SQLite file in dir/hub
  std::vector<std::unique_ptr<harness::Server>> instances;
  std::vector<std::string> urls;

  bool init() {
    std::vector<std::string> args = {SPORTELLO_HUB_BIN, "init", "--data", dir + "/hub"};
    if (!database.empty()) args.insert(args.end(), {"--database", database});
    harness::capture(args);
    return access((dir + "/hub/hub.key").c_str(), R_OK) == 0;
  }
  bool start(int n) {
    for (int i = 0; i < n; i++) {
      auto s = std::make_unique<harness::Server>();
      s->log_path = dir + "/hub-" + std::to_string(i) + ".log";
      std::vector<std::string> args = {SPORTELLO_HUB_BIN, "serve", "--data", dir + "/hub", "--listen", "127.0.0.1:0",
                                       "--kiosk-requests-per-minute", "0", "--kiosk-requests-per-day", "0"};
      if (!database.empty()) args.insert(args.end(), {"--database", database});
      if (!s->start(args, "listening on 127.0.0.1:")) return false;
      urls.push_back("http://127.0.0.1:" + s->port + "/api/v1/requests");
      instances.push_back(std::move(s));
    }
    return true;
  }
};

struct Load {
  double seconds = 0, p50 = 0, p99 = 0;
  int ok = 0, failed = 0;
  std::map<long, int> failures;  // by HTTP status (0: no answer)
};

size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

struct Transfer {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string body;
  Clock::time_point started;
};

// `total` uploads, `connections` in flight, kiosk i % kiosks to instance (kiosk % instances).
// References are numbered from seq_base, so later runs on the same kiosks never reuse one.
Load run_load(const std::vector<Kiosk>& kiosks, const std::vector<std::string>& urls, int total, int connections,
              int seq_base = 0) {
  std::vector<unsigned char> sealed(96);
  randombytes_buf(sealed.data(), sealed.size());
  std::string sealed_b64(sodium_base64_encoded_len(sealed.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(sealed_b64.data(), sealed_b64.size(), sealed.data(), sealed.size(), sodium_base64_VARIANT_ORIGINAL);
  sealed_b64.resize(strlen(sealed_b64.c_str()));
  char created_at[32];
  time_t now = time(nullptr);
  strftime(created_at, sizeof created_at, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));

  CURLM* multi = curl_multi_init();
  std::vector<Transfer> slots((size_t)connections);
  std::vector<double> latencies;
  Load load;
  int next = 0;
  auto start_one = [&](Transfer& t) {
    int i = next++;
    const Kiosk& k = kiosks[(size_t)i % kiosks.size()];
    std::string id = harness::random_uuid();
    char ref[32];
    snprintf(ref, sizeof ref, "%s-%05d", k.prefix.c_str(), (seq_base + i / (int)kiosks.size()) % 100000);
    t.body = "{\"id\":\"" + id + "\",\"ref\":\"" + ref + "\",\"kiosk\":\"" + k.id + "\",\"created_at\":\"" +
             created_at + "\",\"lang\":\"ar\",\"topic\":\"health\",\"contact\":\"phone\",\"sealed\":\"" + sealed_b64 + "\"}";
    if (!t.easy) t.easy = curl_easy_init();
    curl_slist_free_all(t.headers);
    t.headers = curl_slist_append(nullptr, ("Authorization: Bearer " + k.token).c_str());
    t.headers = curl_slist_append(t.headers, ("Idempotency-Key: " + id).c_str());
    t.headers = curl_slist_append(t.headers, "Content-Type: application/json");
    curl_easy_setopt(t.easy, CURLOPT_URL, urls[((size_t)i % kiosks.size()) % urls.size()].c_str());
    curl_easy_setopt(t.easy, CURLOPT_HTTPHEADER, t.headers);
    curl_easy_setopt(t.easy, CURLOPT_POSTFIELDS, t.body.c_str());
    curl_easy_setopt(t.easy, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(t.easy, CURLOPT_PRIVATE, &t);
    t.started = Clock::now();
    curl_multi_add_handle(multi, t.easy);
  };
  auto t0 = Clock::now();
  for (Transfer& t : slots)
    if (next < total) start_one(t);
  int running = 0;
  while (load.ok + load.failed < total) {
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char**)&t);
      long status = 0;
      curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
      latencies.push_back(ms_since(t->started));
      if (m->data.result == CURLE_OK && status == 201) {
        load.ok++;
      } else {
        load.failed++;
        load.failures[m->data.result == CURLE_OK ? status : 0]++;
      }
      curl_multi_remove_handle(multi, m->easy_handle);
      if (next < total) start_one(*t);
    }
    if (load.ok + load.failed < total) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  load.seconds = ms_since(t0) / 1000.0;
  for (Transfer& t : slots) {
    curl_slist_free_all(t.headers);
    if (t.easy) curl_easy_cleanup(t.easy);
  }
  curl_multi_cleanup(multi);
  std::sort(latencies.begin(), latencies.end());
  if (!latencies.empty()) load.p50 = latencies[latencies.size() / 2], load.p99 = latencies[latencies.size() * 99 / 100];
  return load;
}

void print_load(const char* backend, int instances, const Load& l) {
  std::string why;
  for (const auto& [status, n] : l.failures) why += " " + std::to_string(n) + "x" + (status ? std::to_string(status) : "no answer");
  printf("  %-10s %d instance%s  ingest %6.0f requests/s  p50 %6.1f ms  p99 %7.1f ms  (%d stored, %d failed%s)\n",
         backend, instances, instances > 1 ? "s" : " ", l.ok / l.seconds, l.p50, l.p99, l.ok, l.failed,
         why.empty() ? "" : (":" + why).c_str());
}

// One upload, a fresh connection each time (the old primary's connections are gone): true on 201.
bool upload_once(const Kiosk& k, const std::string& url, int seq) { return run_load({k}, {url}, 1, 1, seq).ok == 1; }

}  // namespace

int main(int argc, char** argv) {
  int kiosks_n = 2000, total = 20000, connections = 64;
  for (int i = 1; i + 1 < argc; i++) {
    if (!strcmp(argv[i], "--kiosks")) kiosks_n = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--requests")) total = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--connections")) connections = atoi(argv[++i]);
  }
  if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || kiosks_n < 1 || total < 1 || connections < 1)
    return 1;
  std::vector<Kiosk> kiosks = make_kiosks(kiosks_n);
  printf("bench-hub-cluster: %d kiosks, %d uploads, %d in flight, loopback, 2 cores shared by clients, hubs and"
         " database\n", kiosks_n, total, connections);

  harness::Postgres pg;
  bool have_pg = pg.start("bench-cluster");
  if (!have_pg) printf("  (no PostgreSQL: %s)\n", pg.error.c_str());
  for (const char* backend : {"sqlite", "postgresql"}) {
    bool on_pg = !strcmp(backend, "postgresql");
    if (on_pg && !have_pg) continue;
    for (int instances : {1, 2}) {
      Cluster c;
      c.dir = harness::temp_dir(std::string("bench-cluster-") + backend + std::to_string(instances));
      if (on_pg) {
        std::string db = "bench" + std::to_string(instances);
        if (!pg.create_database(db)) return printf("  %s\n", pg.error.c_str()), 1;
        c.database = pg.url(db);
      }
      bool provisioned = c.init() && (on_pg ? provision_postgres(pg, "bench" + std::to_string(instances), kiosks)
                                            : provision_sqlite(c.dir + "/hub/hub.db", kiosks));
      if (!provisioned || !c.start(instances)) {
        printf("  %-10s %d: the hub did not start (see %s)\n", backend, instances, c.dir.c_str());
        continue;
      }
      print_load(backend, instances, run_load(kiosks, c.urls, total, connections));
    }
  }

  // Failover: a primary and its synchronous standby; one hub whose URL names both with
  // target_session_attrs=read-write. Uploads run one after another; the primary is killed, the
  // standby promoted at once (what an operator's automation does), and the first upload
  // accepted after that is timed from the kill.
  harness::Postgres primary, standby;
  if (!primary.start("bench-primary") || !standby.start_standby("bench-standby", primary, "standby1") ||
      !primary.require_synchronous("standby1") || !primary.create_database("hub")) {
    printf("  failover: the primary and standby did not start (%s%s)\n", primary.error.c_str(), standby.error.c_str());
    return 0;
  }
  Cluster c;
  c.dir = harness::temp_dir("bench-cluster-failover");
  c.database = "postgresql://postgres@127.0.0.1:" + primary.port + ",127.0.0.1:" + standby.port +
               "/hub?target_session_attrs=read-write";
  std::vector<Kiosk> one(kiosks.begin(), kiosks.begin() + 1);
  if (!c.init() || !primary.psql(kiosk_rows(one), nullptr, "hub") || !c.start(1)) {
    printf("  failover: the hub did not start (see %s)\n", c.dir.c_str());
    return 0;
  }
  int seq = 0;
  for (int i = 0; i < 20; i++) upload_once(one[0], c.urls[0], seq++);
  auto killed = Clock::now();
  primary.kill9();
  bool promoted = standby.promote();
  double promote_ms = ms_since(killed), first_ms = -1;
  while (ms_since(killed) < 60000)
    if (upload_once(one[0], c.urls[0], seq++)) {
      first_ms = ms_since(killed);
      break;
    }
  printf("  failover: primary killed, standby promoted in %.0f ms%s; first upload accepted %.0f ms after the kill\n",
         promote_ms, promoted ? "" : " (promotion FAILED)", first_ms);
  curl_global_cleanup();
  return 0;
}
