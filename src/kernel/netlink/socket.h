#pragma once

// A NETLINK_ROUTE socket and the one place libnl error codes become Status.
//
// A Socket is bound to the network namespace it was opened in for its whole
// life, whatever namespace the calling thread is in later. Not safe for
// concurrent use: give each thread its own Socket.

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/status.h"

struct nl_sock;

namespace weft::netlink {

// The kernel's last refusal of a request on a Socket, kept by the socket's
// libnl error callback.
struct KernelRefusal {
  int error = 0;        // errno; 0: none kept
  std::string message;  // its extended-ack message (NLMSGERR_ATTR_MSG), or ""
};

class Socket {
 public:
  // Opens and connects a route socket (close-on-exec) in the calling thread's
  // netns. Returns kInternal (or the mapped libnl code) on failure.
  static Result<Socket> Open();
  // Opens a route socket inside the netns `netns_fd` (via netns::RunInNetns on
  // the calling thread, which then switches straight back). The socket stays
  // bound to that netns. Returns the setns error or the Open() error.
  // REQUIRES: CAP_SYS_ADMIN (setns).
  static Result<Socket> OpenIn(int netns_fd);

  Socket(Socket&& o) noexcept;
  Socket& operator=(Socket&& o) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket();

  nl_sock* get() const { return sock_; }

  // A Status for libnl's `rc` from a request on this socket: StatusFromNl's
  // code, with the kernel's own reason for its last refusal on this socket
  // (its extended-ack message, else its errno's text) instead of libnl's,
  // which folds errnos it does not know (EXFULL, ELOOP) into "Unspecific
  // failure". Consumes that reason.
  Status Error(std::string_view what, int rc);

 private:
  Socket(nl_sock* sock, std::unique_ptr<KernelRefusal> refusal)
      : sock_(sock), refusal_(std::move(refusal)) {}
  nl_sock* sock_ = nullptr;
  std::unique_ptr<KernelRefusal> refusal_;  // stable address: the callback's argument
};

// Converts a libnl error code (negative as returned by libnl, or positive) into
// a Status with message "what: nl_geterror(rc)".
// NLE_EXIST -> kAlreadyExists; NLE_OBJ_NOTFOUND, NLE_NODEV, NLE_NOADDR ->
// kNotFound; NLE_PERM, NLE_NOACCESS -> kPermissionDenied; NLE_INVAL, NLE_RANGE
// -> kInvalidArgument; NLE_BUSY -> kFailedPrecondition; else kInternal.
// rc == 0 gives OK.
Status StatusFromNl(std::string_view what, int nl_error);

}  // namespace weft::netlink
