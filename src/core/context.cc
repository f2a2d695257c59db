#include "core/context.h"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>

#include "core/steps.h"
#include "store/sqlite_store.h"

namespace weft::core {

Context::Context(Paths paths, std::optional<engine::Fault> fault)
    : paths_(std::move(paths)), engine_((RegisterSteps(), std::move(fault))) {}

Status Context::EnsureStateDir() const {
  std::error_code ec;
  std::filesystem::create_directories(paths_.state_dir, ec);
  if (ec) return Internal("create state dir " + paths_.state_dir + ": " + ec.message());
  ::chmod(paths_.state_dir.c_str(), 0700);
  return Status::Ok();
}

Result<store::Store*> Context::Store() {
  if (!store_ && dry_run_ && !HasStore()) {
    WEFT_ASSIGN_OR_RETURN(store_, store::OpenSqliteStore(":memory:"));
  }
  if (!store_) {
    WEFT_RETURN_IF_ERROR(EnsureStateDir());
    WEFT_ASSIGN_OR_RETURN(store_, store::OpenSqliteStore(paths_.db()));
  }
  return store_.get();
}

bool Context::HasStore() const {
  struct stat st;
  return ::stat(paths_.db().c_str(), &st) == 0;
}

Result<FileLock> Context::Lock() {
  if (dry_run_) return FileLock::None();
  WEFT_RETURN_IF_ERROR(EnsureStateDir());
  return FileLock::Acquire(paths_.lock());
}

}  // namespace weft::core
