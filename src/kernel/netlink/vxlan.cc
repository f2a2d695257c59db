#include "kernel/netlink/vxlan.h"

#include <net/if.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vxlan.h>

#include "base/text.h"
#include "kernel/netlink/ip_text.h"
#include "kernel/netlink/link.h"
#include "kernel/netlink/link_internal.h"
#include "kernel/netlink/nl_ptr.h"

namespace weft::netlink {

Status CreateVxlan(Socket& sock, const VxlanSpec& spec) {
  const std::string what = "create vxlan " + Quote(spec.name);
  WEFT_RETURN_IF_ERROR(ValidateLinkName(spec.name));
  WEFT_RETURN_IF_ERROR(CheckAlias(spec.alias));
  if (spec.vni == 0 || spec.vni > kMaxVni) {
    return InvalidArgument(what + ": VNI " + std::to_string(spec.vni) + " is not in 1.." +
                           std::to_string(kMaxVni));
  }
  if (spec.port == 0) return InvalidArgument(what + ": UDP port 0");
  LinkPtr link(rtnl_link_vxlan_alloc());
  if (!link) return Internal("rtnl_link_vxlan_alloc: out of memory");
  WEFT_RETURN_IF_ERROR(FillNewLink(sock, link.get(), spec.name, spec.mtu, spec.mac, "", spec.up));
  rtnl_link_vxlan_set_id(link.get(), spec.vni);
  rtnl_link_vxlan_set_port(link.get(), spec.port);
  rtnl_link_vxlan_set_learning(link.get(), spec.learning ? 1 : 0);
  if (spec.gbp) rtnl_link_vxlan_set_flags(link.get(), RTNL_LINK_VXLAN_F_GBP, 1);
  if (spec.local) {
    WEFT_ASSIGN_OR_RETURN(NlAddrPtr local, ToNlAddr(IpPrefix::Host(*spec.local)));
    int rc = rtnl_link_vxlan_set_local(link.get(), local.get());
    if (rc < 0) return StatusFromNl(what + ": local", rc);
  }
  if (!spec.underlay.empty()) {
    auto dev = GetLink(sock, spec.underlay);
    if (!dev.ok()) return dev.status().Wrap(what + ": underlay");
    rtnl_link_vxlan_set_link(link.get(), static_cast<uint32_t>(dev->index));
  }
  return AddLink(sock, link.get(), spec.name, spec.alias, what);
}

Result<VxlanInfo> GetVxlan(Socket& sock, const std::string& name) {
  WEFT_ASSIGN_OR_RETURN(LinkPtr link, FetchLink(sock, name));
  if (!rtnl_link_is_vxlan(link.get())) {
    return FailedPrecondition("link " + Quote(name) + " is not a VXLAN device");
  }
  VxlanInfo info;
  info.name = name;
  info.index = rtnl_link_get_ifindex(link.get());
  rtnl_link_vxlan_get_id(link.get(), &info.vni);
  nl_addr* local = nullptr;
  if (rtnl_link_vxlan_get_local(link.get(), &local) == 0) {
    NlAddrPtr owned(local);  // the getter hands over a clone
    info.local = ToIpAddress(owned.get());
  }
  uint32_t underlay = 0;
  if (rtnl_link_vxlan_get_link(link.get(), &underlay) == 0) info.underlay_index = underlay;
  uint32_t port = 0;
  if (rtnl_link_vxlan_get_port(link.get(), &port) == 0) info.port = static_cast<uint16_t>(port);
  info.learning = rtnl_link_vxlan_get_learning(link.get()) > 0;
  uint32_t flags = 0;
  if (rtnl_link_vxlan_get_flags(link.get(), &flags) == 0) {
    info.gbp = (flags & RTNL_LINK_VXLAN_F_GBP) != 0;
  }
  info.mtu = rtnl_link_get_mtu(link.get());
  info.mac = FormatMac(rtnl_link_get_addr(link.get()));
  info.up = (rtnl_link_get_flags(link.get()) & IFF_UP) != 0;
  return info;
}

}  // namespace weft::netlink
