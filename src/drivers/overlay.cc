#include "drivers/overlay.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "drivers/bridge.h"
#include "drivers/overlay_fabric.h"
#include "kernel/netlink/addr.h"
#include "kernel/netlink/link.h"
#include "kernel/netlink/vxlan.h"
#include "kernel/sysctl.h"

namespace weft::drivers {
namespace {

using engine::SessionPtr;

constexpr std::string_view kVniLabel = "weft.overlay.vni";
constexpr std::string_view kLocalLabel = "weft.overlay.local";
constexpr std::string_view kMacLabel = "weft.overlay.mac";
constexpr std::string_view kBlocksLabel = "weft.overlay.blocks";

// The alias on the VXLAN device. Not the bridge driver's "weft network "
// tag, whose gc deletes tagged links that are no network's bridge.
constexpr std::string_view kVxlanTag = "weft overlay ";

constexpr std::string_view kOverlaySteps[] = {"create-vxlan", "delete-vxlan", "add-vtep-address"};

std::string Label(const store::Network& net, std::string_view key) {
  auto it = net.labels.find(std::string(key));
  return it == net.labels.end() ? "" : it->second;
}

Status CreateVxlanNow(const SessionPtr& session, const store::Network& net,
                      const OverlayParams& p) {
  WEFT_ASSIGN_OR_RETURN(auto* sock, session->Host());
  // The bridge answers ARP for what is routed to other nodes, at once.
  WEFT_RETURN_IF_ERROR(kernel::WriteSysctl("net.ipv4.conf." + net.bridge + ".proxy_arp", "1"));
  WEFT_RETURN_IF_ERROR(kernel::WriteSysctl("net.ipv4.neigh." + net.bridge + ".proxy_delay", "0"));
  netlink::VxlanSpec spec;
  spec.name = VxlanName(p.vni);
  spec.vni = p.vni;
  spec.local = p.local;
  spec.learning = false;
  spec.mtu = net.mtu;
  spec.mac = p.mac;
  spec.alias = std::string(kVxlanTag) + net.name;
  spec.up = true;
  WEFT_RETURN_IF_ERROR(netlink::CreateVxlan(*sock, spec));
  for (const auto& b : p.blocks) {
    Status s = netlink::AddAddress(*sock, spec.name, IpPrefix::Host(VtepAddress(b)), true);
    if (!s.ok()) {
      netlink::DeleteLink(*sock, spec.name).IgnoreError();
      return s;
    }
  }
  return Status::Ok();
}

Status DeleteVxlanNow(const SessionPtr& session, const std::string& name) {
  WEFT_ASSIGN_OR_RETURN(auto* sock, session->Host());
  Status s = netlink::DeleteLink(*sock, name);
  return s.code() == Code::kNotFound ? Status::Ok() : s;
}

std::string VxlanExplain(const store::Network& net, const OverlayParams& p) {
  const std::string dev = VxlanName(p.vni);
  std::string e = fmt::format("sysctl -qw net.ipv4.conf.{}.proxy_arp=1\n", net.bridge);
  e += fmt::format("sysctl -qw net.ipv4.neigh.{}.proxy_delay=0\n", net.bridge);
  e += fmt::format(
      "ip link add {}{} address {} type vxlan id {} local {} dstport 4789 nolearning\n", dev,
      net.mtu ? fmt::format(" mtu {}", net.mtu) : "", p.mac, p.vni, p.local.ToString());
  e += fmt::format("ip link set {} alias \"{}{}\"\n", dev, kVxlanTag, net.name);
  for (const auto& b : p.blocks) {
    e += fmt::format("ip addr add {} dev {}{}\n", IpPrefix::Host(VtepAddress(b)).ToString(), dev,
                     b.is_v4() ? "" : " nodad");
  }
  e += "ip link set " + dev + " up";
  return e;
}

void PlanVxlanCreate(engine::Plan& plan, const SessionPtr& session, const store::Network& net,
                     const std::string& step = "create-vxlan") {
  auto p = ReadOverlayParams(net);
  if (!p.ok()) {
    // The row was checked when it was made (Complete); a row edited since
    // fails here, at apply time, naming the label.
    plan.Add({step, "", [s = p.status()] { return s; }, nullptr});
    return;
  }
  plan.Add({step, VxlanExplain(net, *p),
            [session, net, p = *p] { return CreateVxlanNow(session, net, p); },
            [session, dev = VxlanName(p->vni)] { return DeleteVxlanNow(session, dev); }});
}

// An endpoint's attachment on an overlay row: as on a bridge, except that an
// IPv6 address takes the length of this node's block that holds it (the
// kernel has no blanket proxy NDP: docs/DECISIONS.md, "IPv6 on overlay
// networks"), and the subnet is routed via the gateway, on-link.
Attachment OverlayAttachmentFor(const store::Container& c, const store::Network& net,
                                const store::Endpoint& ep, bool default_route) {
  Attachment a = AttachmentFor(c, net, ep, default_route);
  if (!a.ipv6) return a;
  auto p = ReadOverlayParams(net);
  if (!p.ok()) return a;
  for (const auto& b : p->blocks) {
    if (!b.Contains(a.ipv6->address())) continue;
    auto in_block = IpPrefix::Interface(a.ipv6->address(), b.length());
    if (!in_block.ok()) break;
    a.subnet6 = a.ipv6->network();
    a.ipv6 = *in_block;
    break;
  }
  return a;
}

const netlink::LinkInfo* Find(const std::vector<netlink::LinkInfo>& links,
                              const std::string& name) {
  auto it = std::find_if(links.begin(), links.end(),
                         [&](const netlink::LinkInfo& l) { return l.name == name; });
  return it == links.end() ? nullptr : &*it;
}

class Overlay final : public NetworkDriver {
 public:
  std::string_view name() const override { return kOverlayDriverName; }
  std::span<const std::string_view> step_names() const override { return kOverlaySteps; }

