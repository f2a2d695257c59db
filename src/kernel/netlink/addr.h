#pragma once

// IP addresses on links over rtnetlink.
//
// Runs in: the Socket's netns. One netlink request per call (plus a lookup
// of the link's index). Errors from StatusFromNl; bad input is refused with
// kInvalidArgument before anything is sent. REQUIRES: CAP_NET_ADMIN in the
// socket's netns for changes. Not safe for concurrent use of one Socket.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip.h"
#include "base/result.h"
#include "base/status.h"
#include "kernel/netlink/socket.h"

namespace weft::netlink {

struct AddrInfo {
  int family = 0;  // AF_INET / AF_INET6
  int ifindex = 0;
  std::string cidr;    // "10.0.0.2/24", "fd00::2/64"
  uint32_t flags = 0;  // IFA_F_* (e.g. IFA_F_TENTATIVE, IFA_F_NODAD)
};

// Every address of every link, both families, in kernel order.
Result<std::vector<AddrInfo>> ListAddresses(Socket& sock);

// Adds `address` (an interface address with its prefix length, 10.0.0.2/24)
// to `ifname`. nodad: IFA_F_NODAD for IPv6, so the address is usable at once
// (no "tentative" phase); ignored for IPv4. kAlreadyExists if the link
// already has that address, kNotFound if there is no such link.
Status AddAddress(Socket& sock, std::string_view ifname, const IpPrefix& address,
                  bool nodad = true);
// kNotFound if the link or the address is absent.
Status DeleteAddress(Socket& sock, std::string_view ifname, const IpPrefix& address);

}  // namespace weft::netlink
