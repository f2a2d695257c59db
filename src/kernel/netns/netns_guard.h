#pragma once

// Switching the CURRENT THREAD into another network namespace and back.
//
// setns(CLONE_NEWNET) changes only the calling thread. Use these on a
// short-lived worker thread, never on the daemon's event-loop or DNS
// threads, and keep the work inside small. Prefer opening a netlink socket
// inside the netns once (netlink::Socket::OpenIn) over running many calls in
// it. REQUIRES: CAP_SYS_ADMIN (setns).

#include <sys/types.h>

#include <memory>
#include <utility>

#include "base/result.h"
#include "base/status.h"
#include "base/unique_fd.h"

namespace weft::netns {

class NetnsGuard {
 public:
  // Saves /proc/thread-self/ns/net, then setns()es into `netns_fd`. Returns
  // StatusFromErrno("setns", ...) (kInvalidArgument if the fd is not a netns)
  // and leaves the thread where it was on failure.
  static Result<std::unique_ptr<NetnsGuard>> Enter(int netns_fd);

  // Switches back to the saved netns. If that fails, or the guard is
  // destroyed on another thread than the one that entered, calls
  // std::abort(): a thread in the wrong netns must not keep running.
  ~NetnsGuard();

  NetnsGuard(const NetnsGuard&) = delete;
  NetnsGuard& operator=(const NetnsGuard&) = delete;

 private:
  NetnsGuard(UniqueFd saved, pid_t tid) : saved_(std::move(saved)), tid_(tid) {}

  UniqueFd saved_;
  pid_t tid_;
};

// Runs `fn` with the current thread in `netns_fd` and switches back
// afterwards (also when fn fails). `fn` returns Status or Result<T>; if
// entering fails, that Status is returned and fn is not called.
template <typename F>
auto RunInNetns(int netns_fd, F&& fn) -> decltype(fn()) {
  auto guard = NetnsGuard::Enter(netns_fd);
  if (!guard.ok()) return guard.status();
  return fn();
}

}  // namespace weft::netns
