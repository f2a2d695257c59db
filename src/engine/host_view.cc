#include "engine/host_view.h"

namespace weft::engine {

Result<netlink::LinkInfo> HostView::Link(const std::string& name) {
  WEFT_ASSIGN_OR_RETURN(auto links, Links());
  for (const auto& l : links) {
    if (l.name == name) return l;
  }
  return NotFound("link " + name + " not found");
}

Result<std::vector<netlink::LinkInfo>> HostSnapshot::Links() {
  if (!links_) {
    WEFT_ASSIGN_OR_RETURN(links_, inner_.Links());
  }
  return *links_;
}

Result<std::vector<netlink::RouteInfo>> HostSnapshot::Routes(int family) {
  auto it = routes_.find(family);
  if (it == routes_.end()) {
    WEFT_ASSIGN_OR_RETURN(auto r, inner_.Routes(family));
    it = routes_.emplace(family, std::move(r)).first;
  }
  return it->second;
}

Result<std::vector<netlink::AddrInfo>> HostSnapshot::Addresses() {
  if (!addrs_) {
    WEFT_ASSIGN_OR_RETURN(addrs_, inner_.Addresses());
  }
  return *addrs_;
}

Result<std::vector<netlink::LinkInfo>> HostSnapshot::LinksIn(const std::string& netns_path) {
  auto it = links_in_.find(netns_path);
  if (it == links_in_.end()) {
    WEFT_ASSIGN_OR_RETURN(auto l, inner_.LinksIn(netns_path));
    it = links_in_.emplace(netns_path, std::move(l)).first;
  }
  return it->second;
}

Result<std::vector<netlink::RouteInfo>> HostSnapshot::RoutesIn(const std::string& netns_path,
                                                               int family) {
  auto key = std::make_pair(netns_path, family);
  auto it = routes_in_.find(key);
  if (it == routes_in_.end()) {
    WEFT_ASSIGN_OR_RETURN(auto r, inner_.RoutesIn(netns_path, family));
    it = routes_in_.emplace(key, std::move(r)).first;
  }
  return it->second;
}

Result<std::vector<netlink::AddrInfo>> HostSnapshot::AddressesIn(const std::string& netns_path) {
  auto it = addrs_in_.find(netns_path);
  if (it == addrs_in_.end()) {
    WEFT_ASSIGN_OR_RETURN(auto a, inner_.AddressesIn(netns_path));
    it = addrs_in_.emplace(netns_path, std::move(a)).first;
  }
  return it->second;
}

bool HostSnapshot::NetnsExists(const std::string& netns_path) {
  auto it = netns_exists_.find(netns_path);
  if (it == netns_exists_.end()) {
    it = netns_exists_.emplace(netns_path, inner_.NetnsExists(netns_path)).first;
  }
  return it->second;
}

Result<std::string> HostSnapshot::Sysctl(const std::string& key) {
  auto it = sysctls_.find(key);
  if (it == sysctls_.end()) it = sysctls_.emplace(key, inner_.Sysctl(key)).first;
  return it->second;
}

Result<nlohmann::json> HostSnapshot::FirewallTable() {
  if (!table_) {
    WEFT_ASSIGN_OR_RETURN(table_, inner_.FirewallTable());
  }
  return *table_;
}

Result<nlohmann::json> HostSnapshot::ForeignFirewallTables() {
  if (!ruleset_) {
    WEFT_ASSIGN_OR_RETURN(ruleset_, inner_.ForeignFirewallTables());
  }
  return *ruleset_;
}

}  // namespace weft::engine
