#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace weft {

// An exclusive advisory lock (flock) on a file, held until destruction.
// Every mutating weft command holds the state lock from planning to the end of
// applying, so plans are built from a store no other weft process is changing.
// The kernel releases the lock when the process dies, even on SIGKILL.
class FileLock {
 public:
  // Creates the file (0600) if needed and blocks until the lock is held.
  static Result<FileLock> Acquire(const std::string& path);
  // The same without waiting: an empty optional when another holds it.
  static Result<std::optional<FileLock>> TryAcquire(const std::string& path);

  // A lock that holds nothing (for commands that change nothing).
  static FileLock None() { return FileLock(UniqueFd()); }

  FileLock(FileLock&&) = default;
  FileLock& operator=(FileLock&&) = default;

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace weft
