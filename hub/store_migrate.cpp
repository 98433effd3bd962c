// [SECTION] Store: `sportello-hub migrate --from hub.db --to postgresql://...` moves a prefecture's
// SQLite store into an empty PostgreSQL database, every table in one transaction, and proves it:
// for each table the row count and an order-independent checksum of every value, read back from
// both sides. It refuses a target that already holds anything (never run twice into one database).
#include "store_internal.h"

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace hub {

namespace {

// Every table, parents first. Columns are read from PostgreSQL's schema (seq, PostgreSQL's own
// insertion order, is made anew: rows are copied in SQLite's rowid order).
const char* const kTables[] = {"kiosks", "mediators", "admins", "sessions", "requests", "audit", "releases", "rollouts",
                               "login_attempts", "profiles", "notify_items", "notify_mails", "notify_routed",
                               "notify_escalations", "notify_state"};

struct Column {
  std::string name;
  char kind;  // 'i' bigint, 'b' bytea, 't' text
};

std::vector<Column> target_columns(db::Lease& pg, const std::string& table) {
  Stmt q(pg, "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema()"
             " AND table_name = ? AND column_name <> 'seq' ORDER BY ordinal_position");
  q.bind(1, table);
  std::vector<Column> out;
  while (q.step() == db::kRow) {
    std::string type = q.text(1);
    out.push_back({q.text(0), type == "bigint" ? 'i' : type == "bytea" ? 'b' : 't'});
  }
  return out;
}

std::string column_list(const std::vector<Column>& cols) {
  std::string out;
  for (const Column& c : cols) out += (out.empty() ? "\"" : ", \"") + c.name + "\"";
  return out;
}

// Adds one row's hash to a table's checksum (a sum: the order rows come in does not matter).
struct Checksum {
  uint64_t sum = 0;
  int64_t rows = 0;
  void add(Stmt& q, const std::vector<Column>& cols) {
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, 8);
    for (size_t i = 0; i < cols.size(); i++) {
      std::string v;
      if (q.is_null((int)i)) v = "N";
      else if (cols[i].kind == 'i') v = "i" + std::to_string(q.num((int)i));
      else if (cols[i].kind == 'b') {
        std::vector<unsigned char> b = q.blob((int)i);
        v = "b" + std::string(b.begin(), b.end());
      } else v = "t" + q.text((int)i);
      std::string framed = std::to_string(v.size()) + ":" + v;
      crypto_generichash_update(&st, (const unsigned char*)framed.data(), framed.size());
    }
    unsigned char h[8];
    crypto_generichash_final(&st, h, sizeof h);
    uint64_t x = 0;
    memcpy(&x, h, sizeof x);
    sum += x;
    rows++;
  }
  std::string hex() const {
    char buf[17];
    snprintf(buf, sizeof buf, "%016llx", (unsigned long long)sum);
    return buf;
  }
};

Checksum checksum(db::Lease& c, const std::string& table, const std::vector<Column>& cols) {
  Checksum sum;
  Stmt q(c, "SELECT " + column_list(cols) + " FROM " + table);
  while (q.step() == db::kRow) sum.add(q, cols);
  return sum;
}

// Copies one table's rows (inside the target's transaction). False on the first failure.
bool copy_table(db::Lease& from, db::Lease& to, const std::string& table, const std::vector<Column>& cols,
                std::string* error) {
  std::string names = column_list(cols), marks;
  for (size_t i = 0; i < cols.size(); i++) marks += i ? ",?" : "?";
  Stmt read(from, "SELECT " + names + " FROM " + table + " ORDER BY rowid");
  while (true) {
    int rc = read.step();
    if (rc == db::kDone) break;
    if (rc != db::kRow) return *error = table + ": cannot read the source", false;
    Stmt ins(to, "INSERT INTO " + table + "(" + names + ") VALUES(" + marks + ")");
    for (size_t i = 0; i < cols.size(); i++) {
      int n = (int)i + 1;
      if (read.is_null((int)i)) ins.bind_null(n);
      else if (cols[i].kind == 'i') ins.bind(n, read.num((int)i));
      else if (cols[i].kind == 'b') ins.bind_blob(n, read.blob((int)i));
      else ins.bind(n, read.text((int)i));
    }
    if (ins.step() != db::kDone) return *error = table + ": " + to->error(), false;
  }
  // Identity columns go on after the highest copied id.
  if (std::find_if(cols.begin(), cols.end(), [](const Column& c) { return c.name == "id" && c.kind == 'i'; }) !=
      cols.end()) {
    Stmt seq(to, "SELECT setval(pg_get_serial_sequence(?, 'id'), coalesce(max(id), 0) + 1, false) FROM " + table +
                     " WHERE pg_get_serial_sequence(?, 'id') IS NOT NULL");
    seq.bind(1, table).bind(2, table);
    if (seq.step() == db::kError) return *error = table + ": " + to->error(), false;
  }
  return true;
}

}  // namespace

