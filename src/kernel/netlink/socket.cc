#include "kernel/netlink/socket.h"

#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "kernel/netns/netns_guard.h"

namespace weft::netlink {

namespace {

// libnl's error callback: keeps the kernel's errno and extended-ack message,
// then lets libnl return its own code as without a callback (NL_STOP).
int KeepRefusal(sockaddr_nl*, nlmsgerr* e, void* arg) {
  auto* out = static_cast<KernelRefusal*>(arg);
  out->error = -e->error;
  out->message.clear();
  const auto* hdr =
      reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(e) - NLMSG_HDRLEN);
  if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS)) return NL_STOP;
  size_t offset = NLMSG_HDRLEN + sizeof(nlmsgerr);
  if (!(hdr->nlmsg_flags & NLM_F_CAPPED)) offset += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
  if (offset >= hdr->nlmsg_len) return NL_STOP;
  nlattr* tb[NLMSGERR_ATTR_MAX + 1] = {};
  auto* head =
      reinterpret_cast<nlattr*>(const_cast<char*>(reinterpret_cast<const char*>(hdr)) + offset);
  if (nla_parse(tb, NLMSGERR_ATTR_MAX, head, static_cast<int>(hdr->nlmsg_len - offset), nullptr) <
      0) {
    return NL_STOP;
  }
  if (tb[NLMSGERR_ATTR_MSG]) out->message = nla_get_string(tb[NLMSGERR_ATTR_MSG]);
  return NL_STOP;
}

}  // namespace

Result<Socket> Socket::Open() {
  nl_sock* sk = nl_socket_alloc();
  if (sk == nullptr) return Internal("nl_socket_alloc: out of memory");
  Socket sock(sk, std::make_unique<KernelRefusal>());
  // libnl opens the fd with SOCK_CLOEXEC.
  int rc = nl_connect(sk, NETLINK_ROUTE);
  if (rc < 0) return StatusFromNl("nl_connect(NETLINK_ROUTE)", rc);
  // The kernel's reasons, not only its errnos (best effort: old kernels
  // have no extended acks).
  const int on = 1;
  ::setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof(on));
  nl_cb* cb = nl_socket_get_cb(sk);
  nl_cb_err(cb, NL_CB_CUSTOM, &KeepRefusal, sock.refusal_.get());
  nl_cb_put(cb);
  return sock;
}

Status Socket::Error(std::string_view what, int rc) {
  Status s = StatusFromNl(what, rc);
  if (s.ok() || !refusal_ || refusal_->error <= 0) return s;
  std::string reason =
      refusal_->message.empty() ? std::strerror(refusal_->error) : refusal_->message;
  refusal_->error = 0;
  refusal_->message.clear();
  return Status(s.code(), std::string(what) + ": " + reason);
}

Result<Socket> Socket::OpenIn(int netns_fd) {
  return netns::RunInNetns(netns_fd, [] { return Open(); });
}

Socket::Socket(Socket&& o) noexcept
    : sock_(std::exchange(o.sock_, nullptr)), refusal_(std::move(o.refusal_)) {}

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this != &o) {
    if (sock_ != nullptr) nl_socket_free(sock_);
    sock_ = std::exchange(o.sock_, nullptr);
    refusal_ = std::move(o.refusal_);
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
