#include "core/kernel_session.h"

#include "kernel/netns/netns.h"

namespace weft::core {

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
  netns_fds_.erase(netns_path);
}

Result<firewall::Backend*> KernelSession::Firewall() {
  if (!firewall_) {
    WEFT_ASSIGN_OR_RETURN(firewall_, firewall::NewNftBackend());
  }
  return firewall_.get();
}

}  // namespace weft::core
