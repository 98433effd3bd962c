// Shared by the store's files: a prepared statement that finalizes itself.
#pragma once

#include "hub.h"

namespace hub {

// A prepared statement that finalizes itself; bind helpers keep call sites short.
struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &s, nullptr); }
  ~Stmt() { sqlite3_finalize(s); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.data(), (int)v.size(), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(s, i, v);
    return *this;
  }
  Stmt& bind_blob(int i, const std::vector<unsigned char>& v) {
    sqlite3_bind_blob(s, i, v.data(), (int)v.size(), SQLITE_TRANSIENT);
    return *this;
  }
  int step() { return s ? sqlite3_step(s) : SQLITE_ERROR; }
  std::string text(int i) {
    const unsigned char* t = sqlite3_column_text(s, i);
    return t ? (const char*)t : "";
  }
  int64_t num(int i) { return sqlite3_column_int64(s, i); }
};


}  // namespace hub
