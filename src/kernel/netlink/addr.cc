#include "kernel/netlink/addr.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/route/addr.h>

#include "kernel/netlink/dump.h"
#include "kernel/netlink/ip_text.h"
#include "kernel/netlink/link.h"
#include "kernel/netlink/nl_ptr.h"

namespace weft::netlink {
namespace {

// Builds the rtnl_addr for `address` on `ifname`.
Result<AddrPtr> BuildAddr(Socket& sock, std::string_view ifname, const IpPrefix& address) {
  WEFT_ASSIGN_OR_RETURN(LinkInfo link, GetLink(sock, ifname));
  WEFT_ASSIGN_OR_RETURN(NlAddrPtr local, ToNlAddr(address));
  AddrPtr addr(rtnl_addr_alloc());
  if (!addr) return Internal("rtnl_addr_alloc: out of memory");
  rtnl_addr_set_ifindex(addr.get(), link.index);
  rtnl_addr_set_family(addr.get(), address.family());
  int rc = rtnl_addr_set_local(addr.get(), local.get());  // sets prefixlen too
  if (rc < 0) return StatusFromNl("rtnl_addr_set_local", rc);
  return addr;
}

std::string Describe(std::string_view ifname, const IpPrefix& address) {
  return address.ToString() + " on \"" + std::string(ifname) + "\"";
}

}  // namespace

Result<std::vector<AddrInfo>> ListAddresses(Socket& sock) {
  ifaddrmsg hdr = {};
  hdr.ifa_family = AF_UNSPEC;
  WEFT_ASSIGN_OR_RETURN(std::vector<ObjectPtr> objects, Dump(sock, RTM_GETADDR, &hdr, sizeof(hdr)));
  std::vector<AddrInfo> out;
  for (const ObjectPtr& o : objects) {
    auto* a = reinterpret_cast<rtnl_addr*>(o.get());
    AddrInfo info;
    info.family = rtnl_addr_get_family(a);
    info.ifindex = rtnl_addr_get_ifindex(a);
    std::string ip = FormatIp(rtnl_addr_get_local(a));
    if (ip.empty()) continue;  // not IPv4/IPv6
    info.cidr = ip + "/" + std::to_string(rtnl_addr_get_prefixlen(a));
    info.flags = static_cast<uint32_t>(rtnl_addr_get_flags(a));
    out.push_back(std::move(info));
  }
  return out;
}

Status AddAddress(Socket& sock, std::string_view ifname, const IpPrefix& address, bool nodad) {
  WEFT_ASSIGN_OR_RETURN(AddrPtr addr, BuildAddr(sock, ifname, address));
  if (nodad && rtnl_addr_get_family(addr.get()) == AF_INET6) {
    rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
  }
  int rc = rtnl_addr_add(sock.get(), addr.get(), NLM_F_EXCL);
  if (rc < 0) return sock.Error("add address " + Describe(ifname, address), rc);
  return Status::Ok();
}

Status DeleteAddress(Socket& sock, std::string_view ifname, const IpPrefix& address) {
  WEFT_ASSIGN_OR_RETURN(AddrPtr addr, BuildAddr(sock, ifname, address));
  int rc = rtnl_addr_delete(sock.get(), addr.get(), 0);
  if (rc < 0) {
    Status s = sock.Error("delete address " + Describe(ifname, address), rc);
    if (s.code() == Code::kNotFound) {
      return NotFound("no address " + Describe(ifname, address));
    }
    return s;
  }
  return Status::Ok();
}

}  // namespace weft::netlink
