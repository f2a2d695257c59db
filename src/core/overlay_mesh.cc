#include "core/overlay_mesh.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <map>
#include <set>

#include "firewall/backend.h"
#include "kernel/netlink/route.h"
#include "kernel/netlink/rule.h"
#include "kernel/sysctl.h"
#include "spdlog/spdlog.h"

namespace weft::core {

uint32_t MeshMark(const IpAddress& vtep) { return vtep.v4_host_order(); }

namespace {

// One address family's half of the return path: per mark, the next hop.
struct MeshFamily {
  int af;
  std::map<uint32_t, IpAddress> via;
};

netlink::RuleSpec MeshRule(int af, uint32_t mark) {
  return {.family = af,
          .priority = kMeshRulePriority,
          .fwmark = mark,
          .fwmask = 0xffffffff,
          .table = mark};
}

// The marks whose rule `af` has.
Result<std::set<uint32_t>> MeshRulesOf(netlink::Socket& sock, int af) {
  WEFT_ASSIGN_OR_RETURN(auto rules, netlink::ListMarkRules(sock, af));
  std::set<uint32_t> have;
  for (const auto& r : rules) {
    if (r.priority == kMeshRulePriority && r.fwmark == r.table && r.fwmask == 0xffffffff) {
      have.insert(r.table);
    }
  }
  return have;
}

// Whether `af`'s rules and tables are what `fam` wants.
Result<bool> InStep(netlink::Socket& sock, const MeshFamily& fam, const std::set<uint32_t>& have) {
  if (have.size() != fam.via.size()) return false;
  if (fam.via.empty()) return true;
  // Every table's default route, in one dump: (table, gateway).
  WEFT_ASSIGN_OR_RETURN(auto all, netlink::ListRoutes(sock, fam.af, 0));
  std::set<std::pair<uint32_t, std::string>> defaults;
  for (const auto& x : all) {
    if (x.dst == "default") defaults.emplace(x.table, x.gateway);
  }
  for (const auto& [mark, via] : fam.via) {
    if (!have.count(mark) || !defaults.count({mark, via.ToString()})) return false;
  }
  return true;
}

Result<int> ApplyFamily(netlink::Socket& sock, const MeshFamily& fam,
                        const std::set<uint32_t>& have,
                        const std::map<uint32_t, const MeshRoute*>& want) {
  int writes = 0;
  for (const auto& [mark, via] : fam.via) {
    netlink::RouteSpec route{.family = fam.af,
                             .dst = std::nullopt,
                             .gateway = via,
                             .dev = want.at(mark)->peer.tunnel,
                             .table = mark,
                             .onlink = fam.af == AF_INET};
    WEFT_RETURN_IF_ERROR(
        netlink::ReplaceRoute(sock, route).Wrap("mesh route table " + std::to_string(mark)));
    ++writes;
    if (!have.count(mark)) {
      WEFT_RETURN_IF_ERROR(netlink::AddRule(sock, MeshRule(fam.af, mark)));
      ++writes;
    }
  }
  for (uint32_t mark : have) {
    if (fam.via.count(mark)) continue;
    Status s = netlink::DeleteRule(sock, MeshRule(fam.af, mark));
    if (!s.ok() && s.code() != Code::kNotFound) return s;
    // The table's route went with its device when the network left this
    // node; otherwise it goes now.
    WEFT_ASSIGN_OR_RETURN(auto table, netlink::ListRoutes(sock, fam.af, mark));
    for (const auto& x : table) {
      auto gw = IpAddress::Parse(x.gateway);
      if (x.dst != "default" || !gw.ok()) continue;
      Status d = netlink::DeleteRoute(sock, {.family = fam.af,
                                             .dst = std::nullopt,
                                             .gateway = *gw,
                                             .dev = "",
                                             .table = mark,
                                             .onlink = false});
      if (!d.ok() && d.code() != Code::kNotFound) return d;
    }
    ++writes;
  }
  return writes;
}

}  // namespace

Result<int> ApplyMeshReturn(netlink::Socket& sock, const std::vector<MeshRoute>& routes) {
  std::map<uint32_t, const MeshRoute*> want;
  for (const auto& r : routes) {
    if (r.peer.mark != 0) want[r.peer.mark] = &r;
  }
  MeshFamily v4{AF_INET, {}}, v6{AF_INET6, {}};
  for (const auto& [mark, r] : want) {
    v4.via[mark] = r->via;
    if (r->via6) v6.via[mark] = *r->via6;
  }
  WEFT_ASSIGN_OR_RETURN(auto have4, MeshRulesOf(sock, AF_INET));
  WEFT_ASSIGN_OR_RETURN(auto have6, MeshRulesOf(sock, AF_INET6));
  WEFT_ASSIGN_OR_RETURN(bool step4, InStep(sock, v4, have4));
  WEFT_ASSIGN_OR_RETURN(bool step6, InStep(sock, v6, have6));
  if (step4 && step6) return 0;

  std::vector<firewall::MeshPeer> peers;
  std::set<std::string> tunnels;
  for (const auto& [mark, r] : want) {
    peers.push_back(r->peer);
    tunnels.insert(r->peer.tunnel);
  }
  WEFT_ASSIGN_OR_RETURN(auto fw, firewall::NewNftBackend());
  WEFT_RETURN_IF_ERROR(fw->Apply(firewall::BuildMeshTable(peers)).Wrap("table inet weft_mesh"));
  for (const auto& tunnel : tunnels) {
    const std::string key = "net.ipv4.conf." + tunnel + ".rp_filter";
    auto now = kernel::ReadSysctl(key);
    if (now.ok() && *now != "2") {
      Status s = kernel::WriteSysctl(key, "2");
      if (!s.ok()) spdlog::warn("mesh: {}: {}", key, s.ToString());
    }
  }
  WEFT_ASSIGN_OR_RETURN(int w4, ApplyFamily(sock, v4, have4, want));
  WEFT_ASSIGN_OR_RETURN(int w6, ApplyFamily(sock, v6, have6, want));
  return w4 + w6;
}

}  // namespace weft::core
