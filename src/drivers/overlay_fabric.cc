#include "drivers/overlay_fabric.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "kernel/netlink/link.h"
#include "kernel/netlink/neigh.h"
#include "kernel/netlink/route.h"

namespace weft::drivers {
namespace {

template <typename T>
void SortUnique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// Entries of `a` not in `b` (both sorted).
template <typename T>
std::vector<T> Minus(const std::vector<T>& a, const std::vector<T>& b) {
  std::vector<T> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// Entries of `actual` whose key no entry of `desired` has: with replace
// semantics, an entry whose key is still wanted is overwritten, not removed.
template <typename T, typename Key>
std::vector<T> Unwanted(const std::vector<T>& actual, const std::vector<T>& desired, Key key) {
  std::set<decltype(key(actual.front()))> wanted;
  for (const T& d : desired) wanted.insert(key(d));
  std::vector<T> out;
  for (const T& a : actual) {
    if (!wanted.contains(key(a))) out.push_back(a);
  }
  return out;
}

}  // namespace

IpAddress VtepAddress(const IpPrefix& block) {
  return block.is_v4() ? block.network().address() : block.Broadcast();
}

Result<IpAddress> VtepLinkLocal(const std::string& mac) {
  uint8_t b[6];
  unsigned v[6];
  char tail = 0;
  if (mac.size() != 17 || std::sscanf(mac.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2],
                                      &v[3], &v[4], &v[5], &tail) != 6) {
    return InvalidArgument("\"" + mac + "\" is not a MAC address");
  }
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(v[i]);
  // fe80::/64 with the modified EUI-64 interface identifier (RFC 4291 2.5.1).
  const uint8_t ll[16] = {
      0xfe, 0x80, 0,    0,    0,    0,    0,   0, static_cast<uint8_t>(b[0] ^ 0x02),
      b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]};
  return IpAddress::FromBytes(AF_INET6, ll);
}

IpAddress FabricVia(const IpPrefix& block, const IpAddress& link_local) {
  return block.is_v4() ? VtepAddress(block) : link_local;
}

Result<FabricState> DesiredFabric(const std::vector<FabricPeer>& peers) {
  FabricState s;
  std::map<std::string, std::string> mac_owner;
  for (const FabricPeer& p : peers) {
    if (p.vtep_mac.empty()) {
      return InvalidArgument("node \"" + p.node + "\" has no VTEP MAC");
    }
    auto [it, fresh] = mac_owner.emplace(p.vtep_mac, p.node);
    if (!fresh) {
      return InvalidArgument("nodes \"" + it->second + "\" and \"" + p.node +
                             "\" share the VTEP MAC " + p.vtep_mac);
    }
    s.fdb.push_back({p.vtep_mac, p.underlay});
    WEFT_ASSIGN_OR_RETURN(const IpAddress link_local, VtepLinkLocal(p.vtep_mac));
    for (const IpPrefix& block : p.blocks) {
      const IpAddress via = FabricVia(block, link_local);
      s.routes.push_back({block.network(), via});
      s.neighbours.push_back({via, p.vtep_mac});
    }
  }
  SortUnique(s.routes);
  SortUnique(s.neighbours);
  SortUnique(s.fdb);
  return s;
}

bool FabricDiff::empty() const {
  return write.routes.empty() && write.neighbours.empty() && write.fdb.empty() &&
         remove.routes.empty() && remove.neighbours.empty() && remove.fdb.empty();
}

std::string FabricDiff::Describe() const {
  std::string out;
  for (const auto& f : write.fdb)
    out += "fdb replace " + f.mac + " dst " + f.remote.ToString() + "\n";
  for (const auto& n : write.neighbours) {
    out += "neigh replace " + n.address.ToString() + " lladdr " + n.mac + "\n";
  }
  for (const auto& r : write.routes) {
    out += "route replace " + r.block.ToString() + " via " + r.via.ToString() +
           (r.via.is_v4() ? " onlink\n" : "\n");
  }
  for (const auto& r : remove.routes) out += "route del " + r.block.ToString() + "\n";
  for (const auto& n : remove.neighbours) out += "neigh del " + n.address.ToString() + "\n";
  for (const auto& f : remove.fdb) out += "fdb del " + f.mac + " dst " + f.remote.ToString() + "\n";
  return out;
}

