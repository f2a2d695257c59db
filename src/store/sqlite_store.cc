// The SQLite backend's store: opening and migrating the database, its
// transactions and its change lock. Rows are read and written in
// sqlite_*_rows.cc.

#include "store/sqlite_store.h"

#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

#include "store/node.h"
#include "store/sqlite_db.h"
#include "store/sqlite_tx.h"
#include "store/tx_gate.h"

namespace weft::store {
namespace {

using sqlite::DbPtr;
using sqlite::Exec;
using sqlite::Query;
using sqlite::QueryOneText;
using sqlite::RollbackGuard;

constexpr std::string_view kLockFileName = "weft.lock";

class SqliteStore final : public Store {
 public:
  // `lock_path` "" takes the lock in-process (":memory:").
  SqliteStore(DbPtr db, std::string node, std::string lock_path)
      : db_(std::move(db)), node_(std::move(node)), lock_path_(std::move(lock_path)) {}

  const std::string& node() const override { return node_; }

  Result<ChangeLock> LockForChange() override {
    if (lock_path_.empty()) return in_process_.Acquire();
    return AcquireFileChangeLock(lock_path_);
  }
  Result<std::optional<ChangeLock>> TryLockForChange() override {
    if (lock_path_.empty()) return in_process_.TryAcquire();
    return TryAcquireFileChangeLock(lock_path_);
  }

  Status Update(const std::function<Status(Tx&)>& fn) override {
    return Run(fn, /*writable=*/true);
  }
  Status View(const std::function<Status(Tx&)>& fn) override { return Run(fn, /*writable=*/false); }

  Result<int64_t> OthersChangeCount() override {
    std::lock_guard<std::mutex> lock(gate_.mutex());
    Query q(db_.get(), "PRAGMA data_version");
    WEFT_ASSIGN_OR_RETURN(auto v, QueryOneText(q));
    if (!v) return Internal("PRAGMA data_version returned nothing");
    return static_cast<int64_t>(std::stoll(*v));
  }

 private:
  Status Run(const std::function<Status(Tx&)>& fn, bool writable) {
    return gate_.Run([&]() -> Status {
      sqlite3* db = db_.get();
      WEFT_RETURN_IF_ERROR(Exec(db, "begin transaction", writable ? "BEGIN IMMEDIATE" : "BEGIN"));
      RollbackGuard guard(db);
      sqlite::SqliteTx tx(db, writable, node_, &specs_);
      WEFT_RETURN_IF_ERROR(fn(tx));
      WEFT_RETURN_IF_ERROR(Exec(db, "commit", "COMMIT"));
      guard.Dismiss();
      return Status::Ok();
    });
  }

