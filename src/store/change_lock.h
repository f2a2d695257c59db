#pragma once

#include <memory>

namespace weft::store {

// The store's exclusive change lock, held until destruction (or until moved
// from). Every mutating weft command holds it from planning to the end of
// applying, so plans are built from a store no other weft process is
// changing. How it is held is the backend's business (SQLite: a flock on
// the file beside the database; memory: an in-process flag; etcd, later: a
// lease-backed lock key). Move-only; may be released on any thread.
class ChangeLock {
 public:
  // What a backend keeps while the lock is held; its destructor releases it.
  class Held {
   public:
    virtual ~Held() = default;
  };

  explicit ChangeLock(std::unique_ptr<Held> held) : held_(std::move(held)) {}
  // A lock that holds nothing (for commands that change nothing).
  static ChangeLock None() { return ChangeLock(nullptr); }

  ChangeLock(ChangeLock&&) noexcept = default;
  ChangeLock& operator=(ChangeLock&&) noexcept = default;

  bool held() const { return held_ != nullptr; }

 private:
  std::unique_ptr<Held> held_;
};

}  // namespace weft::store

#include <optional>
#include <string>

#include "base/result.h"

namespace weft::store {

// The change lock as an exclusive flock on `path` (created 0600 if needed),
// the SQLite backend's: the same file weft has always locked, so older
// binaries and running daemons exclude each other with this one.
Result<ChangeLock> AcquireFileChangeLock(const std::string& path);
Result<std::optional<ChangeLock>> TryAcquireFileChangeLock(const std::string& path);

// The change lock within one process: the memory backend's, and an
// in-memory SQLite database's. Copies share one lock; a ChangeLock taken
// from it may outlive it.
class InProcessLock {
 public:
  InProcessLock();
  ChangeLock Acquire();
  std::optional<ChangeLock> TryAcquire();

 private:
  struct State;
  // The lock `state` marks as held, released when it is destroyed.
  static ChangeLock Holding(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace weft::store
