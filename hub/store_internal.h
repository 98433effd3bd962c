// Shared by the store's files: the database face (db.h) and the few dialect choices.
#pragma once

#include "hub.h"

namespace hub {

using db::Stmt;

// The column that orders rows as they were inserted: SQLite's rowid, PostgreSQL's identity seq.
inline const char* insertion_order(const db::Lease& c) {
  return c.dialect() == db::Dialect::Postgres ? "seq" : "rowid";
}
// A subquery of the values of a JSON array of strings bound at `param` ("?6").
inline std::string json_values(const db::Lease& c, const char* param) {
  return c.dialect() == db::Dialect::Postgres ? std::string("SELECT value FROM json_array_elements_text(CAST(") + param + " AS json))"
                                              : std::string("SELECT value FROM json_each(") + param + ")";
}

// The first column of the one row `sql` finds for `key`, nullopt when none. *unavailable (when
// given) tells a database that could not answer (a failover, a restart) from a row that is not
// there: callers answer the first "try again", never "unknown".
inline std::optional<std::string> lookup_text(db::Lease& c, const char* sql, const std::string& key, bool* unavailable) {
  Stmt q(c, sql);
  int rc = c ? q.bind(1, key).step() : db::kError;
  if (unavailable) *unavailable = rc == db::kError;
  if (rc != db::kRow) return std::nullopt;
  return q.text(0);
}

}  // namespace hub
