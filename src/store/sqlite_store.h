#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/status.h"
#include "store/schema.h"
#include "store/store.h"

namespace weft::store {

struct SqliteOptions {
  // How long a transaction waits for another process's lock before failing
  // with kUnavailable.
  int busy_timeout_ms = 10000;
  // The local node (Store::node()); "" for LocalNodeName(the database's
  // directory) (node.h), or WEFT_NODE / the host's name for ":memory:".
  std::string node;
  // The schema history to migrate to; tests substitute a longer one.
  std::span<const std::string_view> migrations = SchemaMigrations();
};

// The SQLite backend. Prefer store::Open("sqlite://PATH") (open.h).
//
// Opens (creating if needed) the SQLite state database at `path` and
// migrates it to the current schema, one transaction per migration.
// Rows written before containers had a node get the local node.
// Creates missing parent directories with mode 0700. ":memory:" gives a
// private in-memory database (for tests).
// The database runs in WAL mode with synchronous=NORMAL and foreign keys on,
// so readers never block the writer and many processes (daemon, CNI plugin,
// CLI) may open it at once.
// Fails with kFailedPrecondition if the database has a newer schema than
// this binary knows or is not a database, kUnavailable if it stays locked
// past the busy timeout, kPermissionDenied if it is not writable.
// The change lock (Store::LockForChange) is a flock on `weft.lock` in the
// database's directory ("<state-dir>/weft.lock"); in-process for ":memory:".
// The returned Store must not be used across fork(); open a new one.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const SqliteOptions& options);

// Runs `PRAGMA integrity_check` (and foreign_key_check) on the database at
// `path`. kFailedPrecondition listing the problems if it is damaged.
Status CheckSqliteIntegrity(const std::string& path);

}  // namespace weft::store
