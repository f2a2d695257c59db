#include "drivers/bridge.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <map>
#include <set>

#include "base/text.h"
#include "kernel/netlink/addr.h"
#include "kernel/netlink/link.h"
#include "kernel/netlink/route.h"
#include "kernel/sysctl.h"

namespace weft::drivers {
namespace {

using engine::SessionPtr;

constexpr std::string_view kNetworkTag = "weft network ";
constexpr std::string_view kContainerTag = "weft container ";
// A link made before the state lock, not yet adopted by a plan (PreparedLink).
constexpr std::string_view kPreparingTag = "weft preparing container ";
// A link a plan took out of service, to be deleted once the lock is released.
constexpr std::string_view kReleasingTag = "weft releasing container ";

// Every step this driver's plans use.
constexpr std::string_view kBridgeSteps[] = {
    "create-bridge", "delete-bridge", "create-veth",    "configure-interface",
    "delete-veth",   "release-veth",  "gc-delete-link", "gc-reattach-veth",
};

Status CreateBridgeNow(const engine::SessionPtr& session, const store::Network& net,
                       const std::string& mac) {
  WEFT_ASSIGN_OR_RETURN(auto* sock, session->Host());
  netlink::BridgeSpec spec;
  spec.name = net.bridge;
  spec.mtu = net.mtu;
  spec.mac = mac;
  spec.alias = "weft network " + net.name;
  WEFT_RETURN_IF_ERROR(netlink::CreateBridge(*sock, spec));
  // The bridge's link-local address must be usable at once: while it is
  // tentative the kernel solicits container neighbours from a foreign source
  // address and the first packets to a new container are lost.
  if (net.ipv6) {
    WEFT_RETURN_IF_ERROR(kernel::WriteSysctl("net.ipv6.conf." + net.bridge + ".accept_dad", "0"));
  }
  for (const auto& sn : net.subnets) {
    if (!sn.gateway) continue;
    WEFT_ASSIGN_OR_RETURN(auto address, IpPrefix::Interface(*sn.gateway, sn.prefix.length()));
    WEFT_RETURN_IF_ERROR(netlink::AddAddress(*sock, net.bridge, address, true));
  }
  WEFT_RETURN_IF_ERROR(netlink::SetLinkUp(*sock, net.bridge, true));
  // Published ports reached as 127.0.0.1 are DNATed out of this bridge; the
  // kernel drops such packets as martians unless route_localnet is on.
  return kernel::WriteSysctl("net.ipv4.conf." + net.bridge + ".route_localnet", "1");
}

Status DeleteLinkNow(const engine::SessionPtr& session, const std::string& name) {
  WEFT_ASSIGN_OR_RETURN(auto* sock, session->Host());
  Status s = netlink::DeleteLink(*sock, name);
  return s.code() == Code::kNotFound ? Status::Ok() : s;
}

std::string BridgeExplain(const store::Network& net, const std::string& mac) {
  std::string e = "ip link add " + net.bridge;
  if (net.mtu) e += fmt::format(" mtu {}", net.mtu);
  e += " address " + mac + " type bridge\n";
  e += fmt::format("ip link set {} alias \"weft network {}\"\n", net.bridge, net.name);
  if (net.ipv6) e += fmt::format("sysctl -qw net.ipv6.conf.{}.accept_dad=0\n", net.bridge);
  for (const auto& sn : net.subnets) {
    if (!sn.gateway) continue;
    e += fmt::format("ip addr add {}/{} dev {}{}\n", sn.gateway->ToString(), sn.prefix.length(),
                     net.bridge, sn.prefix.is_v4() ? "" : " nodad");
  }
  e += "ip link set " + net.bridge + " up\n";
  e += "sysctl -w net.ipv4.conf." + net.bridge + ".route_localnet=1";
  return e;
}

// The veth of `a`: the inner end in `peer_netns_fd` (-1: beside the host
// end), the host end tagged, on the bridge, without IPv6, up and in hairpin
// mode.
Status MakeVeth(netlink::Socket& host, int peer_netns_fd, const Attachment& a) {
  netlink::VethSpec spec;
  spec.peer_netns_fd = peer_netns_fd;
  spec.name = a.host_ifname;
  spec.peer_name = a.ifname;
  spec.peer_mac = a.mac;
  spec.mtu = a.mtu;
  spec.alias = a.tag;
  spec.master = a.bridge;
  WEFT_RETURN_IF_ERROR(netlink::CreateVeth(host, spec));
  // The host end is a bridge port: no IPv6 of its own (no link-local
  // address or routes). Each interface with IPv6 adds routes that every
  // later link change walks (rt6_sync_down_dev), so with them an attach
  // grew slower with every container on the host. Set before it is up, so
  // none are made; a kernel without IPv6 has no such sysctl.
  Status s = kernel::WriteSysctl("net.ipv6.conf." + a.host_ifname + ".disable_ipv6", "1");
  if (s.code() == Code::kNotFound) s = Status::Ok();
  if (s.ok()) s = netlink::SetLinkUp(host, a.host_ifname, true);
  // A container reaching its own published port is DNATed back to the port
  // it came from; with the kernel's bridge netfilter that takes hairpin mode.
  if (s.ok()) s = netlink::SetBridgePortHairpin(host, a.host_ifname, true);
  if (!s.ok()) {
    netlink::DeleteLink(host, a.host_ifname).IgnoreError();
    return s;
  }
  return Status::Ok();
}

Status AttachNow(const engine::SessionPtr& session, const Attachment& a) {
  WEFT_ASSIGN_OR_RETURN(auto* host, session->Host());
  // Made before the lock: on the bridge unless the bridge was made anew
  // since (the kernel does nothing when it is the master already), and
  // tagged as the container's now that the plan records it.
  if (a.prepared) {
    WEFT_RETURN_IF_ERROR(netlink::SetLinkMaster(*host, a.host_ifname, a.bridge));
    return netlink::SetLinkAlias(*host, a.host_ifname, a.tag);
  }
  int peer_fd = -1;
  if (!a.handoff) {
    WEFT_ASSIGN_OR_RETURN(peer_fd, session->NetnsFd(a.netns_path));
  }
  return MakeVeth(*host, peer_fd, a);
}

Status ConfigureNow(const engine::SessionPtr& session, const Attachment& a) {
  WEFT_ASSIGN_OR_RETURN(auto* sock, session->In(a.netns_path));
  if (a.prepared && !a.mac.empty()) {
    WEFT_RETURN_IF_ERROR(netlink::SetLinkMac(*sock, a.ifname, a.mac));
  }
  WEFT_RETURN_IF_ERROR(netlink::SetLinkUp(*sock, a.ifname, true));
  for (const auto* address : {&a.ipv4, &a.ipv6}) {
    if (*address) WEFT_RETURN_IF_ERROR(netlink::AddAddress(*sock, a.ifname, **address, true));
  }
  const bool onlink6 = a.subnet6.has_value();
  if (onlink6 && a.gateway6 && a.ipv6) {
    WEFT_RETURN_IF_ERROR(netlink::AddRoute(*sock, {.family = AF_INET6,
                                                   .dst = *a.subnet6,
                                                   .gateway = *a.gateway6,
                                                   .dev = a.ifname,
                                                   .onlink = true}));
  }
  if (a.default_route) {
    if (a.gateway4 && a.ipv4) {
      WEFT_RETURN_IF_ERROR(
          netlink::AddRoute(*sock, {AF_INET, std::nullopt, *a.gateway4, a.ifname}));
    }
    if (a.gateway6 && a.ipv6) {
      WEFT_RETURN_IF_ERROR(netlink::AddRoute(
          *sock, {.family = AF_INET6, .gateway = *a.gateway6, .dev = a.ifname, .onlink = onlink6}));
    }
  }
  return Status::Ok();
}

std::string AttachExplain(const Attachment& a) {
  std::string e = "ip link add " + a.host_ifname;
  if (a.mtu) e += fmt::format(" mtu {}", a.mtu);
  e += fmt::format(" type veth peer name {}{}{}\n", a.ifname,
                   a.mac.empty() ? "" : " address " + a.mac,
                   a.handoff ? "" : " netns " + a.netns_name);
  e += fmt::format("ip link set {} alias \"{}\"\n", a.host_ifname, a.tag);
  e += fmt::format("ip link set {} master {}\n", a.host_ifname, a.bridge);
  e += fmt::format("sysctl -qw net.ipv6.conf.{}.disable_ipv6=1\n", a.host_ifname);
  e += fmt::format("ip link set {} up\n", a.host_ifname);
  e += fmt::format("bridge link set dev {} hairpin on", a.host_ifname);
  return e;
}

std::string ConfigureExplain(const Attachment& a) {
  std::string p = "ip -n " + a.netns_name;
  std::string e = fmt::format("{} link set {} up\n", p, a.ifname);
  if (a.ipv4) e += fmt::format("{} addr add {} dev {}\n", p, a.ipv4->ToString(), a.ifname);
  if (a.ipv6) e += fmt::format("{} addr add {} dev {} nodad\n", p, a.ipv6->ToString(), a.ifname);
  if (a.default_route && a.gateway4 && a.ipv4) {
    e += fmt::format("{} route add default via {} dev {}\n", p, a.gateway4->ToString(), a.ifname);
  }
  const char* onlink = a.subnet6 ? " onlink" : "";
  if (a.subnet6 && a.gateway6 && a.ipv6) {
    e += fmt::format("{} -6 route add {} via {} dev {} onlink\n", p, a.subnet6->ToString(),
                     a.gateway6->ToString(), a.ifname);
  }
  if (a.default_route && a.gateway6 && a.ipv6) {
    e += fmt::format("{} -6 route add default via {} dev {}{}\n", p, a.gateway6->ToString(),
                     a.ifname, onlink);
  }
  e.pop_back();
  return e;
}

}  // namespace

namespace {
// FNV-1a: stable across runs and builds (std::hash is not guaranteed to be).
uint32_t NameHash(const std::string& container, const std::string& network, uint32_t salt = 0) {
  uint32_t h = 2166136261u;
  auto mix = [&h](uint8_t byte) {
    h ^= byte;
    h *= 16777619u;
  };
  for (char c : container + '\0' + network) mix(static_cast<uint8_t>(c));
  if (salt != 0) {
    for (int i = 0; i < 4; ++i) mix(static_cast<uint8_t>(salt >> (8 * i)));
  }
  return h;
}
}  // namespace

std::string HostIfname(const std::string& container, const std::string& network, uint32_t salt) {
  return fmt::format("veth{:08x}", NameHash(container, network, salt));
}

std::string HandoffIfname(const std::string& container, const std::string& network) {
  return fmt::format("wd{:08x}", NameHash(container, network));
}

Attachment AttachmentFor(const store::Container& c, const store::Network& net,
                         const store::Endpoint& ep, bool default_route) {
  Attachment a;
  a.container = c.name;
  a.netns_path = c.netns_path;
  a.netns_name = c.name;
  a.bridge = net.bridge;
  a.ifname = ep.ifname;
  a.mac = ep.mac;
  a.host_ifname = ep.host_ifname;
  a.mtu = net.mtu;
  a.default_route = default_route && !net.internal;
  a.handoff = ep.handoff;
  a.tag = "weft container " + c.name + " network " + net.name;
  for (const auto& sn : net.subnets) {
    const std::optional<IpAddress>& address = sn.prefix.is_v4() ? ep.ipv4 : ep.ipv6;
    if (!address || address->family() != sn.prefix.family()) continue;
    auto with_length = IpPrefix::Interface(*address, sn.prefix.length());
    if (!with_length.ok()) continue;
    (sn.prefix.is_v4() ? a.ipv4 : a.ipv6) = *with_length;
    (sn.prefix.is_v4() ? a.gateway4 : a.gateway6) = sn.gateway;
  }
  return a;
}

std::vector<std::string> AddressesOf(const Attachment& a) {
  std::vector<std::string> out;
  for (const auto* address : {&a.ipv4, &a.ipv6}) {
    if (*address) out.push_back((*address)->ToString());
  }
  return out;
}

void PlanVethAttach(engine::Plan& plan, const engine::SessionPtr& session, const Attachment& a) {
  plan.Add({"create-veth", AttachExplain(a), [=] { return AttachNow(session, a); },
            [=] { return DeleteLinkNow(session, a.host_ifname); }});
  if (a.handoff) return;  // the runtime configures the inner end
  // Undo is the veth's: deleting the pair removes the inner end's config.
  plan.Add({"configure-interface", ConfigureExplain(a), [=] { return ConfigureNow(session, a); },
            nullptr});
}

void PlanVethDetach(engine::Plan& plan, const engine::SessionPtr& session, const Attachment& a) {
  if (a.handoff) {
    // The inner end is in the runtime's sandbox: gone with the host end now.
    plan.Add({"delete-veth", "ip link delete " + a.host_ifname,
              [=] { return DeleteLinkNow(session, a.host_ifname); },
              [=] { return AttachNow(session, a); }});
    return;
  }
  // Deleting a veth waits ~20 ms for the kernel's unregistration: under the
  // lock only the host end goes down and is tagged as leaving (gc deletes
  // such links that nothing owns), and the deletion runs once the lock is
  // released, where many commands' deletions overlap.
  const std::string leaving = std::string(kReleasingTag) + a.tag.substr(kContainerTag.size());
  plan.Add({"release-veth",
            fmt::format("ip link set {} down alias \"{}\"\nip link delete {}   # once the "
                        "state lock is released",
                        a.host_ifname, leaving, a.host_ifname),
            // Gone already (a runtime deleted its namespace before DEL):
            // nothing to release, nothing to put back.
            [=] {
              WEFT_ASSIGN_OR_RETURN(auto* host, session->Host());
              Status s = netlink::SetLinkUp(*host, a.host_ifname, false);
              if (s.ok()) s = netlink::SetLinkAlias(*host, a.host_ifname, leaving);
              return s.code() == Code::kNotFound ? Status::Ok() : s;
            },
            [=] {
              WEFT_ASSIGN_OR_RETURN(auto* host, session->Host());
              Status s = netlink::SetLinkAlias(*host, a.host_ifname, a.tag);
              if (s.ok()) s = netlink::SetLinkUp(*host, a.host_ifname, true);
              return s.code() == Code::kNotFound ? Status::Ok() : s;
            }});
  plan.AddAfterUnlock([session, name = a.host_ifname, leaving] {
    auto host = session->Host();
    if (!host.ok()) return;
    // Only while it is still the one released (a name is never reused by a
    // later attach, whose salt differs, but make sure).
    auto link = netlink::GetLink(**host, name);
    if (link.ok() && link->alias == leaving) netlink::DeleteLink(**host, name).IgnoreError();
  });
}

namespace {

void PlanBridgeCreate(engine::Plan& plan, SessionPtr session, const store::Network& net) {
  std::string mac = RandomMac();
  plan.Add({"create-bridge", BridgeExplain(net, mac),
            [=] { return CreateBridgeNow(session, net, mac); },
            [=] { return DeleteLinkNow(session, net.bridge); }});
}

void PlanBridgeDelete(engine::Plan& plan, engine::SessionPtr session, const store::Network& net) {
  std::string mac = RandomMac();
  plan.Add({"delete-bridge", "ip link delete " + net.bridge,
            [=] { return DeleteLinkNow(session, net.bridge); },
            [=] { return CreateBridgeNow(session, net, mac); }});
}

// Steps that plug a veth that survived its bridge back in (gc).
void PlanReattach(engine::Plan& plan, const SessionPtr& session, const std::string& veth,
                  const std::string& bridge, const std::string& tag) {
  plan.Add({"gc-reattach-veth",
            "ip link set " + veth + " master " + bridge + " up alias \"" + tag +
                "\"\nbridge link set dev " + veth + " hairpin on",
            [session, veth, bridge, tag] {
              WEFT_ASSIGN_OR_RETURN(auto* h, session->Host());
              WEFT_RETURN_IF_ERROR(netlink::SetLinkMaster(*h, veth, bridge));
              WEFT_RETURN_IF_ERROR(netlink::SetLinkAlias(*h, veth, tag));
              WEFT_RETURN_IF_ERROR(netlink::SetLinkUp(*h, veth, true));
              return netlink::SetBridgePortHairpin(*h, veth, true);
            },
            nullptr});
}

const netlink::LinkInfo* FindLink(const std::vector<netlink::LinkInfo>& links,
                                  const std::string& name) {
  for (const auto& l : links) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

class Bridge final : public NetworkDriver {
 public:
  std::string_view name() const override { return "bridge"; }
  std::span<const std::string_view> step_names() const override { return kBridgeSteps; }

  Status Complete(store::Network& net, const HostNames& taken) const override {
    net.bridge = NextBridgeName(taken);
    return Status::Ok();
  }

  void PlanCreate(engine::Plan& plan, SessionPtr session,
                  const store::Network& net) const override {
    PlanBridgeCreate(plan, std::move(session), net);
  }
  void PlanDelete(engine::Plan& plan, SessionPtr session,
                  const store::Network& net) const override {
    PlanBridgeDelete(plan, std::move(session), net);
  }

  void CompleteEndpoint(const store::Container& c, const store::Network& net, store::Endpoint& ep,
                        uint32_t salt) const override {
    ep.host_ifname = HostIfname(c.name, net.name, salt);
  }

  Result<std::optional<PreparedLink>> PrepareLink(netlink::Socket& host, int netns_fd,
                                                  const std::string& container,
                                                  const store::Network& net,
                                                  const std::string& ifname,
                                                  uint32_t salt) const override {
    store::Container c;
    c.name = container;
    store::Endpoint ep;
    ep.container = container;
    ep.network = net.name;
    ep.ifname = ifname;
    CompleteEndpoint(c, net, ep, salt);
    // No MAC yet (it follows the address, allocated under the lock). Not
    // tagged as the container's until the plan adopts it: gc deletes links
    // so tagged whose container the store does not have, and this one's is
    // recorded only then. Doctor and gc leave other "weft " links alone.
    Attachment a = AttachmentFor(c, net, ep, false);
    a.tag = std::string(kPreparingTag) + container + " network " + net.name;
    WEFT_RETURN_IF_ERROR(MakeVeth(host, netns_fd, a));
    return std::optional<PreparedLink>(
        PreparedLink{net.name, net.bridge, ifname, ep.host_ifname, net.mtu});
  }

  void PlanAttach(engine::Plan& plan, SessionPtr session, const store::Container& c,
                  const store::Network& net, const store::Endpoint& ep, bool default_route,
                  const PreparedLink* prepared) const override {
    Attachment a = AttachmentFor(c, net, ep, default_route);
    a.prepared = prepared != nullptr;
    PlanVethAttach(plan, session, a);
  }
  Status CheckRoom(const store::Network& net, size_t endpoints_here) const override {
    // The kernel numbers a bridge's ports 1..1023 (BR_MAX_PORTS, port 0
    // reserved) and refuses the next with EXFULL.
    constexpr size_t kBridgeMaxPorts = 1023;
    if (endpoints_here < kBridgeMaxPorts) return Status::Ok();
    return FailedPrecondition("network " + Quote(net.name) + " is full on this host: its bridge " +
                              net.bridge + " has " + std::to_string(endpoints_here) +
                              " containers, and a Linux bridge takes at most " +
                              std::to_string(kBridgeMaxPorts) + " ports; use another network");
  }
  void PlanDetach(engine::Plan& plan, SessionPtr session, const store::Container& c,
                  const store::Network& net, const store::Endpoint& ep,
                  bool default_route) const override {
    PlanVethDetach(plan, session, AttachmentFor(c, net, ep, default_route));
  }

  std::vector<std::string> InterfaceAddresses(const store::Network& net,
                                              const store::Endpoint& ep) const override {
    return AddressesOf(AttachmentFor({}, net, ep, false));
  }

  Result<std::vector<std::string>> CheckNetwork(engine::HostView& host,
                                                const store::Network& net) const override {
    std::vector<std::string> problems;
    WEFT_ASSIGN_OR_RETURN(auto links, host.Links());
    const netlink::LinkInfo* br = FindLink(links, net.bridge);
    if (!br) return std::vector<std::string>{"bridge " + net.bridge + " is missing"};
    if (!br->up) problems.push_back("bridge " + net.bridge + " is down");
    WEFT_ASSIGN_OR_RETURN(auto addrs, host.Addresses());
    for (const auto& sn : net.subnets) {
      if (!sn.gateway) continue;
      auto gw = IpPrefix::Interface(*sn.gateway, sn.prefix.length());
      if (!gw.ok()) continue;
      const std::string want = gw->ToString();
      bool found = false;
      for (const auto& a : addrs) found |= a.ifindex == br->index && a.cidr == want;
      if (!found) problems.push_back("gateway " + want + " is not on " + net.bridge);
    }
    return problems;
  }

  Result<std::vector<std::string>> CheckEndpoint(engine::HostView& host, const store::Container& c,
                                                 const store::Network& net,
                                                 const store::Endpoint& ep,
                                                 CheckDepth depth) const override {
    return CheckBridgeEndpoint(host, c, net, ep, depth, AttachmentFor(c, net, ep, false));
  }

  Result<std::vector<netlink::LinkInfo>> HostInterfaces(engine::HostView& host,
                                                        const store::Network& net,
                                                        const store::Endpoint& ep) const override {
    std::vector<netlink::LinkInfo> out;
    for (const std::string& name : {net.bridge, ep.host_ifname}) {
      WEFT_ASSIGN_OR_RETURN(auto l, host.Link(name));
      out.push_back(std::move(l));
    }
    return out;
  }

  void PlanRepair(engine::Plan& plan, SessionPtr session, const RepairInput& in) const override {
    // weft's links (tagged by alias) that no network or live endpoint owns.
    std::set<std::string> owned;
    for (const auto& n : in.networks) owned.insert(n.bridge);
    for (const auto& c : in.live) {
      for (const auto& e : c.endpoints) owned.insert(e.host_ifname);
    }
    for (const auto& l : in.links) {
      bool tagged = l.alias.rfind(kNetworkTag, 0) == 0 || l.alias.rfind(kContainerTag, 0) == 0 ||
                    l.alias.rfind(kReleasingTag, 0) == 0;
      if (!tagged || owned.count(l.name)) continue;
      plan.Add({"gc-delete-link", "ip link delete " + l.name + "   # " + l.alias,
                [session, name = l.name] { return DeleteLinkNow(session, name); }, nullptr});
    }
    PlanBridgeRepair(plan, session, in, *this);
  }

  std::vector<std::string> DnsListenAddresses(const store::Network& net) const override {
    std::vector<std::string> out;
    if (!net.dns_enabled) return out;
    for (const auto& s : net.subnets) {
      if (s.gateway) out.push_back(s.gateway->ToString());
    }
    return out;
  }
};

}  // namespace

std::string NextBridgeName(const HostNames& taken) {
  std::set<std::string> names(taken.links.begin(), taken.links.end());
  for (const auto& n : taken.networks) names.insert(n.bridge);
  for (int i = 0;; ++i) {
    std::string name = "weft" + std::to_string(i);
    if (!names.count(name)) return name;
  }
}

Result<std::vector<std::string>> CheckBridgeEndpoint(engine::HostView& host,
                                                     const store::Container& c,
                                                     const store::Network& net,
                                                     const store::Endpoint& ep, CheckDepth depth,
                                                     const Attachment& a) {
  std::vector<std::string> problems;
  WEFT_ASSIGN_OR_RETURN(auto links, host.Links());
  const netlink::LinkInfo* veth = FindLink(links, ep.host_ifname);
  if (!veth) {
    return std::vector<std::string>{"veth " + ep.host_ifname + " (network " + ep.network +
                                    ") is missing"};
  }
  // A missing bridge is the network's problem (CheckNetwork).
  const netlink::LinkInfo* br = FindLink(links, net.bridge);
  if (br && veth->master != br->index) {
    problems.push_back("veth " + ep.host_ifname + " is not on bridge " + net.bridge);
  }
  if (depth != CheckDepth::kInside) return problems;
  // A runtime's attachment must also be up (weft status leaves a down host
  // end to the runtime: gc does not bring links up).
  if (!veth->up) problems.push_back("veth " + ep.host_ifname + " is down");
  if (ep.handoff) return problems;
  WEFT_ASSIGN_OR_RETURN(auto inside, host.LinksIn(c.netns_path));
  const netlink::LinkInfo* inner = FindLink(inside, ep.ifname);
  if (!inner) {
    problems.push_back("interface " + ep.ifname + " is missing");
    return problems;
  }
  if (!inner->up) problems.push_back("interface " + ep.ifname + " is down");
  if (!ep.mac.empty() && inner->mac != ep.mac) {
    problems.push_back("interface " + ep.ifname + " has MAC " + inner->mac + ", not " + ep.mac);
  }
  WEFT_ASSIGN_OR_RETURN(auto addrs, host.AddressesIn(c.netns_path));
  for (const auto* address : {&a.ipv4, &a.ipv6}) {
    if (!*address) continue;
    const std::string want = (*address)->ToString();
    bool there = std::any_of(addrs.begin(), addrs.end(), [&](const netlink::AddrInfo& x) {
      return x.ifindex == inner->index && x.cidr == want;
    });
    if (!there) problems.push_back("interface " + ep.ifname + " lacks address " + want);
  }
  return problems;
}

// Missing bridges of `driver`'s networks; missing veths of live containers
// on them, and veths that survived their bridge plugged back in.
void PlanBridgeRepair(engine::Plan& plan, const SessionPtr& session, const RepairInput& in,
                      const NetworkDriver& driver) {
  std::set<std::string> present;
  for (const auto& l : in.links) present.insert(l.name);
  std::map<std::string, const store::Network*> mine;
  for (const auto& n : in.networks) {
    if (n.driver != driver.name()) continue;
    mine[n.name] = &n;
    if (!present.count(n.bridge)) PlanBridgeCreate(plan, session, n);
  }
  std::map<std::string, int> index_of;  // link name -> ifindex
  std::map<std::string, const netlink::LinkInfo*> by_name;
  for (const auto& l : in.links) {
    index_of[l.name] = l.index;
    by_name[l.name] = &l;
  }
  // Missing veths of live containers; veths that survived their bridge
  // (deleted, maybe re-created above) plugged back in.
  for (const auto& c : in.live) {
    for (size_t i = 0; i < c.endpoints.size(); ++i) {
      const auto& e = c.endpoints[i];
      auto net = mine.find(e.network);
      if (net == mine.end()) continue;
      const std::string& bridge = net->second->bridge;
      if (!present.count(e.host_ifname)) {
        driver.PlanAttach(plan, session, c, *net->second, e, i == 0, nullptr);
        continue;
      }
      // On its bridge, up and tagged as the container's: in order. Else
      // plugged back (a bridge made anew), or put back in service (a command
      // died after releasing it, before the store let the endpoint go).
      const std::string tag = AttachmentFor(c, *net->second, e, false).tag;
      const netlink::LinkInfo* link = by_name[e.host_ifname];
      auto bridge_index = index_of.find(bridge);
      if (bridge_index != index_of.end() && link->master == bridge_index->second && link->up &&
          link->alias == tag) {
        continue;
      }
      PlanReattach(plan, session, e.host_ifname, bridge, tag);
    }
  }
}

const NetworkDriver& BridgeDriver() {
  static const Bridge bridge;
  return bridge;
}

}  // namespace weft::drivers
