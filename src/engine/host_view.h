#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "kernel/netlink/addr.h"
#include "kernel/netlink/link.h"
#include "kernel/netlink/route.h"

namespace weft::engine {

// What planning and health checks may read from the host: links, routes and
// addresses in weft's namespace and in a container's, and the nftables
// ruleset. Reads only; nothing here can change the kernel. A seam for tests
// (a fake view) as well.
class HostView {
 public:
  virtual ~HostView() = default;
  // In the namespace weft runs in.
  virtual Result<std::vector<netlink::LinkInfo>> Links() = 0;
  // The link named `name` (kNotFound when none). The kernel's view asks for
  // that one link instead of dumping them all (a host with many containers
  // has many); by default, found in Links().
  virtual Result<netlink::LinkInfo> Link(const std::string& name);
  virtual Result<std::vector<netlink::RouteInfo>> Routes(int family) = 0;
  virtual Result<std::vector<netlink::AddrInfo>> Addresses() = 0;
  // In the namespace at `netns_path`.
  virtual Result<std::vector<netlink::LinkInfo>> LinksIn(const std::string& netns_path) = 0;
  virtual Result<std::vector<netlink::RouteInfo>> RoutesIn(const std::string& netns_path,
                                                           int family) = 0;
  virtual Result<std::vector<netlink::AddrInfo>> AddressesIn(const std::string& netns_path) = 0;
  // Whether a network namespace can be opened at `netns_path` (a container's
  // that was deleted or lost to a reboot cannot).
  virtual bool NetnsExists(const std::string& netns_path) = 0;
  // A sysctl's value in weft's namespace ("net.ipv4.ip_forward" -> "1").
  virtual Result<std::string> Sysctl(const std::string& key) = 0;
  // `list table inet weft` (null when absent), and every other table
  // (firewall::Backend::ListForeignTables).
  virtual Result<nlohmann::json> FirewallTable() = 0;
  virtual Result<nlohmann::json> ForeignFirewallTables() = 0;
};

// A HostView that reads each thing once from `inner` and then answers from
// memory: one consistent picture for a whole check (weft status asks for the
// host's links once per network and endpoint). Not thread-safe.
class HostSnapshot final : public HostView {
 public:
  explicit HostSnapshot(HostView& inner) : inner_(inner) {}

  Result<std::vector<netlink::LinkInfo>> Links() override;
  Result<std::vector<netlink::RouteInfo>> Routes(int family) override;
  Result<std::vector<netlink::AddrInfo>> Addresses() override;
  Result<std::vector<netlink::LinkInfo>> LinksIn(const std::string& netns_path) override;
  Result<std::vector<netlink::RouteInfo>> RoutesIn(const std::string& netns_path,
                                                   int family) override;
  Result<std::vector<netlink::AddrInfo>> AddressesIn(const std::string& netns_path) override;
  bool NetnsExists(const std::string& netns_path) override;
  Result<std::string> Sysctl(const std::string& key) override;
  Result<nlohmann::json> FirewallTable() override;
  Result<nlohmann::json> ForeignFirewallTables() override;

 private:
  HostView& inner_;
  std::map<std::string, bool> netns_exists_;
  std::map<std::string, Result<std::string>> sysctls_;
  std::optional<std::vector<netlink::LinkInfo>> links_;
  std::map<int, std::vector<netlink::RouteInfo>> routes_;
  std::optional<std::vector<netlink::AddrInfo>> addrs_;
  std::map<std::string, std::vector<netlink::LinkInfo>> links_in_;
  std::map<std::pair<std::string, int>, std::vector<netlink::RouteInfo>> routes_in_;
  std::map<std::string, std::vector<netlink::AddrInfo>> addrs_in_;
  std::optional<nlohmann::json> table_, ruleset_;
};

}  // namespace weft::engine
