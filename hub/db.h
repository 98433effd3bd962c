// The hub's database face: one small API over two backends, SQLite (one embedded file, the default)
// and PostgreSQL (libpq, a pool of connections). Every Store method leases a connection, runs
// statements written once with SQLite's `?` / `?N` placeholders (the PostgreSQL side rewrites them
// to `$N`), and gives the connection back when the lease ends.
//
//   db::Lease c = database.lease();           // SQLite: the one connection under its mutex
//   db::Stmt q(c, "SELECT ... WHERE id = ?");   // PostgreSQL: a pooled connection of its own
//   if (q.bind(1, id).step() == db::kRow) use(q.text(0));
//   db::transaction(c, [&] { ...; return true; });  // false (or a failed statement) rolls back
//
// Where the SQL truly differs a caller asks c->dialect(); everything else is portable SQL.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hub::db {

enum class Dialect { Sqlite, Postgres };
// How a PostgreSQL transaction keeps its reads true until it commits (SQLite has one writer and
// ignores it). Serializable: the server tracks every read and fails a commit that another
// transaction made untrue. RowLocks: read committed, and the body first locks the rows its checks
// rely on (SELECT ... FOR UPDATE): for hot paths, where serializable's page-granular tracking
// fails unrelated writers against each other (kiosks of different desks storing at once).
enum class Isolation { Serializable, RowLocks };
enum StepResult { kError = 0, kRow, kDone };

// One prepared statement of one backend (made by Connection::prepare).
class Cursor {
public:
  virtual ~Cursor() = default;
  virtual void bind_text(int i, const std::string& v) = 0;
  virtual void bind_int(int i, int64_t v) = 0;
  virtual void bind_blob(int i, const std::vector<unsigned char>& v) = 0;
  virtual void bind_null(int i) = 0;
  virtual StepResult step() = 0;
  virtual bool is_null(int i) = 0;
  virtual std::string text(int i) = 0;          // "" for NULL
  virtual int64_t num(int i) = 0;               // 0 for NULL; a boolean reads 1 or 0
  virtual std::vector<unsigned char> blob(int i) = 0;
  virtual int64_t changes() = 0;                // rows the last step's statement changed
  virtual bool unique_violation() = 0;          // the statement failed on a UNIQUE constraint
};

// One connection to one database.
class Connection {
public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  virtual bool exec(const std::string& sql) = 0;           // one or more statements, no parameters
  virtual std::unique_ptr<Cursor> prepare(const std::string& sql) = 0;
  virtual bool begin(Isolation isolation) = 0;              // a transaction that may read then write
  virtual bool commit() = 0;                                // true only when the COMMIT took effect
  virtual void rollback() = 0;
  // The last failure was one that running the transaction again may cure: a serialization
  // failure, a deadlock, or a concurrent insert of the same key (PostgreSQL only).
  virtual bool retryable() const = 0;
  virtual bool broken() const = 0;                          // the connection is lost
  virtual const std::string& error() const = 0;
};

class Database;

// A leased connection: given back to its database when the lease ends. An empty lease (no
// connection could be had) makes every statement fail with kError.
class Lease {
public:
  Lease() = default;
  Lease(Database* owner, Connection* conn, std::unique_lock<std::mutex> lock)
      : owner_(owner), conn_(conn), lock_(std::move(lock)) {}
  Lease(Lease&& o) noexcept : owner_(o.owner_), conn_(o.conn_), lock_(std::move(o.lock_)) { o.conn_ = nullptr; }
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  ~Lease();
  explicit operator bool() const { return conn_ != nullptr; }
  Connection* operator->() const { return conn_; }
  Connection* get() const { return conn_; }
  Dialect dialect() const;

private:
  Database* owner_ = nullptr;
  Connection* conn_ = nullptr;
  std::unique_lock<std::mutex> lock_;
};

// Where the data lives: a file (SQLite) or a server (PostgreSQL, a pool).
class Database {
public:
  virtual ~Database() = default;
  virtual Dialect dialect() const = 0;
  virtual Lease lease() = 0;            // waits for a free connection
  virtual void give_back(Connection* conn) = 0;
  virtual std::string error() const = 0;
};

// A path opens (or creates) an SQLite file; a postgresql:// or postgres:// URL connects to a
// server. nullptr with *error set when it cannot.
std::unique_ptr<Database> open_sqlite(const std::string& path, std::string* error);
std::unique_ptr<Database> open_postgres(const std::string& url, int pool_size, std::string* error);
bool is_postgres_url(const std::string& target);
// What is wrong with a PostgreSQL URL's shape ("" when nothing); never repeats a password.
std::string postgres_url_problem(const std::string& url);
// The URL with its password (if any) replaced by "***", for logs and messages.
std::string redact_url(const std::string& url);
// `?` and `?N` placeholders as PostgreSQL's `$N`, outside quoted text and identifiers.
std::string postgres_placeholders(const std::string& sql);

// A statement on a lease; binds are 1-based as in SQLite. Inert when the lease is empty.
class Stmt {
public:
  Stmt(Lease& c, const std::string& sql) {
    if (c) cur_ = c->prepare(sql);
  }
  Stmt& bind(int i, const std::string& v) {
    if (cur_) cur_->bind_text(i, v);
    return *this;
  }
  Stmt& bind(int i, int64_t v) {
    if (cur_) cur_->bind_int(i, v);
    return *this;
  }
  Stmt& bind_blob(int i, const std::vector<unsigned char>& v) {
    if (cur_) cur_->bind_blob(i, v);
    return *this;
  }
  Stmt& bind_null(int i) {
    if (cur_) cur_->bind_null(i);
    return *this;
  }
  StepResult step() { return cur_ ? cur_->step() : kError; }
  bool is_null(int i) { return !cur_ || cur_->is_null(i); }
  std::string text(int i) { return cur_ ? cur_->text(i) : std::string(); }
  int64_t num(int i) { return cur_ ? cur_->num(i) : 0; }
  std::vector<unsigned char> blob(int i) { return cur_ ? cur_->blob(i) : std::vector<unsigned char>(); }
  int64_t changes() { return cur_ ? cur_->changes() : 0; }
  bool unique_violation() { return cur_ && cur_->unique_violation(); }

private:
  std::unique_ptr<Cursor> cur_;
};

// Runs body inside a transaction and commits when it returns true. SQLite: BEGIN IMMEDIATE (the
// one writer). PostgreSQL: at that isolation, run again (a bounded number of times) when a
// statement or the commit fails with a serialization failure, a deadlock or a unique violation:
// body must start from scratch each time. True only when the commit took effect.
bool transaction(Lease& c, const std::function<bool()>& body, Isolation isolation = Isolation::Serializable);

}  // namespace hub::db