int migrate_store(const std::string& from, const std::string& to, FILE* out) {
  if (db::is_postgres_url(from) || !db::is_postgres_url(to))
    return fprintf(stderr, "sportello-hub: migrate --from FILE.db --to postgresql://...\n"), 2;
  if (!std::filesystem::exists(from)) return fprintf(stderr, "sportello-hub: %s: no such file\n", from.c_str()), 1;
  // Opening each as the hub does brings an old SQLite file's columns up to date and creates the
  // target's schema.
  auto source = Store::open(from, 1);
  if (!source->ok()) return fprintf(stderr, "sportello-hub: %s\n", source->error().c_str()), 1;
  auto target = Store::open(to, 1);
  if (!target->ok()) return fprintf(stderr, "sportello-hub: %s\n", target->error().c_str()), 1;
  db::Lease src = source->lease(), dst = target->lease();
  std::vector<std::vector<Column>> columns;
  for (const char* table : kTables) {
    columns.push_back(target_columns(dst, table));
    Stmt any(dst, std::string("SELECT count(*) FROM ") + table);
    if (columns.back().empty() || any.step() != db::kRow)
      return fprintf(stderr, "sportello-hub: %s: no table %s\n", db::redact_url(to).c_str(), table), 1;
    if (any.num(0) > 0)
      return fprintf(stderr, "sportello-hub: %s is not empty (table %s has rows): migrate runs once, into a new"
                             " database\n", db::redact_url(to).c_str(), table), 1;
  }
  std::string error;
  // One transaction: a failure leaves the target empty, to try again.
  bool ok = dst->exec("BEGIN");
  for (size_t t = 0; ok && t < std::size(kTables); t++) ok = copy_table(src, dst, kTables[t], columns[t], &error);
  if (!ok || !dst->commit()) {
    dst->rollback();
    return fprintf(stderr, "sportello-hub: migrate failed, nothing was written: %s\n",
                   error.empty() ? dst->error().c_str() : error.c_str()), 1;
  }
  bool same = true;
  fprintf(out, "%-20s %10s %18s %18s\n", "table", "rows", "checksum (sqlite)", "checksum (postgres)");
  for (size_t t = 0; t < std::size(kTables); t++) {
    Checksum a = checksum(src, kTables[t], columns[t]), b = checksum(dst, kTables[t], columns[t]);
    bool match = a.rows == b.rows && a.sum == b.sum;
    same = same && match;
    fprintf(out, "%-20s %10lld %18s %18s%s\n", kTables[t], (long long)a.rows, a.hex().c_str(), b.hex().c_str(),
            match ? "" : (" DIFFERS (" + std::to_string(b.rows) + " rows)").c_str());
  }
  fprintf(out, same ? "every table copied: counts and checksums match\n" : "MISMATCH: see the tables above\n");
  return same ? 0 : 1;
}

}  // namespace hub
