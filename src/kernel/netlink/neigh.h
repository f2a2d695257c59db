#pragma once

// Neighbour (ARP/NDP) and forwarding-database entries over rtnetlink: what
// `ip neigh` and `bridge fdb` show. An overlay programs one of each per
// remote host: the neighbour entry gives the remote VTEP's inner address its
// MAC, the FDB entry on the VXLAN device sends that MAC to the remote host's
// underlay address.
//
// Writes use NLM_F_CREATE | NLM_F_REPLACE: an entry that exists with other
// values (a stale MAC, a half-written entry) is overwritten, never left to
// blackhole traffic, and writing the same entry twice is not an error.
//
// Runs in: the Socket's netns. One request per call (plus a lookup of the
// device's index). REQUIRES: CAP_NET_ADMIN for changes.

#include <string>
#include <vector>

#include "base/ip.h"
#include "base/result.h"
#include "base/status.h"
#include "kernel/netlink/socket.h"

namespace weft::netlink {

struct NeighInfo {
  int ifindex = 0;
  IpAddress address;
  std::string mac;  // "" when the kernel has none (incomplete, failed)
  bool permanent = false;
};

// A permanent neighbour entry `address` lladdr `mac` on `dev`.
Status ReplaceNeighbour(Socket& sock, const std::string& dev, const IpAddress& address,
                        const std::string& mac);
// kNotFound if there is none.
Status DeleteNeighbour(Socket& sock, const std::string& dev, const IpAddress& address);
// Every IPv4 and IPv6 neighbour entry on `dev`.
Result<std::vector<NeighInfo>> ListNeighbours(Socket& sock, const std::string& dev);

struct FdbInfo {
  int ifindex = 0;
  std::string mac;
  IpAddress remote;  // NDA_DST: the underlay address frames to `mac` go to
  bool permanent = false;
};

// A permanent FDB entry on the VXLAN device `dev` (`bridge fdb replace MAC dev
// DEV dst REMOTE self permanent`).
Status ReplaceFdb(Socket& sock, const std::string& dev, const std::string& mac,
                  const IpAddress& remote);
// kNotFound if there is none.
Status DeleteFdb(Socket& sock, const std::string& dev, const std::string& mac,
                 const IpAddress& remote);
// The entries of `dev` that carry a remote address (a VXLAN device's).
Result<std::vector<FdbInfo>> ListFdb(Socket& sock, const std::string& dev);

}  // namespace weft::netlink
