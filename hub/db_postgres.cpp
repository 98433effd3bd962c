// The PostgreSQL backend of hub/db.h (libpq): a small pool of connections, one leased per Store
// call so the hub's worker threads run in parallel. Parameters travel typed (int8, text, bytea in
// binary), results come back as text. Transactions that read then write run SERIALIZABLE; the
// caller's transaction() runs them again on a serialization failure (SQLSTATE 40001), a deadlock
// (40P01) or a unique violation (23505: another instance inserted the key after our check).
#include "db.h"

#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace hub::db {

namespace {

constexpr unsigned kInt8 = 20, kText = 25, kBytea = 17;  // pg_type OIDs (stable, see pg_type.dat)

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

class PgConnection;

class PgCursor : public Cursor {
public:
  PgCursor(PgConnection* conn, std::string sql) : conn_(conn), sql_(std::move(sql)) {}
  void bind_text(int i, const std::string& v) override { slot(i) = {v, kText, 0, false}; }
  void bind_int(int i, int64_t v) override { slot(i) = {std::to_string(v), kInt8, 0, false}; }
  void bind_blob(int i, const std::vector<unsigned char>& v) override {
    slot(i) = {std::string(v.begin(), v.end()), kBytea, 1, false};
  }
  void bind_null(int i) override { slot(i) = {"", 0, 0, true}; }  // type 0: the server infers it
  bool is_null(int i) override { return !res_ || PQgetisnull(res_.get(), row_, i); }
  StepResult step() override;
  std::string text(int i) override {
    if (!res_ || PQgetisnull(res_.get(), row_, i)) return {};
    return std::string(PQgetvalue(res_.get(), row_, i), (size_t)PQgetlength(res_.get(), row_, i));
  }
  int64_t num(int i) override {
    if (!res_ || PQgetisnull(res_.get(), row_, i)) return 0;
    const char* v = PQgetvalue(res_.get(), row_, i);
    if (v[0] == 't') return 1;  // a boolean
    if (v[0] == 'f') return 0;
    return strtoll(v, nullptr, 10);
  }
  std::vector<unsigned char> blob(int i) override {
    if (!res_ || PQgetisnull(res_.get(), row_, i)) return {};
    size_t n = 0;
    unsigned char* b = PQunescapeBytea((const unsigned char*)PQgetvalue(res_.get(), row_, i), &n);
    if (!b) return {};
    std::vector<unsigned char> out(b, b + n);
    PQfreemem(b);
    return out;
  }
  int64_t changes() override { return changes_; }
  bool unique_violation() override { return unique_; }

private:
  struct Param {
    std::string value;
    unsigned type = kText;
    int format = 0;
    bool null = false;
  };
  Param& slot(int i) {
    if ((size_t)i > params_.size()) params_.resize((size_t)i);
    return params_[(size_t)i - 1];
  }
  PgConnection* conn_;
  std::string sql_;
  std::vector<Param> params_;
  Result res_;
  int row_ = -1, rows_ = 0;
  int64_t changes_ = 0;
  bool unique_ = false;
};

class PgConnection : public Connection {
public:
  explicit PgConnection(PGconn* c) : c_(c) {}
  ~PgConnection() override { PQfinish(c_); }
  Dialect dialect() const override { return Dialect::Postgres; }
  bool exec(const std::string& sql) override {
    Result r(PQexec(c_, sql.c_str()));
    return check(r.get());
  }
  std::unique_ptr<Cursor> prepare(const std::string& sql) override {
    return std::make_unique<PgCursor>(this, postgres_placeholders(sql));
  }
  bool begin(Isolation isolation) override {
    sqlstate_.clear();
    return exec(isolation == Isolation::Serializable ? "BEGIN ISOLATION LEVEL SERIALIZABLE" : "BEGIN");
  }
  bool commit() override {
    Result r(PQexec(c_, "COMMIT"));
    // COMMIT of a transaction that already failed answers "ROLLBACK" without an error.
    return check(r.get()) && strcmp(PQcmdStatus(r.get()), "COMMIT") == 0;
  }
  void rollback() override {
    // A COMMIT that failed has already ended the transaction (a ROLLBACK then only warns).
    if (PQtransactionStatus(c_) != PQTRANS_IDLE) Result r(PQexec(c_, "ROLLBACK"));
  }
  bool retryable() const override {
    return sqlstate_ == "40001" || sqlstate_ == "40P01" || sqlstate_ == "23505";
  }
  bool broken() const override { return PQstatus(c_) != CONNECTION_OK; }
  // Back to the pool: a transaction a caller left open must not reach the next lease.
  void idle() {
    if (PQstatus(c_) == CONNECTION_OK && PQtransactionStatus(c_) != PQTRANS_IDLE) rollback();
  }
  const std::string& error() const override { return error_; }

