#include "kernel/netlink/nftrace_socket.h"

#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace weft::netlink {

Result<NftraceSocket> NftraceSocket::Open() {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER));
  if (!fd.valid()) return StatusFromErrno("socket(NETLINK_NETFILTER)", errno);
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return StatusFromErrno("bind netfilter socket", errno);
  }
  int group = NFNLGRP_NFTRACE;
  if (setsockopt(fd.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) != 0) {
    return StatusFromErrno("join NFNLGRP_NFTRACE", errno);
  }
  int rcvbuf = 4 << 20;  // a trace is a burst of events; do not lose them
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
  return NftraceSocket(std::move(fd));
}

Result<std::vector<std::vector<uint8_t>>> NftraceSocket::Receive(int timeout_ms) {
  std::vector<std::vector<uint8_t>> out;
  pollfd p{fd_.get(), POLLIN, 0};
  const int n = poll(&p, 1, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return out;
    return StatusFromErrno("poll netfilter socket", errno);
  }
  if (n == 0) return out;
  std::vector<uint8_t> buf(size_t{64} * 1024);
  for (;;) {
    const ssize_t len = recv(fd_.get(), buf.data(), buf.size(), 0);
    if (len < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      if (errno == ENOBUFS) return ResourceExhausted("trace events were lost (ENOBUFS)");
      return StatusFromErrno("recv netfilter socket", errno);
    }
    size_t left = static_cast<size_t>(len);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, left);
         h = NLMSG_NEXT(h, left)) {
      const auto* b = reinterpret_cast<const uint8_t*>(h);
      out.emplace_back(b, b + h->nlmsg_len);
    }
  }
  return out;
}

}  // namespace weft::netlink
