#include "daemon/pid_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

namespace weft::daemon {

Result<PidLock> PidLock::Acquire(const std::string& path) {
  // Held in a local until locked: a daemon that failed to lock must not
  // remove the pid file of the one that holds it.
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return StatusFromErrno("open " + path, errno);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return StatusFromErrno("lock " + path, errno);
    std::ifstream f(path);
    std::string pid;
    f >> pid;
    return AlreadyExists("weftd is already running" + (pid.empty() ? "" : " (pid " + pid + ")"));
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 ||
      ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return StatusFromErrno("write " + path, errno);
  }
  return PidLock(path, std::move(fd));
}

void PidLock::Release() {
  if (!fd_.valid()) return;
  ::unlink(path_.c_str());
  fd_.Reset();
}

}  // namespace weft::daemon
