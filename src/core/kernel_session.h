#pragma once

#include <map>
#include <memory>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "firewall/backend.h"
#include "kernel/netlink/socket.h"

namespace weft::core {

// Kernel handles a plan's steps share, opened on first use at apply time
// (never while planning, so --dry-run opens nothing it does not need):
// one netlink socket in weft's own ("host") namespace, one per container
// namespace, and the nftables backend. Not thread-safe; one per command.
class KernelSession {
 public:
  // Runs in: the namespace weft was started in.
  Result<netlink::Socket*> Host();
  // A socket bound inside the namespace at `netns_path` (cached per path).
  Result<netlink::Socket*> In(const std::string& netns_path);
  // An fd on the namespace at `netns_path` (cached per path).
  Result<int> NetnsFd(const std::string& netns_path);
  // Forgets handles on a namespace that is being deleted.
  void Forget(const std::string& netns_path);
  Result<firewall::Backend*> Firewall();

  // Tests and `weft demo` may swap in another backend.
  void SetFirewall(std::unique_ptr<firewall::Backend> fw) { firewall_ = std::move(fw); }

 private:
  std::unique_ptr<netlink::Socket> host_;
  std::map<std::string, UniqueFd> netns_fds_;
  std::map<std::string, std::unique_ptr<netlink::Socket>> sockets_;
  std::unique_ptr<firewall::Backend> firewall_;
};

using SessionPtr = std::shared_ptr<KernelSession>;

}  // namespace weft::core
