#pragma once

// Network links (interfaces) over rtnetlink: list, create veth pairs and
// bridges, change and delete them.
//
// Runs in: the Socket's netns (not the calling thread's). Every function is
// one netlink request unless noted, so the kernel applies it whole or not at
// all. Errors come from StatusFromNl (kNotFound for a missing link,
// kAlreadyExists for a taken name, kInvalidArgument for bad input, which is
// checked before anything is sent). REQUIRES: CAP_NET_ADMIN in the socket's
// netns for anything that changes state. Not safe for concurrent use of one
// Socket.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "kernel/netlink/socket.h"

namespace weft::netlink {

struct LinkInfo {
  int index = 0;
  std::string name;
  std::string kind;  // "veth", "bridge", "vxlan", ... "" when none (lo, eth)
  bool up = false;   // IFF_UP (administrative state)
  std::string mac;   // "aa:bb:cc:dd:ee:ff", lowercase; "" if none
  uint32_t mtu = 0;
  int master = 0;     // ifindex of the master (bridge), 0 if none
  std::string alias;  // IFLA_IFALIAS, "" if none
  // IFLA_LINK: for a veth, its peer's ifindex (in the peer's netns), 0 if
  // none; link_netnsid is IFLA_LINK_NETNSID (-1 when the peer is in the
  // same netns or the kernel gave none).
  int link = 0;
  int link_netnsid = -1;
};

// All links, sorted by index.
Result<std::vector<LinkInfo>> ListLinks(Socket& sock);
// kNotFound if there is no link of that name.
Result<LinkInfo> GetLink(Socket& sock, std::string_view name);

struct VethSpec {
  std::string name;           // host end, in the socket's netns
  std::string peer_name;      // other end
  int peer_netns_fd = -1;     // >= 0: create the peer directly in that netns
  uint32_t mtu = 0;           // 0 = kernel default; applies to both ends
  std::string mac, peer_mac;  // "" = kernel picks
  std::string alias;          // IFLA_IFALIAS on the host end (tags it as weft's)
  std::string master;         // "" or a bridge to enslave the host end to
  bool up = false;            // host end up at creation
};
// Creates the pair in one RTM_NEWLINK (NLM_F_EXCL): kAlreadyExists if either
// name is taken (in its netns), kNotFound if `master` does not exist.
Status CreateVeth(Socket& sock, const VethSpec& spec);

struct BridgeSpec {
  std::string name;
  uint32_t mtu = 0;
  std::string mac;
  std::string alias;
  bool up = false;
};
Status CreateBridge(Socket& sock, const BridgeSpec& spec);

// kNotFound if absent. Deleting one end of a veth pair deletes both.
Status DeleteLink(Socket& sock, std::string_view name);
Status SetLinkUp(Socket& sock, std::string_view name, bool up);
Status SetLinkMtu(Socket& sock, std::string_view name, uint32_t mtu);
// `mac` is "aa:bb:cc:dd:ee:ff".
Status SetLinkMac(Socket& sock, std::string_view name, std::string_view mac);
// kAlreadyExists if new_name is taken. Some kernels refuse to rename a link
// that is up (EBUSY -> kFailedPrecondition); 6.18 allows it.
Status RenameLink(Socket& sock, std::string_view name, std::string_view new_name);
// Sets the alias (IFLA_IFALIAS); "" clears it.
Status SetLinkAlias(Socket& sock, std::string_view name, std::string_view alias);

// Sets hairpin mode on a bridge port (`bridge link set dev NAME hairpin on`):
// frames may leave by the port they came in on. Needed, with the kernel's
// bridge netfilter, for a container to reach its own published port.
// REQUIRES: `name` is enslaved to a bridge.
Status SetBridgePortHairpin(Socket& sock, std::string_view name, bool on);
// `master` "" = nomaster.
Status SetLinkMaster(Socket& sock, std::string_view name, std::string_view master);
// Moves the link into the netns `netns_fd`; afterwards it is no longer
// visible through `sock`.
Status MoveLinkToNetns(Socket& sock, std::string_view name, int netns_fd);

// Checks a name the way the kernel's dev_valid_name() does. kInvalidArgument
// naming the problem: empty, longer than 15 bytes (IFNAMSIZ-1), contains '/',
// ':', whitespace or NUL, or is "." or "..". No kernel access.
Status ValidateLinkName(std::string_view name);

}  // namespace weft::netlink
