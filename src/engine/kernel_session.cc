#include "engine/kernel_session.h"

#include "kernel/netns/netns.h"
#include "kernel/sysctl.h"

namespace weft::engine {

Result<netlink::Socket*> KernelSession::Host() {
  if (!host_) {
    WEFT_ASSIGN_OR_RETURN(auto s, netlink::Socket::Open());
    host_ = std::make_unique<netlink::Socket>(std::move(s));
  }
  return host_.get();
}

Result<int> KernelSession::NetnsFd(const std::string& netns_path) {
  auto it = netns_fds_.find(netns_path);
  if (it != netns_fds_.end()) return it->second.get();
  WEFT_ASSIGN_OR_RETURN(UniqueFd fd, netns::OpenByPath(netns_path));
  int raw = fd.get();
  netns_fds_.emplace(netns_path, std::move(fd));
  return raw;
}

Result<netlink::Socket*> KernelSession::In(const std::string& netns_path) {
  auto it = sockets_.find(netns_path);
  if (it != sockets_.end()) return it->second.get();
  WEFT_ASSIGN_OR_RETURN(int fd, NetnsFd(netns_path));
  WEFT_ASSIGN_OR_RETURN(auto s, netlink::Socket::OpenIn(fd));
  auto p = std::make_unique<netlink::Socket>(std::move(s));
  netlink::Socket* raw = p.get();
  sockets_.emplace(netns_path, std::move(p));
  return raw;
}

void KernelSession::Forget(const std::string& netns_path) {
  sockets_.erase(netns_path);
  read_sockets_.erase(netns_path);
  netns_fds_.erase(netns_path);
}

Result<firewall::Backend*> KernelSession::Firewall() {
  if (!firewall_) {
    WEFT_ASSIGN_OR_RETURN(firewall_, firewall::NewNftBackend());
  }
  return firewall_.get();
}

Result<netlink::Socket*> KernelSession::ReadHost() {
  if (!read_host_) {
    WEFT_ASSIGN_OR_RETURN(auto s, netlink::Socket::Open());
    read_host_ = std::make_unique<netlink::Socket>(std::move(s));
  }
  return read_host_.get();
}

Result<netlink::Socket*> KernelSession::ReadIn(const std::string& netns_path) {
  auto it = read_sockets_.find(netns_path);
  if (it != read_sockets_.end()) return it->second.get();
  WEFT_ASSIGN_OR_RETURN(int fd, NetnsFd(netns_path));
  WEFT_ASSIGN_OR_RETURN(auto s, netlink::Socket::OpenIn(fd));
  auto p = std::make_unique<netlink::Socket>(std::move(s));
  netlink::Socket* raw = p.get();
  read_sockets_.emplace(netns_path, std::move(p));
  return raw;
}

Result<firewall::Backend*> KernelSession::ReadFirewall() {
  if (swapped_firewall_) return firewall_.get();
  if (!read_firewall_) {
    WEFT_ASSIGN_OR_RETURN(read_firewall_, firewall::NewNftBackend());
  }
  return read_firewall_.get();
}

Result<std::vector<netlink::LinkInfo>> KernelSession::Links() {
  WEFT_ASSIGN_OR_RETURN(auto* s, ReadHost());
  return netlink::ListLinks(*s);
}

Result<netlink::LinkInfo> KernelSession::Link(const std::string& name) {
  WEFT_ASSIGN_OR_RETURN(auto* s, ReadHost());
  auto link = netlink::GetLink(*s, name);
  if (!link.ok() && link.status().code() == Code::kNotFound) {
    return NotFound("link " + name + " not found");
  }
  return link;
}

Result<std::vector<netlink::RouteInfo>> KernelSession::Routes(int family) {
  WEFT_ASSIGN_OR_RETURN(auto* s, ReadHost());
  return netlink::ListRoutes(*s, family);
}

Result<std::vector<netlink::AddrInfo>> KernelSession::Addresses() {
  WEFT_ASSIGN_OR_RETURN(auto* s, ReadHost());
  return netlink::ListAddresses(*s);
}

Result<std::vector<netlink::LinkInfo>> KernelSession::LinksIn(const std::string& netns_path) {
  WEFT_ASSIGN_OR_RETURN(auto* s, ReadIn(netns_path));
  return netlink::ListLinks(*s);
}

Result<std::vector<netlink::RouteInfo>> KernelSession::RoutesIn(const std::string& netns_path,
                                                                int family) {
  WEFT_ASSIGN_OR_RETURN(auto* s, ReadIn(netns_path));
  return netlink::ListRoutes(*s, family);
}

Result<std::vector<netlink::AddrInfo>> KernelSession::AddressesIn(const std::string& netns_path) {
  WEFT_ASSIGN_OR_RETURN(auto* s, ReadIn(netns_path));
  return netlink::ListAddresses(*s);
}

bool KernelSession::NetnsExists(const std::string& netns_path) {
  // Opened and closed again: a handle kept here would keep a namespace that
  // is being deleted alive.
  return netns::OpenByPath(netns_path).ok();
}

Result<std::string> KernelSession::Sysctl(const std::string& key) {
  return kernel::ReadSysctl(key);
}

Result<nlohmann::json> KernelSession::FirewallTable() {
  WEFT_ASSIGN_OR_RETURN(auto* fw, ReadFirewall());
  return fw->ListTable();
}

Result<nlohmann::json> KernelSession::ForeignFirewallTables() {
  WEFT_ASSIGN_OR_RETURN(auto* fw, ReadFirewall());
  return fw->ListForeignTables();
}

}  // namespace weft::engine
