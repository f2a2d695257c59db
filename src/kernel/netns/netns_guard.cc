#include "kernel/netns/netns_guard.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace weft::netns {

Result<std::unique_ptr<NetnsGuard>> NetnsGuard::Enter(int netns_fd) {
  UniqueFd saved(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!saved.valid()) {
    return StatusFromErrno("open /proc/thread-self/ns/net", errno);
  }
  if (::setns(netns_fd, CLONE_NEWNET) != 0) {
    return StatusFromErrno("setns(CLONE_NEWNET)", errno);
  }
  return std::unique_ptr<NetnsGuard>(new NetnsGuard(std::move(saved), ::gettid()));
}

NetnsGuard::~NetnsGuard() {
  if (::gettid() != tid_) {
    std::fprintf(stderr, "weft: NetnsGuard destroyed on thread %d, entered on %d\n",
                 static_cast<int>(::gettid()), static_cast<int>(tid_));
    std::abort();
  }
  if (::setns(saved_.get(), CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "weft: cannot switch thread back to its netns: %s\n",
                 std::strerror(errno));
    std::abort();
  }
}

}  // namespace weft::netns
