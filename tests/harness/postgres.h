// A real PostgreSQL server for a test: Debian's initdb in a fresh directory, started with pg_ctl on
// a free loopback port, stopped at the end. PostgreSQL refuses to run as root, so where the test
// runs as root the server's processes run as `nobody` (the directory is handed to it).
#pragma once

#include <string>
#include <vector>

namespace harness {

struct Postgres {
  std::string dir;        // the cluster's directory (its data in dir/data, its log in dir/server.log)
  std::string port;
  std::string error;      // why start(), a query or a promotion failed

  // initdb (superuser "postgres", trust authentication on loopback only) and start, waiting until
  // the server accepts connections. settings are extra "name=value" lines for postgresql.conf.
  bool start(const std::string& name, const std::vector<std::string>& settings = {});
  // A standby of `primary`, made with pg_basebackup (-R: it streams from the primary at once),
  // named `application_name` in the primary's synchronous_standby_names.
  bool start_standby(const std::string& name, const Postgres& primary, const std::string& application_name);
  // On a primary: makes the standby of that name synchronous (synchronous_standby_names, reload)
  // and waits (at most 20 s) until pg_stat_replication says "sync": from then on a commit returns
  // only once the standby has it.
  bool require_synchronous(const std::string& application_name);
  // pg_ctl promote, waiting until the server accepts writes.
  bool promote();
  // SIGKILL to the postmaster: a host that dies (its backends lose their postmaster and exit).
  void kill9();
  // pg_ctl stop -m fast. The destructor does this when the server still runs.
  void stop();
  bool running() const;
  int postmaster_pid() const;  // from postmaster.pid; -1 when it does not run

  // postgresql://postgres@127.0.0.1:PORT/DB
  std::string url(const std::string& db = "postgres") const;
  // Runs SQL through psql (-v ON_ERROR_STOP=1, unaligned, tuples only) and returns its output
  // without the final newline; false (error set) when psql fails.
  bool psql(const std::string& sql, std::string* out = nullptr, const std::string& db = "postgres");
  bool create_database(const std::string& db);

  Postgres() = default;
  Postgres(const Postgres&) = delete;
  Postgres& operator=(const Postgres&) = delete;
  ~Postgres();
};

// The directory of Debian's PostgreSQL server programs (the newest /usr/lib/postgresql/N/bin),
// or "" when the server is not installed.
std::string postgres_bindir();

}  // namespace harness
