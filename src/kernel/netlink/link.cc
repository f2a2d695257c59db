#include "kernel/netlink/link.h"

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>

#include <algorithm>
#include <cctype>
#include <functional>

#include "base/text.h"
#include "kernel/netlink/dump.h"
#include "kernel/netlink/ip_text.h"
#include "kernel/netlink/link_internal.h"
#include "kernel/netlink/nl_ptr.h"

namespace weft::netlink {
namespace {

LinkInfo ToLinkInfo(rtnl_link* link) {
  LinkInfo info;
  info.index = rtnl_link_get_ifindex(link);
  if (const char* n = rtnl_link_get_name(link)) info.name = n;
  if (const char* k = rtnl_link_get_type(link)) info.kind = k;
  info.up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
  info.mac = FormatMac(rtnl_link_get_addr(link));
  info.mtu = rtnl_link_get_mtu(link);
  info.master = rtnl_link_get_master(link);
  if (const char* a = rtnl_link_get_ifalias(link)) info.alias = a;
  info.link = static_cast<int>(rtnl_link_get_link(link));
  int32_t nsid = -1;
  if (rtnl_link_get_link_netnsid(link, &nsid) == 0) info.link_netnsid = nsid;
  return info;
}

Result<int> MasterIndex(Socket& sock, std::string_view master) {
  auto link = FetchLink(sock, master);
  if (!link.ok()) return link.status().Wrap("master");
  return rtnl_link_get_ifindex(link->get());
}

// Sends one change request for the existing link `name`; `fill` sets the
// attributes to change on an empty rtnl_link.
Status ChangeLink(Socket& sock, std::string_view name, const std::string& what,
                  const std::function<void(rtnl_link*)>& fill) {
  WEFT_ASSIGN_OR_RETURN(LinkPtr orig, FetchLink(sock, name));
  LinkPtr change(rtnl_link_alloc());
  if (!change) return Internal("rtnl_link_alloc: out of memory");
  fill(change.get());
  int rc = rtnl_link_change(sock.get(), orig.get(), change.get(), 0);
  if (rc < 0) return sock.Error("link " + Quote(name) + ": " + what, rc);
  return Status::Ok();
}

}  // namespace

Result<LinkPtr> FetchLink(Socket& sock, std::string_view name) {
  WEFT_RETURN_IF_ERROR(ValidateLinkName(name));
  rtnl_link* raw = nullptr;
  const std::string n(name);
  int rc = rtnl_link_get_kernel(sock.get(), 0, n.c_str(), &raw);
  LinkPtr link(raw);
  if (rc < 0) {
    Status s = sock.Error("get link " + Quote(name), rc);
    if (s.code() == Code::kNotFound) return NotFound("no link " + Quote(name));
    return s;
  }
  if (!link) return NotFound("no link " + Quote(name));
  return link;
}

// Fields common to every link we create.
Status FillNewLink(Socket& sock, rtnl_link* link, const std::string& name, uint32_t mtu,
                   const std::string& mac, const std::string& master, bool up) {
  rtnl_link_set_name(link, name.c_str());
  if (mtu != 0) rtnl_link_set_mtu(link, mtu);
  if (!mac.empty()) {
    WEFT_ASSIGN_OR_RETURN(NlAddrPtr addr, ParseMac(mac));
    rtnl_link_set_addr(link, addr.get());  // takes its own reference
  }
  if (!master.empty()) {
    WEFT_ASSIGN_OR_RETURN(int index, MasterIndex(sock, master));
    rtnl_link_set_master(link, index);
  }
  if (up) rtnl_link_set_flags(link, IFF_UP);
  return Status::Ok();
}

// Sends the RTM_NEWLINK, then the alias: the kernel ignores IFLA_IFALIAS
// in a create request, so it needs a second request. If that fails the new
// link is deleted again.
Status AddLink(Socket& sock, rtnl_link* link, const std::string& name, const std::string& alias,
               const std::string& what) {
  int rc = rtnl_link_add(sock.get(), link, NLM_F_CREATE | NLM_F_EXCL);
  if (rc < 0) return sock.Error(what, rc);
  if (alias.empty()) return Status::Ok();
  Status s = SetLinkAlias(sock, name, alias);
  if (!s.ok()) {
    DeleteLink(sock, name).IgnoreError();  // best effort; report the cause
    return s.Wrap(what);
  }
  return Status::Ok();
}

Status CheckAlias(std::string_view alias) {
  // IFALIASZ is 256 including the NUL.
  if (alias.size() > 255 || alias.find('\0') != std::string_view::npos) {
    return InvalidArgument(
        "invalid link alias: longer than 255 bytes or "
        "contains NUL");
  }
  return Status::Ok();
}

Status ValidateLinkName(std::string_view name) {
  const std::string q = Quote(name);
  if (name.empty()) return InvalidArgument("invalid link name: empty");
  if (name.size() > IFNAMSIZ - 1) {
    return InvalidArgument("invalid link name " + q + ": longer than " +
                           std::to_string(IFNAMSIZ - 1) + " bytes");
  }
  if (name == "." || name == "..") {
    return InvalidArgument("invalid link name " + q + ": \".\" and \"..\" are reserved");
  }
  for (char c : name) {
    if (c == '/') return InvalidArgument("invalid link name " + q + ": contains '/'");
    if (c == ':') return InvalidArgument("invalid link name " + q + ": contains ':'");
    if (c == '\0') return InvalidArgument("invalid link name: contains NUL");
    if (std::isspace(static_cast<unsigned char>(c))) {
      return InvalidArgument("invalid link name " + q + ": contains whitespace");
    }
  }
  return Status::Ok();
}

Result<std::vector<LinkInfo>> ListLinks(Socket& sock) {
  ifinfomsg hdr = {};
  hdr.ifi_family = AF_UNSPEC;
  WEFT_ASSIGN_OR_RETURN(std::vector<ObjectPtr> objects, Dump(sock, RTM_GETLINK, &hdr, sizeof(hdr)));
  std::vector<LinkInfo> out;
  for (const ObjectPtr& o : objects) {
    out.push_back(ToLinkInfo(reinterpret_cast<rtnl_link*>(o.get())));
  }
  std::sort(out.begin(), out.end(),
            [](const LinkInfo& a, const LinkInfo& b) { return a.index < b.index; });
  return out;
}

Result<LinkInfo> GetLink(Socket& sock, std::string_view name) {
  WEFT_ASSIGN_OR_RETURN(LinkPtr link, FetchLink(sock, name));
  return ToLinkInfo(link.get());
}

Status CreateVeth(Socket& sock, const VethSpec& spec) {
  WEFT_RETURN_IF_ERROR(ValidateLinkName(spec.name));
  WEFT_RETURN_IF_ERROR(ValidateLinkName(spec.peer_name));
  WEFT_RETURN_IF_ERROR(CheckAlias(spec.alias));
  LinkPtr link(rtnl_link_veth_alloc());
  if (!link) return Internal("rtnl_link_veth_alloc: out of memory");
  LinkPtr peer(rtnl_link_veth_get_peer(link.get()));
  WEFT_RETURN_IF_ERROR(
      FillNewLink(sock, link.get(), spec.name, spec.mtu, spec.mac, spec.master, spec.up));
  WEFT_RETURN_IF_ERROR(
      FillNewLink(sock, peer.get(), spec.peer_name, spec.mtu, spec.peer_mac, "", false));
  if (spec.peer_netns_fd >= 0) rtnl_link_set_ns_fd(peer.get(), spec.peer_netns_fd);
  return AddLink(sock, link.get(), spec.name, spec.alias,
                 "create veth " + Quote(spec.name) + " peer " + Quote(spec.peer_name));
}

Status CreateBridge(Socket& sock, const BridgeSpec& spec) {
  WEFT_RETURN_IF_ERROR(ValidateLinkName(spec.name));
  WEFT_RETURN_IF_ERROR(CheckAlias(spec.alias));
  LinkPtr link(rtnl_link_bridge_alloc());
  if (!link) return Internal("rtnl_link_bridge_alloc: out of memory");
  WEFT_RETURN_IF_ERROR(FillNewLink(sock, link.get(), spec.name, spec.mtu, spec.mac, "", spec.up));
  return AddLink(sock, link.get(), spec.name, spec.alias, "create bridge " + Quote(spec.name));
}

Status DeleteLink(Socket& sock, std::string_view name) {
  WEFT_RETURN_IF_ERROR(ValidateLinkName(name));
  LinkPtr link(rtnl_link_alloc());
  if (!link) return Internal("rtnl_link_alloc: out of memory");
  const std::string n(name);
  rtnl_link_set_name(link.get(), n.c_str());
  int rc = rtnl_link_delete(sock.get(), link.get());
  if (rc < 0) {
    Status s = sock.Error("delete link " + Quote(name), rc);
    if (s.code() == Code::kNotFound) return NotFound("no link " + Quote(name));
    return s;
  }
  return Status::Ok();
}

Status SetLinkUp(Socket& sock, std::string_view name, bool up) {
  return ChangeLink(sock, name, up ? "set up" : "set down", [up](rtnl_link* c) {
    if (up) {
      rtnl_link_set_flags(c, IFF_UP);
    } else {
      rtnl_link_unset_flags(c, IFF_UP);
    }
  });
}

Status SetLinkMtu(Socket& sock, std::string_view name, uint32_t mtu) {
  if (mtu == 0) return InvalidArgument("invalid MTU 0");
  return ChangeLink(sock, name, "set mtu " + std::to_string(mtu),
                    [mtu](rtnl_link* c) { rtnl_link_set_mtu(c, mtu); });
}

Status SetLinkMac(Socket& sock, std::string_view name, std::string_view mac) {
  WEFT_ASSIGN_OR_RETURN(NlAddrPtr addr, ParseMac(mac));
  return ChangeLink(sock, name, "set address " + std::string(mac),
                    [&addr](rtnl_link* c) { rtnl_link_set_addr(c, addr.get()); });
}

Status RenameLink(Socket& sock, std::string_view name, std::string_view new_name) {
  WEFT_RETURN_IF_ERROR(ValidateLinkName(new_name));
  const std::string n(new_name);
  return ChangeLink(sock, name, "rename to " + Quote(new_name),
                    [&n](rtnl_link* c) { rtnl_link_set_name(c, n.c_str()); });
}

Status SetLinkAlias(Socket& sock, std::string_view name, std::string_view alias) {
  WEFT_RETURN_IF_ERROR(CheckAlias(alias));
  const std::string a(alias);
  return ChangeLink(sock, name, "set alias " + Quote(alias),
                    [&a](rtnl_link* c) { rtnl_link_set_ifalias(c, a.c_str()); });
}

Status SetLinkMaster(Socket& sock, std::string_view name, std::string_view master) {
  int index = 0;
  if (!master.empty()) {
    WEFT_ASSIGN_OR_RETURN(index, MasterIndex(sock, master));
  }
  return ChangeLink(sock, name,
                    master.empty() ? std::string("set nomaster") : "set master " + Quote(master),
                    [index](rtnl_link* c) { rtnl_link_set_master(c, index); });
}

Status MoveLinkToNetns(Socket& sock, std::string_view name, int netns_fd) {
  if (netns_fd < 0) return InvalidArgument("move link: bad netns fd");
  return ChangeLink(sock, name, "move to netns",
                    [netns_fd](rtnl_link* c) { rtnl_link_set_ns_fd(c, netns_fd); });
}

Status SetBridgePortHairpin(Socket& sock, std::string_view name, bool on) {
  WEFT_ASSIGN_OR_RETURN(LinkPtr link, FetchLink(sock, name));
  // RTM_SETLINK, family AF_BRIDGE, IFLA_PROTINFO { IFLA_BRPORT_MODE }: the
  // message iproute2's `bridge link set` sends.
  std::unique_ptr<nl_msg, void (*)(nl_msg*)> msg(nlmsg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST),
                                                 nlmsg_free);
  if (!msg) return Internal("nlmsg_alloc: out of memory");
  ifinfomsg ifi{};
  ifi.ifi_family = AF_BRIDGE;
  ifi.ifi_index = rtnl_link_get_ifindex(link.get());
  if (nlmsg_append(msg.get(), &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
    return Internal("nlmsg_append: out of memory");
  }
  nlattr* protinfo = nla_nest_start(msg.get(), IFLA_PROTINFO | NLA_F_NESTED);
  if (protinfo == nullptr || nla_put_u8(msg.get(), IFLA_BRPORT_MODE, on ? 1 : 0) < 0) {
    return Internal("build hairpin request: out of memory");
  }
  nla_nest_end(msg.get(), protinfo);
  int rc = nl_send_auto_complete(sock.get(), msg.get());
  if (rc >= 0) rc = nl_wait_for_ack(sock.get());
  if (rc < 0) return sock.Error("link " + Quote(name) + ": set hairpin", rc);
  return Status::Ok();
}

}  // namespace weft::netlink
