#include "store/sqlite_db.h"

#include <cerrno>

namespace weft::store::sqlite {

Status StatusFromSqlite(std::string_view what, int rc, sqlite3* db) {
  Code code = Code::kInternal;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = Code::kUnavailable;
      break;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      code = Code::kPermissionDenied;
      break;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      code = Code::kFailedPrecondition;
      break;
    case SQLITE_CANTOPEN:
      if (db != nullptr &&
          (sqlite3_system_errno(db) == EACCES || sqlite3_system_errno(db) == EPERM)) {
        code = Code::kPermissionDenied;
      }
      break;
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        code = Code::kAlreadyExists;
      } else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
        code = Code::kFailedPrecondition;
      }
      break;
    default:
      break;
  }
  std::string m(what);
  m += ": ";
  m += (db != nullptr && sqlite3_extended_errcode(db) == rc) ? sqlite3_errmsg(db)
                                                             : sqlite3_errstr(rc);
  if (code == Code::kUnavailable) {
    m += " (another process holds the state database)";
  }
  return Status(code, std::move(m));
}

Status Exec(sqlite3* db, std::string_view what, const std::string& sql) {
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : StatusFromSqlite(what, rc, db);
}

DbPtr OpenDb(const std::string& path, int flags, Status* status) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    *status = StatusFromSqlite("open", rc, raw);
    return nullptr;
  }
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Query::Query(sqlite3* db, std::string_view sql) : db_(db) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &s, nullptr);
  stmt_.reset(s);
  if (rc != SQLITE_OK) status_ = StatusFromSqlite(What(sql), rc, db);
}

Query& Query::Text(std::string_view v) {
  if (v.data() == nullptr) v = "";  // a null pointer would bind NULL
  return Check(sqlite3_bind_text(stmt_.get(), next_++, v.data(), static_cast<int>(v.size()),
                                 SQLITE_TRANSIENT));
}

Query& Query::TextOrNull(std::string_view v) {
  if (!v.empty()) return Text(v);
  return Check(sqlite3_bind_null(stmt_.get(), next_++));
}

Query& Query::Int(int64_t v) { return Check(sqlite3_bind_int64(stmt_.get(), next_++, v)); }

Result<bool> Query::Step() {
  if (!status_.ok()) return status_;
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  status_ = StatusFromSqlite(What(sqlite3_sql(stmt_.get())), rc, db_);
  return status_;
}

Status Query::Run() {
  for (;;) {
    WEFT_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

std::string Query::ColText(int i) const {
  auto* p = sqlite3_column_text(stmt_.get(), i);
  return p == nullptr
             ? std::string()
             : std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_.get(), i));
}

int64_t Query::ColInt(int i) const { return sqlite3_column_int64(stmt_.get(), i); }

std::string Query::What(std::string_view sql) {
  std::string head(sql.substr(0, 48));
  for (char& c : head) c = (c == '\n') ? ' ' : c;
  return "sqlite \"" + head + (sql.size() > 48 ? "...\"" : "\"");
}

Query& Query::Check(int rc) {
  if (rc != SQLITE_OK && status_.ok()) {
    status_ = StatusFromSqlite("sqlite bind", rc, db_);
  }
  return *this;
}

Result<std::optional<std::string>> QueryOneText(Query& q) {
  WEFT_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(q.ColText(0));
}

std::string Select(std::string_view cols, std::string_view rest) {
  return "SELECT " + std::string(cols) + " " + std::string(rest);
}

RollbackGuard::~RollbackGuard() {
  if (db_ != nullptr && sqlite3_get_autocommit(db_) == 0) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

}  // namespace weft::store::sqlite
