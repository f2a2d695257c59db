#pragma once

// What the files handling one kind of link each share (link.cc defines
// them; link.cc: any link, veth and bridge; vxlan.cc). Internal to
// kernel/netlink.

#include <netlink/route/link.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/status.h"
#include "kernel/netlink/nl_ptr.h"
#include "kernel/netlink/socket.h"

namespace weft::netlink {

// One link by name with RTM_GETLINK (no dump); kNotFound naming it if absent.
Result<LinkPtr> FetchLink(Socket& sock, std::string_view name);

// Name, MTU, MAC, master and IFF_UP of a link about to be created.
Status FillNewLink(Socket& sock, rtnl_link* link, const std::string& name, uint32_t mtu,
                   const std::string& mac, const std::string& master, bool up);
// Sends the RTM_NEWLINK (NLM_F_EXCL), then the alias; deletes the link again
// if the alias cannot be set.
Status AddLink(Socket& sock, rtnl_link* link, const std::string& name, const std::string& alias,
               const std::string& what);
// kInvalidArgument for an alias the kernel would refuse.
Status CheckAlias(std::string_view alias);

}  // namespace weft::netlink