  // Overlay networks are made cluster-wide (weft network create --driver
  // overlay); a local row comes with the node's first endpoint, with its
  // parameters already in its labels.
  Status Complete(store::Network& net, const HostNames& /*taken*/) const override {
    auto p = ReadOverlayParams(net);
    if (!p.ok()) {
      return InvalidArgument(
          "overlay networks are made cluster-wide (weft cluster join, then weft network create "
          "--driver overlay), not on one host");
    }
    net.bridge = OverlayBridgeName(p->vni);
    return Status::Ok();
  }

  void PlanCreate(engine::Plan& plan, SessionPtr session,
                  const store::Network& net) const override {
    BridgeDriver().PlanCreate(plan, session, net);
    PlanVxlanCreate(plan, session, net);
  }
  void PlanDelete(engine::Plan& plan, SessionPtr session,
                  const store::Network& net) const override {
    auto p = ReadOverlayParams(net);
    if (p.ok()) {
      plan.Add({"delete-vxlan", "ip link delete " + VxlanName(p->vni),
                [session, dev = VxlanName(p->vni)] { return DeleteVxlanNow(session, dev); },
                [session, net, p = *p] { return CreateVxlanNow(session, net, p); }});
    }
    BridgeDriver().PlanDelete(plan, session, net);
  }

  void CompleteEndpoint(const store::Container& c, const store::Network& net, store::Endpoint& ep,
                        uint32_t salt) const override {
    BridgeDriver().CompleteEndpoint(c, net, ep, salt);
  }
  // The node's bridge of the network may not exist before the lock.
  Result<std::optional<PreparedLink>> PrepareLink(netlink::Socket& /*host*/, int /*netns_fd*/,
                                                  const std::string& /*container*/,
                                                  const store::Network& /*net*/,
                                                  const std::string& /*ifname*/,
                                                  uint32_t /*salt*/) const override {
    return std::optional<PreparedLink>();
  }
  void PlanAttach(engine::Plan& plan, SessionPtr session, const store::Container& c,
                  const store::Network& net, const store::Endpoint& ep, bool default_route,
                  const PreparedLink* /*prepared*/) const override {
    PlanVethAttach(plan, session, OverlayAttachmentFor(c, net, ep, default_route));
  }
  void PlanDetach(engine::Plan& plan, SessionPtr session, const store::Container& c,
                  const store::Network& net, const store::Endpoint& ep,
                  bool default_route) const override {
    PlanVethDetach(plan, session, OverlayAttachmentFor(c, net, ep, default_route));
  }

  std::vector<std::string> InterfaceAddresses(const store::Network& net,
                                              const store::Endpoint& ep) const override {
    return AddressesOf(OverlayAttachmentFor({}, net, ep, false));
  }

  Result<std::vector<std::string>> CheckNetwork(engine::HostView& host,
                                                const store::Network& net) const override {
    WEFT_ASSIGN_OR_RETURN(auto problems, BridgeDriver().CheckNetwork(host, net));
    const std::string dev = TunnelOf(net);
    WEFT_ASSIGN_OR_RETURN(auto links, host.Links());
    const netlink::LinkInfo* vx = Find(links, dev);
    if (!vx) {
      problems.push_back("VXLAN device " + dev + " is missing");
    } else if (!vx->up) {
      problems.push_back("VXLAN device " + dev + " is down");
    }
    return problems;
  }
  Result<std::vector<std::string>> CheckEndpoint(engine::HostView& host, const store::Container& c,
                                                 const store::Network& net,
                                                 const store::Endpoint& ep,
                                                 CheckDepth depth) const override {
    return CheckBridgeEndpoint(host, c, net, ep, depth, OverlayAttachmentFor(c, net, ep, false));
  }
  Result<std::vector<netlink::LinkInfo>> HostInterfaces(engine::HostView& host,
                                                        const store::Network& net,
                                                        const store::Endpoint& ep) const override {
    return BridgeDriver().HostInterfaces(host, net, ep);
  }

