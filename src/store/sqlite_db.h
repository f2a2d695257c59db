#pragma once

// SQLite plumbing shared by the SQLite backend's files (internal to
// src/store): the connection handle, prepared statements, error mapping and
// transaction guards. Only the sqlite_*.cc files include this header and
// <sqlite3.h> (see STYLE.md section 1).

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/status.h"

namespace weft::store::sqlite {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// Converts a failed SQLite result code: "what: sqlite's message".
Status StatusFromSqlite(std::string_view what, int rc, sqlite3* db);

// Runs one or more statements that return no rows.
Status Exec(sqlite3* db, std::string_view what, const std::string& sql);

// Opens the database file with SQLite's extended result codes on.
DbPtr OpenDb(const std::string& path, int flags, Status* status);

// A prepared statement. Bind errors are kept and reported by Step(), so
// call sites can chain binds without checking each.
class Query {
 public:
  Query(sqlite3* db, std::string_view sql);

  Query& Text(std::string_view v);
  // Binds "" as NULL.
  Query& TextOrNull(std::string_view v);
  Query& Int(int64_t v);

  // True when a row is ready, false when the statement is done.
  Result<bool> Step();
  // Steps to completion, ignoring rows.
  Status Run();

  // Column readers for the current row; NULL reads as "" / 0.
  std::string ColText(int i) const;
  int64_t ColInt(int i) const;

 private:
  static std::string What(std::string_view sql);
  Query& Check(int rc);

  sqlite3* db_;
  StmtPtr stmt_;
  int next_ = 1;
  Status status_;
};

// Reads a single-row, single-column answer, or nullopt when there is no row.
Result<std::optional<std::string>> QueryOneText(Query& q);

// "SELECT cols rest".
std::string Select(std::string_view cols, std::string_view rest);

// Rolls back the open transaction on scope exit unless dismissed.
class RollbackGuard {
 public:
  explicit RollbackGuard(sqlite3* db) : db_(db) {}
  ~RollbackGuard();
  void Dismiss() { db_ = nullptr; }
  RollbackGuard(const RollbackGuard&) = delete;
  RollbackGuard& operator=(const RollbackGuard&) = delete;

 private:
  sqlite3* db_;
};

}  // namespace weft::store::sqlite