  // Records a result's failure (its message and SQLSTATE); true when it succeeded.
  bool check(const PGresult* r) {
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) return true;
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    sqlstate_ = state ? state : "";
    error_ = r ? PQresultErrorMessage(r) : PQerrorMessage(c_);
    while (!error_.empty() && error_.back() == '\n') error_.pop_back();
    return false;
  }
  const std::string& sqlstate() const { return sqlstate_; }
  PGconn* raw() { return c_; }

private:
  PGconn* c_;
  std::string error_, sqlstate_;
};

StepResult PgCursor::step() {
  if (!res_) {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    std::vector<unsigned> types;
    for (const Param& p : params_) {
      values.push_back(p.null ? nullptr : p.value.data());
      lengths.push_back((int)p.value.size());
      formats.push_back(p.format);
      types.push_back(p.type);
    }
    res_.reset(PQexecParams(conn_->raw(), sql_.c_str(), (int)params_.size(), types.data(), values.data(),
                            lengths.data(), formats.data(), 0));
    if (!conn_->check(res_.get())) {
      unique_ = conn_->sqlstate() == "23505";
      res_.reset();
      return kError;
    }
    rows_ = PQntuples(res_.get());
    const char* tuples = PQcmdTuples(res_.get());
    changes_ = tuples && *tuples ? strtoll(tuples, nullptr, 10) : 0;
  }
  return ++row_ < rows_ ? kRow : kDone;
}

class PgDatabase : public Database {
public:
  PgDatabase(std::string url, int size) : url_(std::move(url)), size_(size < 1 ? 1 : size) {}
  ~PgDatabase() override {
    for (Connection* c : idle_) delete c;
  }
  Dialect dialect() const override { return Dialect::Postgres; }
  Lease lease() override {
    std::unique_lock<std::mutex> lock(mutex_);
    free_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
    if (!idle_.empty()) {
      Connection* c = idle_.back();
      idle_.pop_back();
      return Lease(this, c, {});
    }
    open_++;
    lock.unlock();
    // Connecting happens outside the lock: a server that is down must not stall every lease.
    Connection* c = connect();
    if (!c) {
      lock.lock();
      open_--;
      free_.notify_one();
      return Lease();
    }
    return Lease(this, c, {});
  }
  void give_back(Connection* c) override {
    static_cast<PgConnection*>(c)->idle();  // every connection of this pool is one
    std::lock_guard<std::mutex> lock(mutex_);
    // A lost connection (a server restart, a failover) is dropped: the next lease opens a new
    // one, to whichever server libpq's URL finds.
    if (c->broken()) {
      delete c;
      open_--;
    } else {
      idle_.push_back(c);
    }
    free_.notify_one();
  }
  std::string error() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return error_;
  }

  Connection* connect() {
    PGconn* raw = PQconnectdb(url_.c_str());
    if (PQstatus(raw) != CONNECTION_OK) {
      std::string why = PQerrorMessage(raw);
      while (!why.empty() && why.back() == '\n') why.pop_back();
      PQfinish(raw);
      std::lock_guard<std::mutex> lock(mutex_);
      error_ = redact_url(url_) + ": " + why;
      return nullptr;
    }
    auto* c = new PgConnection(raw);
    // Quiet NOTICEs (CREATE ... IF NOT EXISTS) and UTC; an acknowledgement waits for the commit
    // to be durable (and, with synchronous_standby_names, on the standby) in any case.
    c->exec("SET client_min_messages = warning; SET TIME ZONE 'UTC'; SET synchronous_commit = on");
    return c;
  }