  void PlanRepair(engine::Plan& plan, SessionPtr session, const RepairInput& in) const override {
    std::set<std::string> present, owned;
    for (const auto& l : in.links) present.insert(l.name);
    for (const auto& n : in.networks) owned.insert(TunnelOf(n));
    // VXLAN devices of weft's that no overlay row owns (a crash between
    // making one and recording its row).
    for (const auto& l : in.links) {
      if (l.alias.rfind(kVxlanTag, 0) != 0 || owned.count(l.name)) continue;
      plan.Add({"gc-delete-link", "ip link delete " + l.name + "   # " + l.alias,
                [session, name = l.name] { return DeleteVxlanNow(session, name); }, nullptr});
    }
    PlanBridgeRepair(plan, session, in, *this);
    // A VXLAN device that is missing, or whose bridge was (its proxy ARP
    // settings went with it), is made again.
    for (const auto& n : in.networks) {
      if (n.driver != name()) continue;
      const std::string dev = TunnelOf(n);
      if (present.count(dev) && present.count(n.bridge)) continue;
      if (present.count(dev)) {
        plan.Add({"delete-vxlan", "ip link delete " + dev,
                  [session, dev] { return DeleteVxlanNow(session, dev); }, nullptr});
      }
      PlanVxlanCreate(plan, session, n);
    }
  }

  std::vector<std::string> DnsListenAddresses(const store::Network& net) const override {
    return BridgeDriver().DnsListenAddresses(net);
  }
  // Its containers are ports of a local bridge (the VXLAN device is not:
  // other nodes are routed to).
  Status CheckRoom(const store::Network& net, size_t endpoints_here) const override {
    return BridgeDriver().CheckRoom(net, endpoints_here);
  }
};

}  // namespace

Result<OverlayParams> ReadOverlayParams(const store::Network& net) {
  OverlayParams p;
  const std::string vni = Label(net, kVniLabel);
  auto [end, ec] = std::from_chars(vni.data(), vni.data() + vni.size(), p.vni);
  if (vni.empty() || ec != std::errc() || end != vni.data() + vni.size() || p.vni == 0 ||
      p.vni > netlink::kMaxVni) {
    return InvalidArgument(
        fmt::format("network \"{}\": label {} is not a VNI", net.name, kVniLabel));
  }
  auto local = IpAddress::Parse(Label(net, kLocalLabel));
  if (!local.ok()) {
    return InvalidArgument(
        fmt::format("network \"{}\": label {} is not an address", net.name, kLocalLabel));
  }
  p.local = *local;
  p.mac = Label(net, kMacLabel);
  if (p.mac.size() != 17) {
    return InvalidArgument(
        fmt::format("network \"{}\": label {} is not a MAC", net.name, kMacLabel));
  }
  const std::string blocks = Label(net, kBlocksLabel);
  const std::string_view list = blocks;
  size_t start = 0;
  while (!blocks.empty() && start <= blocks.size()) {
    size_t comma = blocks.find(',', start);
    if (comma == std::string::npos) comma = blocks.size();
    auto b = IpPrefix::Parse(list.substr(start, comma - start));
    if (!b.ok() || !b->is_network()) {
      return InvalidArgument(
          fmt::format("network \"{}\": label {} is not a list of blocks", net.name, kBlocksLabel));
    }
    p.blocks.push_back(*b);
    start = comma + 1;
  }
  return p;
}

void WriteOverlayParams(const OverlayParams& p, store::Network& net) {
  net.labels[std::string(kVniLabel)] = std::to_string(p.vni);
  net.labels[std::string(kLocalLabel)] = p.local.ToString();
  net.labels[std::string(kMacLabel)] = p.mac;
  std::string blocks;
  for (const auto& b : p.blocks) blocks += (blocks.empty() ? "" : ",") + b.ToString();
  net.labels[std::string(kBlocksLabel)] = blocks;
}

bool IsOverlayLabel(const std::string& key) { return key.starts_with("weft.overlay."); }

std::string OverlayBridgeName(uint32_t vni) { return "wob" + std::to_string(vni); }
std::string VxlanName(uint32_t vni) { return "wvx" + std::to_string(vni); }

std::string TunnelOf(const store::Network& net) {
  if (net.driver != kOverlayDriverName) return "";
  auto p = ReadOverlayParams(net);
  return p.ok() ? VxlanName(p->vni) : "";
}

void PlanAddBlocks(engine::Plan& plan, const engine::SessionPtr& session, const store::Network& net,
                   const std::vector<IpPrefix>& blocks) {
  const std::string dev = TunnelOf(net);
  for (const auto& b : blocks) {
    const IpPrefix host = IpPrefix::Host(VtepAddress(b));
    plan.Add({"add-vtep-address", "ip addr add " + host.ToString() + " dev " + dev,
              [session, dev, host] {
                WEFT_ASSIGN_OR_RETURN(auto* sock, session->Host());
                return netlink::AddAddress(*sock, dev, host, true);
              },
              [session, dev, host] {
                WEFT_ASSIGN_OR_RETURN(auto* sock, session->Host());
                return netlink::DeleteAddress(*sock, dev, host);
              }});
  }
}

const NetworkDriver& OverlayDriver() {
  static const Overlay overlay;
  return overlay;
}

}  // namespace weft::drivers
