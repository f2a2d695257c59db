#include "core/context.h"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>

#include "core/steps.h"
#include "store/open.h"

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
    WEFT_ASSIGN_OR_RETURN(store_, store::Open("memory:"));
  }
  if (!store_) {
    WEFT_RETURN_IF_ERROR(EnsureStateDir());
    WEFT_ASSIGN_OR_RETURN(store_, store::Open(store::SqliteUrl(paths_.db())));
  }
  return store_.get();
}

bool Context::HasStore() const {
  struct stat st;
  return ::stat(paths_.db().c_str(), &st) == 0;
}

Result<store::ChangeLock> Context::Lock() {
  if (dry_run_) return store::ChangeLock::None();
  WEFT_ASSIGN_OR_RETURN(auto* store, Store());
  return store->LockForChange();
}

}  // namespace weft::core