private:
  std::string url_;
  int size_;
  mutable std::mutex mutex_;
  std::condition_variable free_;
  std::vector<Connection*> idle_;
  int open_ = 0;
  std::string error_;
};

}  // namespace

bool is_postgres_url(const std::string& target) {
  return target.rfind("postgresql://", 0) == 0 || target.rfind("postgres://", 0) == 0;
}

std::string postgres_url_problem(const std::string& url) {
  if (!is_postgres_url(url)) return "--database wants a URL postgresql://USER@HOST[:PORT]/DBNAME";
  size_t rest = url.find("://") + 3;
  size_t slash = url.find('/', rest);
  std::string authority = url.substr(rest, slash == std::string::npos ? std::string::npos : slash - rest);
  size_t at = authority.rfind('@');
  std::string hosts = at == std::string::npos ? authority : authority.substr(at + 1);
  if (hosts.empty() && url.find("host=") == std::string::npos)
    return "--database " + redact_url(url) + ": no host (postgresql://USER@HOST[:PORT]/DBNAME)";
  if (slash == std::string::npos || slash + 1 >= url.size() || url[slash + 1] == '?')
    return "--database " + redact_url(url) + ": no database name (postgresql://USER@HOST[:PORT]/DBNAME)";
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (!opts) {
    std::string why = err ? err : "unreadable";
    PQfreemem(err);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return "--database " + redact_url(url) + ": " + why;
  }
  PQconninfoFree(opts);
  return "";
}

std::string redact_url(const std::string& url) {
  size_t rest = url.find("://");
  if (rest == std::string::npos) return url;
  rest += 3;
  size_t end = url.find_first_of("/?", rest);
  size_t at = url.rfind('@', end == std::string::npos ? std::string::npos : end);
  std::string out = url;
  if (at != std::string::npos && at >= rest) {
    size_t colon = url.find(':', rest);
    if (colon != std::string::npos && colon < at) out = url.substr(0, colon + 1) + "***" + url.substr(at);
  }
  // A password given as a query parameter goes too.
  size_t p = out.find("password=");
  if (p != std::string::npos) {
    size_t e = out.find('&', p);
    out = out.substr(0, p + 9) + "***" + (e == std::string::npos ? "" : out.substr(e));
  }
  return out;
}

std::string postgres_placeholders(const std::string& sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 0;
  char quote = 0;
  for (size_t i = 0; i < sql.size(); i++) {
    char ch = sql[i];
    if (quote) {
      out += ch;
      if (ch == quote) quote = 0;  // a doubled quote closes and reopens: same result
      continue;
    }
    if (ch == '\'' || ch == '"') {
      quote = ch;
      out += ch;
      continue;
    }
    if (ch != '?') {
      out += ch;
      continue;
    }
    size_t j = i + 1;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') j++;
    int n = j > i + 1 ? atoi(sql.substr(i + 1, j - i - 1).c_str()) : next + 1;
    if (n > next) next = n;
    out += "$" + std::to_string(n);
    i = j - 1;
  }
  return out;
}

std::unique_ptr<Database> open_postgres(const std::string& url, int pool_size, std::string* error) {
  if (std::string problem = postgres_url_problem(url); !problem.empty()) {
    *error = problem;
    return nullptr;
  }
  auto db = std::make_unique<PgDatabase>(url, pool_size);
  {
    Lease first = db->lease();  // fail now, with the server's reason, rather than on the first request
    if (!first) {
      *error = db->error();
      return nullptr;
    }
  }
  return db;
}

}  // namespace hub::db