FabricDiff Diff(const FabricState& desired, const FabricState& actual) {
  FabricDiff d;
  d.write.routes = Minus(desired.routes, actual.routes);
  d.write.neighbours = Minus(desired.neighbours, actual.neighbours);
  d.write.fdb = Minus(desired.fdb, actual.fdb);
  d.remove.routes =
      Unwanted(actual.routes, desired.routes, [](const FabricRoute& r) { return r.block; });
  d.remove.neighbours = Unwanted(actual.neighbours, desired.neighbours,
                                 [](const FabricNeighbour& n) { return n.address; });
  // An FDB entry is keyed by MAC and remote (a MAC may have several remotes).
  d.remove.fdb = Minus(actual.fdb, desired.fdb);
  return d;
}

Result<FabricState> ReadFabric(netlink::Socket& sock, const std::string& dev) {
  WEFT_ASSIGN_OR_RETURN(netlink::LinkInfo link, netlink::GetLink(sock, dev));
  FabricState s;
  WEFT_ASSIGN_OR_RETURN(auto routes, netlink::ListRoutes(sock, AF_UNSPEC));
  for (const auto& r : routes) {
    if (r.oif != link.index || r.gateway.empty() || r.dst == "default") continue;
    auto block = IpPrefix::Parse(r.dst);
    auto via = IpAddress::Parse(r.gateway);
    if (!block.ok() || !via.ok()) continue;
    s.routes.push_back({*block, *via});
  }
  WEFT_ASSIGN_OR_RETURN(auto neighbours, netlink::ListNeighbours(sock, dev));
  for (const auto& n : neighbours) {
    if (n.permanent) s.neighbours.push_back({n.address, n.mac});
  }
  WEFT_ASSIGN_OR_RETURN(auto fdb, netlink::ListFdb(sock, dev));
  for (const auto& f : fdb) s.fdb.push_back({f.mac, f.remote});
  SortUnique(s.routes);
  SortUnique(s.neighbours);
  SortUnique(s.fdb);
  return s;
}

Status ApplyFabric(netlink::Socket& sock, const std::string& dev, const FabricDiff& diff) {
  for (const auto& f : diff.write.fdb) {
    WEFT_RETURN_IF_ERROR(netlink::ReplaceFdb(sock, dev, f.mac, f.remote));
  }
  for (const auto& n : diff.write.neighbours) {
    WEFT_RETURN_IF_ERROR(netlink::ReplaceNeighbour(sock, dev, n.address, n.mac));
  }
  for (const auto& r : diff.write.routes) {
    WEFT_RETURN_IF_ERROR(netlink::ReplaceRoute(
        sock, {.dst = r.block, .gateway = r.via, .dev = dev, .onlink = r.via.is_v4()}));
  }
  // Removals: an entry already gone is what was wanted.
  auto gone = [](const Status& s) { return s.ok() || s.code() == Code::kNotFound; };
  for (const auto& r : diff.remove.routes) {
    Status s = netlink::DeleteRoute(sock, {.dst = r.block, .gateway = r.via, .dev = dev});
    if (!gone(s)) return s;
  }
  for (const auto& n : diff.remove.neighbours) {
    Status s = netlink::DeleteNeighbour(sock, dev, n.address);
    if (!gone(s)) return s;
  }
  for (const auto& f : diff.remove.fdb) {
    Status s = netlink::DeleteFdb(sock, dev, f.mac, f.remote);
    if (!gone(s)) return s;
  }
  return Status::Ok();
}

}  // namespace weft::drivers
