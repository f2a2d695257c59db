#include "core/prepared_attach.h"

#include <unistd.h>

#include <chrono>
#include <optional>

#include "kernel/netlink/link.h"
#include "kernel/netlink/socket.h"
#include "kernel/netns/netns.h"
#include "kernel/sysctl.h"

namespace weft::core {

const drivers::PreparedLink* PreparedAttach::LinkFor(std::string_view network) const {
  for (const auto& l : links) {
    if (l.network == network) return &l;
  }
  return nullptr;
}

Status LoopbackUp(netlink::Socket& inner, int netns_fd) {
  WEFT_RETURN_IF_ERROR(netlink::SetLinkUp(inner, "lo", true));
  // Before any interface is made in it: new ones inherit "default".
  return kernel::WriteSysctlIn(netns_fd, "net.ipv6.conf.default.accept_dad", "0");
}

uint32_t AttachSalt() {
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  const uint64_t mixed = static_cast<uint64_t>(now) ^ (static_cast<uint64_t>(::getpid()) << 40);
  const auto salt = static_cast<uint32_t>(mixed ^ (mixed >> 32));
  return salt == 0 ? 1 : salt;
}

namespace {

// The networks to prepare links on, read without the lock (a snapshot the
// plan checks again under it); none when the container exists already.
Result<std::vector<std::optional<store::Network>>> ReadNetworks(
    Context& ctx, const std::string& name, const std::vector<std::string>& networks) {
  std::vector<std::optional<store::Network>> out;
  if (!ctx.HasStore()) return out;
  WEFT_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
  WEFT_RETURN_IF_ERROR(store->View([&](store::Tx& tx) -> Status {
    WEFT_ASSIGN_OR_RETURN(auto existing, tx.GetContainer(name));
    if (existing) return Status::Ok();
    for (const auto& n : networks) {
      WEFT_ASSIGN_OR_RETURN(auto net, tx.GetNetwork(n));
      out.push_back(std::move(net));
    }
    return Status::Ok();
  }));
  return out;
}

}  // namespace

std::shared_ptr<PreparedAttach> PrepareAttach(Context& ctx, const std::string& name,
                                              const std::vector<std::string>& networks) {
  auto fd = netns::CreateAnonymous();
  if (!fd.ok()) return nullptr;
  auto p = std::make_shared<PreparedAttach>();
  p->netns = std::make_shared<UniqueFd>(std::move(*fd));
  auto inner = netlink::Socket::OpenIn(p->netns->get());
  if (!inner.ok() || !LoopbackUp(*inner, p->netns->get()).ok()) return p;
  p->lo_up = true;
  auto nets = ReadNetworks(ctx, name, networks);
  if (!nets.ok() || nets->empty()) return p;
  auto host = netlink::Socket::Open();
  if (!host.ok()) return p;
  for (size_t i = 0; i < nets->size(); ++i) {
    const auto& net = (*nets)[i];
    if (!net) continue;
    const drivers::NetworkDriver* driver = drivers::FindDriver(net->driver);
    if (!driver) continue;
    auto link = driver->PrepareLink(*host, p->netns->get(), name, *net, "eth" + std::to_string(i),
                                    AttachSalt());
    if (link.ok() && link->has_value()) p->links.push_back(std::move(**link));
  }
  return p;
}

void DiscardPreparedLinks(PreparedAttach& prepared) {
  if (prepared.links.empty()) return;
  if (auto host = netlink::Socket::Open(); host.ok()) {
    for (const auto& l : prepared.links) netlink::DeleteLink(*host, l.host_ifname).IgnoreError();
  }
  prepared.links.clear();
}

}  // namespace weft::core
