#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "engine/host_view.h"
#include "firewall/backend.h"
#include "kernel/netlink/socket.h"

namespace weft::engine {

// The kernel handles a plan's steps share, and a read-only view for planning.
//
// Steps (at apply time) use Host(), In(), NetnsFd() and Firewall(): one
// netlink socket in weft's own ("host") namespace, one per container
// namespace, and the nftables backend, each opened on first use.
//
// Planning never calls those: it reads the host through the HostView this
// session also is (links, routes and addresses to choose names and subnets,
// check ports and runtimes' namespaces; the ruleset for explanations), over
// sockets of its own that are only ever used for dumps. So `--dry-run`,
// which plans and prints, opens no handle that a step writes through; it does
// read the host, as the explanations depend on it. The nftables listings go
// through a backend of their own as well, unless a backend was swapped in
// with SetFirewall (tests, `weft demo`), which then serves both.
//
// Not thread-safe; one per command.
class KernelSession final : public HostView {
 public:
  // For steps. Runs in: the namespace weft was started in.
  Result<netlink::Socket*> Host();
  // For steps: a socket bound inside the namespace at `netns_path` (cached
  // per path).
  Result<netlink::Socket*> In(const std::string& netns_path);
  // An fd on the namespace at `netns_path` (cached per path; opening one
  // changes nothing, the view uses it too).
  Result<int> NetnsFd(const std::string& netns_path);
  // Forgets handles on a namespace that is being deleted.
  void Forget(const std::string& netns_path);
  // For steps.
  Result<firewall::Backend*> Firewall();

  // Tests and `weft demo` may swap in another backend.
  void SetFirewall(std::unique_ptr<firewall::Backend> fw) {
    firewall_ = std::move(fw);
    swapped_firewall_ = true;
  }

  // HostView.
  Result<std::vector<netlink::LinkInfo>> Links() override;
  Result<netlink::LinkInfo> Link(const std::string& name) override;
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
  Result<netlink::Socket*> ReadHost();
  Result<netlink::Socket*> ReadIn(const std::string& netns_path);
  Result<firewall::Backend*> ReadFirewall();

  std::unique_ptr<netlink::Socket> host_;
  std::map<std::string, UniqueFd> netns_fds_;
  std::map<std::string, std::unique_ptr<netlink::Socket>> sockets_;
  std::unique_ptr<firewall::Backend> firewall_;
  bool swapped_firewall_ = false;
  // The view's own handles (dumps only).
  std::unique_ptr<netlink::Socket> read_host_;
  std::map<std::string, std::unique_ptr<netlink::Socket>> read_sockets_;
  std::unique_ptr<firewall::Backend> read_firewall_;
};

using SessionPtr = std::shared_ptr<KernelSession>;

}  // namespace weft::engine
