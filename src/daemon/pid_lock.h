#pragma once

// weftd's pid file and the lock on it: one weftd per state directory.

#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace weft::daemon {

class PidLock {
 public:
  PidLock() = default;
  // Takes an exclusive flock on `path` (created if needed) and writes our
  // pid into it. kAlreadyExists "weftd is already running (pid N)" when
  // another process holds it; that one's file is left alone.
  static Result<PidLock> Acquire(const std::string& path);

  PidLock(PidLock&&) = default;
  PidLock& operator=(PidLock&&) = default;
  ~PidLock() { Release(); }

  // Removes the pid file, then lets the lock go. Idempotent.
  void Release();
  bool held() const { return fd_.valid(); }

 private:
  PidLock(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  std::string path_;
  UniqueFd fd_;
};

}  // namespace weft::daemon