  TxGate gate_;
  DbPtr db_;                    // GUARDED_BY(gate_)
  sqlite::DecodedSpecs specs_;  // GUARDED_BY(gate_)
  const std::string node_;
  const std::string lock_path_;
  InProcessLock in_process_;
};

Result<int> UserVersion(sqlite3* db) {
  Query q(db, "PRAGMA user_version");
  WEFT_ASSIGN_OR_RETURN(auto v, QueryOneText(q));
  return v ? std::atoi(v->c_str()) : 0;
}

// Applies the missing migrations, each in its own write transaction. Another
// process may be migrating at the same time, so the version is re-read under
// the write lock. Migrations read the migrating host's node name from
// temp.weft_migration (a per-connection table).
Status Migrate(sqlite3* db, const std::string& path, const std::string& node,
               std::span<const std::string_view> migrations) {
  const int latest = static_cast<int>(migrations.size());
  bool env_ready = false;
  for (bool locked = false;; locked = true) {
    std::optional<RollbackGuard> guard;
    if (locked) {
      WEFT_RETURN_IF_ERROR(Exec(db, "begin migration", "BEGIN IMMEDIATE"));
      guard.emplace(db);
    }
    WEFT_ASSIGN_OR_RETURN(int version, UserVersion(db));
    if (version > latest) {
      return FailedPrecondition("state database " + path + " has schema version " +
                                std::to_string(version) +
                                " but this weft only knows versions up to " +
                                std::to_string(latest) + "; it was written by a newer weft");
    }
    if (version == latest) return Status::Ok();  // guard ends the transaction
    if (!locked) continue;
    if (!env_ready) {
      WEFT_RETURN_IF_ERROR(
          Exec(db, "prepare migration",
               "CREATE TEMP TABLE IF NOT EXISTS weft_migration(node TEXT NOT NULL);"
               "DELETE FROM temp.weft_migration;"));
      Query q(db, "INSERT INTO temp.weft_migration(node) VALUES (?)");
      q.Text(node);
      WEFT_RETURN_IF_ERROR(q.Run());
      env_ready = true;
    }
    std::string what = "migrate to schema version " + std::to_string(version + 1);
    WEFT_RETURN_IF_ERROR(Exec(db, what,
                              std::string(migrations[version]) +
                                  "\nPRAGMA user_version = " + std::to_string(version + 1) + ";"));
    WEFT_RETURN_IF_ERROR(Exec(db, what, "COMMIT"));
    guard->Dismiss();
  }
}

// Switches to WAL. Changing the journal mode needs an exclusive lock, which
// SQLite does not wait for, so retry until the busy timeout.
Status UseWal(sqlite3* db, int busy_timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  for (;;) {
    Query q(db, "PRAGMA journal_mode = WAL");
    auto mode = QueryOneText(q);
    if (mode.ok()) {
      if (*mode == "wal" || *mode == "memory") return Status::Ok();
      return FailedPrecondition("cannot use WAL journal mode (got " + mode->value_or("nothing") +
                                ")");
    }
    if (mode.status().code() != Code::kUnavailable ||
        std::chrono::steady_clock::now() >= deadline) {
      return mode.status();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// mkdir -p for the directory holding `path`; creates with mode 0700.
Status MakeParentDirs(const std::string& path) {
  size_t end = path.rfind('/');
  if (end == std::string::npos || end == 0) return Status::Ok();
  for (size_t pos = path.find('/', 1);; pos = path.find('/', pos + 1)) {
    std::string dir = path.substr(0, pos);
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0 && ::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return StatusFromErrno("mkdir " + dir, errno);
    }
    if (pos == end) return Status::Ok();
  }
}

// The directory holding `path` ("." for a bare file name).
std::string DirOf(const std::string& path) {
  size_t end = path.rfind('/');
  if (end == std::string::npos) return ".";
  return end == 0 ? "/" : path.substr(0, end);
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  return OpenSqliteStore(path, SqliteOptions());
}

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const SqliteOptions& options) {
  const bool in_memory = path == ":memory:";
  auto open = [&]() -> Result<std::unique_ptr<Store>> {
    if (!in_memory) WEFT_RETURN_IF_ERROR(MakeParentDirs(path));
    std::string node = options.node;
    if (node.empty()) {
      WEFT_ASSIGN_OR_RETURN(node, LocalNodeName(in_memory ? "" : DirOf(path), !in_memory));
    }
    WEFT_RETURN_IF_ERROR(CheckNodeName(node));
    Status s;
    DbPtr db = sqlite::OpenDb(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &s);
    if (db == nullptr) return s;
    sqlite3_busy_timeout(db.get(), options.busy_timeout_ms);
    WEFT_RETURN_IF_ERROR(UseWal(db.get(), options.busy_timeout_ms));
    WEFT_RETURN_IF_ERROR(Exec(db.get(), "set pragmas",
                              "PRAGMA synchronous = NORMAL; "
                              "PRAGMA foreign_keys = ON;"));
    WEFT_RETURN_IF_ERROR(Migrate(db.get(), path, node, options.migrations));
    std::string lock_path = in_memory ? "" : DirOf(path) + "/" + std::string(kLockFileName);
    return std::unique_ptr<Store>(
        new SqliteStore(std::move(db), std::move(node), std::move(lock_path)));
  };
  auto store = open();
  if (!store.ok()) return store.status().Wrap("open state database " + path);
  return store;
}

Status CheckSqliteIntegrity(const std::string& path) {
  Status s;
  DbPtr db = sqlite::OpenDb(path, SQLITE_OPEN_READWRITE, &s);
  if (db == nullptr) return s.Wrap("check " + path);
  sqlite3_busy_timeout(db.get(), SqliteOptions().busy_timeout_ms);
  std::string problems;
  Query integrity(db.get(), "PRAGMA integrity_check");
  for (;;) {
    WEFT_ASSIGN_OR_RETURN(bool row, integrity.Step());
    if (!row) break;
    if (integrity.ColText(0) != "ok") problems += "; " + integrity.ColText(0);
  }
  Query fk(db.get(), "PRAGMA foreign_key_check");
  for (;;) {
    WEFT_ASSIGN_OR_RETURN(bool row, fk.Step());
    if (!row) break;
    problems += "; row " + fk.ColText(1) + " of table " + fk.ColText(0) + " references a missing " +
                fk.ColText(2);
  }
  if (problems.empty()) return Status::Ok();
  return FailedPrecondition("state database " + path + " is damaged: " + problems.substr(2));
}

}  // namespace weft::store
