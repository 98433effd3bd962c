// The SQLite backend of hub/db.h: one connection, serialized by the database's mutex (with WAL
// that is simple and fast enough for one prefecture), and the transaction helper of both backends.
#include "db.h"

#include <sqlite3.h>

#include <chrono>
#include <random>
#include <thread>

namespace hub::db {

Lease::~Lease() {
  if (owner_ && conn_) owner_->give_back(conn_);
}

Dialect Lease::dialect() const { return conn_ ? conn_->dialect() : Dialect::Sqlite; }

namespace {

class SqliteCursor : public Cursor {
public:
  SqliteCursor(sqlite3* db, const std::string& sql) : db_(db) {
    sqlite3_prepare_v2(db, sql.c_str(), (int)sql.size(), &s_, nullptr);
  }
  ~SqliteCursor() override { sqlite3_finalize(s_); }
  void bind_text(int i, const std::string& v) override {
    sqlite3_bind_text(s_, i, v.data(), (int)v.size(), SQLITE_TRANSIENT);
  }
  void bind_int(int i, int64_t v) override { sqlite3_bind_int64(s_, i, v); }
  void bind_blob(int i, const std::vector<unsigned char>& v) override {
    sqlite3_bind_blob(s_, i, v.data(), (int)v.size(), SQLITE_TRANSIENT);
  }
  void bind_null(int i) override { sqlite3_bind_null(s_, i); }
  bool is_null(int i) override { return sqlite3_column_type(s_, i) == SQLITE_NULL; }
  StepResult step() override {
    if (!s_) return kError;
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return kRow;
    if (rc == SQLITE_DONE) {
      changes_ = sqlite3_changes(db_);
      return kDone;
    }
    unique_ = sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_UNIQUE ||
              sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_PRIMARYKEY;
    return kError;
  }
  std::string text(int i) override {
    const unsigned char* t = sqlite3_column_text(s_, i);
    return t ? std::string((const char*)t, (size_t)sqlite3_column_bytes(s_, i)) : std::string();
  }
  int64_t num(int i) override { return sqlite3_column_int64(s_, i); }
  std::vector<unsigned char> blob(int i) override {
    const unsigned char* b = (const unsigned char*)sqlite3_column_blob(s_, i);
    return b ? std::vector<unsigned char>(b, b + sqlite3_column_bytes(s_, i)) : std::vector<unsigned char>();
  }
  int64_t changes() override { return changes_; }
  bool unique_violation() override { return unique_; }

private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  int64_t changes_ = 0;
  bool unique_ = false;
};

class SqliteConnection : public Connection {
public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override { sqlite3_close(db_); }
  Dialect dialect() const override { return Dialect::Sqlite; }
  bool exec(const std::string& sql) override {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) == SQLITE_OK) return true;
    error_ = msg ? msg : "sqlite error";
    sqlite3_free(msg);
    return false;
  }
  std::unique_ptr<Cursor> prepare(const std::string& sql) override { return std::make_unique<SqliteCursor>(db_, sql); }
  bool begin(Isolation) override { return exec("BEGIN IMMEDIATE"); }
  bool commit() override { return exec("COMMIT"); }
  void rollback() override { exec("ROLLBACK"); }
  bool retryable() const override { return false; }  // BEGIN IMMEDIATE: nobody writes in between
  bool broken() const override { return false; }
  const std::string& error() const override { return error_; }

private:
  sqlite3* db_;
  std::string error_;
};

class SqliteDatabase : public Database {
public:
  explicit SqliteDatabase(sqlite3* db) : conn_(db) {}
  Dialect dialect() const override { return Dialect::Sqlite; }
  Lease lease() override { return Lease(this, &conn_, std::unique_lock<std::mutex>(mutex_)); }
  void give_back(Connection*) override {}  // the lease's lock is the only thing held
  std::string error() const override { return conn_.error(); }

private:
  SqliteConnection conn_;
  std::mutex mutex_;  // one connection, serialized: simple and, with WAL, fast enough here
};

}  // namespace

std::unique_ptr<Database> open_sqlite(const std::string& path, std::string* error) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    *error = path + ": " + (db ? sqlite3_errmsg(db) : "cannot open");
    sqlite3_close(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, 5000);
  return std::make_unique<SqliteDatabase>(db);
}

bool transaction(Lease& c, const std::function<bool()>& body, Isolation isolation) {
  if (!c) return false;
  // Enough for a burst of instances storing the same request; each retry waits a little longer.
  const int kAttempts = c->dialect() == Dialect::Postgres ? 12 : 1;
  thread_local std::minstd_rand jitter(std::random_device{}());
  for (int attempt = 0; attempt < kAttempts; attempt++) {
    if (!c->begin(isolation)) {
      if (c->broken() || !c->retryable()) return false;
      continue;
    }
    if (body() && c->commit()) return true;
    bool again = c->retryable() && !c->broken();
    c->rollback();
    if (!again) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200 * (attempt + 1) + jitter() % 1000));
  }
  return false;
}

}  // namespace hub::db
