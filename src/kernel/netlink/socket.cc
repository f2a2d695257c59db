#include "kernel/netlink/socket.h"

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <cstdlib>
#include <string>
#include <utility>

#include "kernel/netns/netns_guard.h"

namespace weft::netlink {

Result<Socket> Socket::Open() {
  nl_sock* sk = nl_socket_alloc();
  if (sk == nullptr) return Internal("nl_socket_alloc: out of memory");
  Socket sock(sk);
  // libnl opens the fd with SOCK_CLOEXEC.
  int rc = nl_connect(sk, NETLINK_ROUTE);
  if (rc < 0) return StatusFromNl("nl_connect(NETLINK_ROUTE)", rc);
  return sock;
}

Result<Socket> Socket::OpenIn(int netns_fd) {
  return netns::RunInNetns(netns_fd, [] { return Open(); });
}

Socket::Socket(Socket&& o) noexcept : sock_(std::exchange(o.sock_, nullptr)) {}

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this != &o) {
    if (sock_ != nullptr) nl_socket_free(sock_);
    sock_ = std::exchange(o.sock_, nullptr);
  }
  return *this;
}

Socket::~Socket() {
  if (sock_ != nullptr) nl_socket_free(sock_);  // closes the fd too
}

Status StatusFromNl(std::string_view what, int nl_error) {
  const int rc = std::abs(nl_error);
  if (rc == 0) return Status::Ok();
  Code code = Code::kInternal;
  switch (rc) {
    case NLE_EXIST:
      code = Code::kAlreadyExists;
      break;
    case NLE_OBJ_NOTFOUND:
    case NLE_NODEV:
    case NLE_NOADDR:
      code = Code::kNotFound;
      break;
    case NLE_PERM:
    case NLE_NOACCESS:
      code = Code::kPermissionDenied;
      break;
    case NLE_INVAL:
    case NLE_RANGE:
      code = Code::kInvalidArgument;
      break;
    case NLE_BUSY:
      code = Code::kFailedPrecondition;
      break;
    default:
      break;
  }
  std::string m(what);
  m += ": ";
  m += nl_geterror(rc);
  return Status(code, std::move(m));
}

}  // namespace weft::netlink
