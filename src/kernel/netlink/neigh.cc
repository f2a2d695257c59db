#include "kernel/netlink/neigh.h"

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/route/neighbour.h>
#include <sys/socket.h>

#include <memory>

#include "base/text.h"
#include "kernel/netlink/dump.h"
#include "kernel/netlink/ip_text.h"
#include "kernel/netlink/link.h"
#include "kernel/netlink/nl_ptr.h"

namespace weft::netlink {
namespace {

struct NeighDeleter {
  void operator()(rtnl_neigh* p) const { rtnl_neigh_put(p); }
};
using NeighPtr = std::unique_ptr<rtnl_neigh, NeighDeleter>;

// An entry on `dev` for the request `what`: family, device, and (when
// given) the IP destination and MAC.
Result<NeighPtr> BuildNeigh(Socket& sock, const std::string& what, int family,
                            const std::string& dev, const IpAddress* dst, const std::string& mac) {
  auto link = GetLink(sock, dev);
  if (!link.ok()) return link.status().Wrap(what);
  NeighPtr n(rtnl_neigh_alloc());
  if (!n) return Internal("rtnl_neigh_alloc: out of memory");
  rtnl_neigh_set_ifindex(n.get(), link->index);
  // The destination before the family: libnl refuses a destination whose
  // family differs from the entry's, and an FDB entry (AF_BRIDGE) carries
  // an IP one.
  if (dst != nullptr) {
    WEFT_ASSIGN_OR_RETURN(NlAddrPtr a, ToNlAddr(IpPrefix::Host(*dst)));
    int rc = rtnl_neigh_set_dst(n.get(), a.get());  // takes a reference
    if (rc < 0) return StatusFromNl(what, rc);
  }
  if (!mac.empty()) {
    auto ll = ParseMac(mac);
    if (!ll.ok()) return ll.status().Wrap(what);
    rtnl_neigh_set_lladdr(n.get(), ll->get());
  }
  rtnl_neigh_set_family(n.get(), family);
  return n;
}

Status Write(Socket& sock, const std::string& what, rtnl_neigh* n) {
  rtnl_neigh_set_state(n, NUD_PERMANENT);
  int rc = rtnl_neigh_add(sock.get(), n, NLM_F_CREATE | NLM_F_REPLACE);
  if (rc < 0) return sock.Error(what, rc);
  return Status::Ok();
}

Status Remove(Socket& sock, const std::string& what, rtnl_neigh* n) {
  int rc = rtnl_neigh_delete(sock.get(), n, 0);
  if (rc < 0) {
    Status s = sock.Error(what, rc);
    if (s.code() == Code::kNotFound) return NotFound(what + ": no such entry");
    return s;
  }
  return Status::Ok();
}

// Every neighbour object of `family` on the link `dev`.
Result<std::vector<ObjectPtr>> DumpNeigh(Socket& sock, int family, const std::string& dev,
                                         int* ifindex) {
  WEFT_ASSIGN_OR_RETURN(LinkInfo link, GetLink(sock, dev));
  *ifindex = link.index;
  ndmsg hdr = {};
  hdr.ndm_family = static_cast<unsigned char>(family);
  WEFT_ASSIGN_OR_RETURN(std::vector<ObjectPtr> all, Dump(sock, RTM_GETNEIGH, &hdr, sizeof(hdr)));
  std::vector<ObjectPtr> out;
  for (ObjectPtr& o : all) {
    if (rtnl_neigh_get_ifindex(reinterpret_cast<rtnl_neigh*>(o.get())) == link.index) {
      out.push_back(std::move(o));
    }
  }
  return out;
}

}  // namespace

Status ReplaceNeighbour(Socket& sock, const std::string& dev, const IpAddress& address,
                        const std::string& mac) {
  const std::string what = "neighbour " + address.ToString() + " lladdr " + mac + " dev " + dev;
  if (mac.empty()) return InvalidArgument(what + ": no MAC");
  WEFT_ASSIGN_OR_RETURN(NeighPtr n, BuildNeigh(sock, what, address.family(), dev, &address, mac));
  return Write(sock, what, n.get());
}

Status DeleteNeighbour(Socket& sock, const std::string& dev, const IpAddress& address) {
  const std::string what = "delete neighbour " + address.ToString() + " dev " + dev;
  WEFT_ASSIGN_OR_RETURN(NeighPtr n, BuildNeigh(sock, what, address.family(), dev, &address, ""));
  return Remove(sock, what, n.get());
}

Result<std::vector<NeighInfo>> ListNeighbours(Socket& sock, const std::string& dev) {
  int ifindex = 0;
  WEFT_ASSIGN_OR_RETURN(std::vector<ObjectPtr> objects, DumpNeigh(sock, AF_UNSPEC, dev, &ifindex));
  std::vector<NeighInfo> out;
  for (const ObjectPtr& o : objects) {
    auto* n = reinterpret_cast<rtnl_neigh*>(o.get());
    const int family = rtnl_neigh_get_family(n);
    if (family != AF_INET && family != AF_INET6) continue;
    // Like `ip neigh`, leave out the kernel's NOARP entries (multicast,
    // broadcast): they are no one's neighbours.
    if ((rtnl_neigh_get_state(n) & NUD_NOARP) != 0) continue;
    auto address = ToIpAddress(rtnl_neigh_get_dst(n));
    if (!address) continue;
    NeighInfo info;
    info.ifindex = ifindex;
    info.address = *address;
    info.mac = FormatMac(rtnl_neigh_get_lladdr(n));
    info.permanent = (rtnl_neigh_get_state(n) & NUD_PERMANENT) != 0;
    out.push_back(std::move(info));
  }
  return out;
}

Status ReplaceFdb(Socket& sock, const std::string& dev, const std::string& mac,
                  const IpAddress& remote) {
  const std::string what = "fdb " + mac + " dev " + dev + " dst " + remote.ToString();
  if (mac.empty()) return InvalidArgument(what + ": no MAC");
  WEFT_ASSIGN_OR_RETURN(NeighPtr n, BuildNeigh(sock, what, AF_BRIDGE, dev, &remote, mac));
  // NTF_SELF: the entry belongs to the VXLAN device's own table, not to the
  // bridge it may be a port of.
  rtnl_neigh_set_flags(n.get(), NTF_SELF);
  return Write(sock, what, n.get());
}

Status DeleteFdb(Socket& sock, const std::string& dev, const std::string& mac,
                 const IpAddress& remote) {
  const std::string what = "delete fdb " + mac + " dev " + dev + " dst " + remote.ToString();
  WEFT_ASSIGN_OR_RETURN(NeighPtr n, BuildNeigh(sock, what, AF_BRIDGE, dev, &remote, mac));
  rtnl_neigh_set_flags(n.get(), NTF_SELF);
  return Remove(sock, what, n.get());
}

Result<std::vector<FdbInfo>> ListFdb(Socket& sock, const std::string& dev) {
  int ifindex = 0;
  WEFT_ASSIGN_OR_RETURN(std::vector<ObjectPtr> objects, DumpNeigh(sock, AF_BRIDGE, dev, &ifindex));
  std::vector<FdbInfo> out;
  for (const ObjectPtr& o : objects) {
    auto* n = reinterpret_cast<rtnl_neigh*>(o.get());
    auto remote = ToIpAddress(rtnl_neigh_get_dst(n));
    if (!remote) continue;  // the device's own and learnt entries carry none
    FdbInfo info;
    info.ifindex = ifindex;
    info.mac = FormatMac(rtnl_neigh_get_lladdr(n));
    info.remote = *remote;
    info.permanent = (rtnl_neigh_get_state(n) & NUD_PERMANENT) != 0;
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace weft::netlink
