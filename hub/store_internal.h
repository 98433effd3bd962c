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

}  // namespace hub
