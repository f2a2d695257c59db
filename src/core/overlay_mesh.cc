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

Result<int> ApplyMeshReturn(netlink::Socket& sock, const std::vector<MeshRoute>& routes) {
  std::map<uint32_t, const MeshRoute*> want;
  for (const auto& r : routes) {
    if (r.peer.mark != 0) want[r.peer.mark] = &r;
  }
  WEFT_ASSIGN_OR_RETURN(auto rules, netlink::ListMarkRules(sock, AF_INET));
  std::set<uint32_t> have;
  for (const auto& r : rules) {
    if (r.priority == kMeshRulePriority && r.fwmark == r.table && r.fwmask == 0xffffffff) {
      have.insert(r.table);
    }
  }
  bool in_step = have.size() == want.size();
  if (in_step && !want.empty()) {
    // Every table's default route, in one dump: (table, gateway).
    WEFT_ASSIGN_OR_RETURN(auto all, netlink::ListRoutes(sock, AF_INET, 0));
    std::set<std::pair<uint32_t, std::string>> defaults;
    for (const auto& x : all) {
      if (x.dst == "default") defaults.emplace(x.table, x.gateway);
    }
    for (const auto& [mark, r] : want) {
      in_step = in_step && have.count(mark) > 0 && defaults.count({mark, r->via.ToString()}) > 0;
    }
  }
  if (in_step) return 0;

  int writes = 0;
  std::vector<firewall::MeshPeer> peers;
  std::set<std::string> tunnels;
  for (const auto& [mark, r] : want) {
    peers.push_back(r->peer);
    tunnels.insert(r->peer.tunnel);
  }
  WEFT_ASSIGN_OR_RETURN(auto fw, firewall::NewNftBackend());
  WEFT_RETURN_IF_ERROR(fw->Apply(firewall::BuildMeshTable(peers)).Wrap("table ip weft_mesh"));
  for (const auto& tunnel : tunnels) {
    const std::string key = "net.ipv4.conf." + tunnel + ".rp_filter";
    auto now = kernel::ReadSysctl(key);
    if (now.ok() && *now != "2") {
      Status s = kernel::WriteSysctl(key, "2");
      if (!s.ok()) spdlog::warn("mesh: {}: {}", key, s.ToString());
    }
  }
  for (const auto& [mark, r] : want) {
    netlink::RouteSpec route{.family = AF_INET,
                             .dst = std::nullopt,
                             .gateway = r->via,
                             .dev = r->peer.tunnel,
                             .table = mark,
                             .onlink = true};
    WEFT_RETURN_IF_ERROR(
        netlink::ReplaceRoute(sock, route).Wrap("mesh route table " + std::to_string(mark)));
    ++writes;
    if (!have.count(mark)) {
      WEFT_RETURN_IF_ERROR(netlink::AddRule(sock, {.family = AF_INET,
                                                   .priority = kMeshRulePriority,
                                                   .fwmark = mark,
                                                   .fwmask = 0xffffffff,
                                                   .table = mark}));
      ++writes;
    }
  }
  for (uint32_t mark : have) {
    if (want.count(mark)) continue;
    Status s = netlink::DeleteRule(sock, {.family = AF_INET,
                                          .priority = kMeshRulePriority,
                                          .fwmark = mark,
                                          .fwmask = 0xffffffff,
                                          .table = mark});
    if (!s.ok() && s.code() != Code::kNotFound) return s;
    // The table's route went with its device when the network left this
    // node; otherwise it goes now.
    WEFT_ASSIGN_OR_RETURN(auto table, netlink::ListRoutes(sock, AF_INET, mark));
    for (const auto& x : table) {
      auto gw = IpAddress::Parse(x.gateway);
      if (x.dst != "default" || !gw.ok()) continue;
      Status d = netlink::DeleteRoute(sock, {.family = AF_INET,
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

}  // namespace weft::core
