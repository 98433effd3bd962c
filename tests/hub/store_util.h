// The store a unit test opens: a fresh SQLite file in the build tree, or, when ctest runs the
// tests a second time with SPORTELLO_TEST_POSTGRES (the file where the PostgreSQL fixture wrote
// its server's URL, see postgres_server.cpp), a fresh database of its own on that server. Tests
// read and write the tables through hub/db.h, so one line of SQL checks both backends.
#pragma once

#include "db.h"

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace storetest {

// The fixture's server ("postgresql://postgres@127.0.0.1:PORT"), or "" when the tests run on SQLite.
inline std::string postgres_server() {
  const char* file = getenv("SPORTELLO_TEST_POSTGRES");
  if (!file || !*file) return "";
  std::ifstream in(file);
  std::string url;
  std::getline(in, url);
  return url;
}

inline bool on_postgres() { return !postgres_server().empty(); }

// A new, empty database on the fixture's server, named after the test; its URL ("" on failure).
inline std::string fresh_postgres(const std::string& name) {
  static std::atomic<int> serial{0};
  std::string db = "t_";
  for (char ch : name) db += std::isalnum((unsigned char)ch) ? (char)std::tolower((unsigned char)ch) : '_';
  db += "_" + std::to_string(getpid()) + "_" + std::to_string(serial++);
  std::string error;
  auto admin = hub::db::open_postgres(postgres_server() + "/postgres", 1, &error);
  if (!admin) return "";
  hub::db::Lease c = admin->lease();
  if (!c->exec("DROP DATABASE IF EXISTS " + db) || !c->exec("CREATE DATABASE " + db)) return "";
  return postgres_server() + "/" + db;
}

// Where a test's store lives: `dir/hub.db` (made fresh) or a fresh PostgreSQL database.
inline std::string fresh_target(const std::string& dir, const std::string& name) {
  if (on_postgres()) return fresh_postgres(name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir + "/hub.db";
}

inline std::unique_ptr<hub::db::Database> open_target(const std::string& target) {
  std::string error;
  return hub::db::is_postgres_url(target) ? hub::db::open_postgres(target, 1, &error)
                                          : hub::db::open_sqlite(target, &error);
}

// Runs SQL (one or more statements, no parameters) as a second connection: true when it succeeded.
inline bool run(const std::string& target, const std::string& sql) {
  auto db = open_target(target);
  if (!db) return false;
  hub::db::Lease c = db->lease();
  return c && c->exec(sql);
}

// The first column of the first row of a query, or -1.
inline int64_t count(const std::string& target, const std::string& sql) {
  auto db = open_target(target);
  if (!db) return -1;
  hub::db::Lease c = db->lease();
  hub::db::Stmt q(c, sql);
  return q.step() == hub::db::kRow ? q.num(0) : -1;
}

}  // namespace storetest
