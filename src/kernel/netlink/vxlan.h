#pragma once

// VXLAN devices over rtnetlink (what `ip link add type vxlan` makes): the
// tunnel end (VTEP) of an overlay network on one host.
//
// Runs in: the Socket's netns. One RTM_NEWLINK (NLM_F_EXCL), plus the alias
// as for every link (link.h). Errors from StatusFromNl; bad input is refused
// with kInvalidArgument before anything is sent. REQUIRES: CAP_NET_ADMIN.

#include <cstdint>
#include <optional>
#include <string>

#include "base/ip.h"
#include "base/result.h"
#include "base/status.h"
#include "kernel/netlink/socket.h"

namespace weft::netlink {

inline constexpr uint16_t kVxlanPort = 4789;  // IANA's VXLAN port
inline constexpr uint32_t kMaxVni = (1u << 24) - 1;

struct VxlanSpec {
  std::string name;
  uint32_t vni = 0;                // 1..2^24-1
  std::optional<IpAddress> local;  // the underlay address packets leave from
  std::string underlay;            // ifname the tunnel is bound to; "" = any
  uint16_t port = kVxlanPort;      // UDP destination port
  // Off: the kernel neither learns remote MACs from arriving packets nor
  // floods unknown ones; every remote is a permanent FDB entry (neigh.h).
  bool learning = false;
  // Group-based policy extension (VXLAN-GBP): a 16-bit mark travels with
  // each packet (skb mark <-> GBP id), so a policy decided on one host is
  // seen on another.
  bool gbp = false;
  uint32_t mtu = 0;  // 0 = the kernel's (underlay MTU - 50/70)
  std::string mac;   // "" = the kernel picks
  std::string alias;
  bool up = false;
};
Status CreateVxlan(Socket& sock, const VxlanSpec& spec);

// What a VXLAN device is, read back (GetVxlan): kNotFound if no link has that
// name, kFailedPrecondition if it is not a VXLAN device.
struct VxlanInfo {
  std::string name;
  int index = 0;
  uint32_t vni = 0;
  std::optional<IpAddress> local;
  int underlay_index = 0;  // 0 if unbound
  uint16_t port = 0;
  bool learning = false;
  bool gbp = false;
  uint32_t mtu = 0;
  std::string mac;
  bool up = false;
};
Result<VxlanInfo> GetVxlan(Socket& sock, const std::string& name);

}  // namespace weft::netlink
