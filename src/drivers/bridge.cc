#include "drivers/bridge.h"

#include <sys/socket.h>

#include <fmt/format.h>

#include <functional>
#include <random>

#include "kernel/netlink/addr.h"
#include "kernel/netlink/link.h"
#include "kernel/netlink/route.h"
#include "kernel/sysctl.h"

namespace weft::drivers {
namespace {

using core::SessionPtr;

Status CreateBridgeNow(const SessionPtr& session, const store::Network& net,
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
    if (sn.gateway.empty()) continue;
    // The store keeps text: parsed once here.
    WEFT_ASSIGN_OR_RETURN(auto subnet, IpPrefix::Parse(sn.cidr));
    WEFT_ASSIGN_OR_RETURN(auto gateway, IpAddress::Parse(sn.gateway));
    WEFT_ASSIGN_OR_RETURN(auto address, IpPrefix::Interface(gateway, subnet.length()));
    WEFT_RETURN_IF_ERROR(netlink::AddAddress(*sock, net.bridge, address, true));
  }
  WEFT_RETURN_IF_ERROR(netlink::SetLinkUp(*sock, net.bridge, true));
  // Published ports reached as 127.0.0.1 are DNATed out of this bridge; the
  // kernel drops such packets as martians unless route_localnet is on.
  return kernel::WriteSysctl("net.ipv4.conf." + net.bridge + ".route_localnet", "1");
}

Status DeleteLinkNow(const SessionPtr& session, const std::string& name) {
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
    if (sn.gateway.empty()) continue;
    bool v6 = sn.gateway.find(':') != std::string::npos;
    e += fmt::format("ip addr add {}{} dev {}{}\n", sn.gateway, sn.cidr.substr(sn.cidr.find('/')),
                     net.bridge, v6 ? " nodad" : "");
  }
  e += "ip link set " + net.bridge + " up\n";
  e += "sysctl -w net.ipv4.conf." + net.bridge + ".route_localnet=1";
  return e;
}

Status AttachNow(const SessionPtr& session, const Attachment& a) {
  WEFT_ASSIGN_OR_RETURN(auto* host, session->Host());
  netlink::VethSpec spec;
  if (!a.handoff) {
    WEFT_ASSIGN_OR_RETURN(spec.peer_netns_fd, session->NetnsFd(a.netns_path));
  }
  spec.name = a.host_ifname;
  spec.peer_name = a.ifname;
  spec.peer_mac = a.mac;
  spec.mtu = a.mtu;
  spec.alias = a.tag;
  spec.master = a.bridge;
  spec.up = true;
  WEFT_RETURN_IF_ERROR(netlink::CreateVeth(*host, spec));
  // A container reaching its own published port is DNATed back to the port
  // it came from; with the kernel's bridge netfilter that takes hairpin mode.
  Status s = netlink::SetBridgePortHairpin(*host, a.host_ifname, true);
  if (!s.ok()) {
    netlink::DeleteLink(*host, a.host_ifname).IgnoreError();
    return s;
  }
  return Status::Ok();
}

Status ConfigureNow(const SessionPtr& session, const Attachment& a) {
  WEFT_ASSIGN_OR_RETURN(auto* sock, session->In(a.netns_path));
  WEFT_RETURN_IF_ERROR(netlink::SetLinkUp(*sock, a.ifname, true));
  // The attachment keeps text: parsed once here.
  for (const std::string* cidr : {&a.ipv4_cidr, &a.ipv6_cidr}) {
    if (cidr->empty()) continue;
    WEFT_ASSIGN_OR_RETURN(auto address, IpPrefix::ParseInterface(*cidr));
    WEFT_RETURN_IF_ERROR(netlink::AddAddress(*sock, a.ifname, address, true));
  }
  if (a.default_route) {
    if (!a.gateway4.empty() && !a.ipv4_cidr.empty()) {
      WEFT_ASSIGN_OR_RETURN(auto gw, IpAddress::Parse(a.gateway4));
      WEFT_RETURN_IF_ERROR(netlink::AddRoute(*sock, {AF_INET, std::nullopt, gw, a.ifname}));
    }
    if (!a.gateway6.empty() && !a.ipv6_cidr.empty()) {
      WEFT_ASSIGN_OR_RETURN(auto gw, IpAddress::Parse(a.gateway6));
      WEFT_RETURN_IF_ERROR(netlink::AddRoute(*sock, {AF_INET6, std::nullopt, gw, a.ifname}));
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
  e += fmt::format("ip link set {} master {} up\n", a.host_ifname, a.bridge);
  e += fmt::format("bridge link set dev {} hairpin on", a.host_ifname);
  return e;
}

std::string ConfigureExplain(const Attachment& a) {
  std::string p = "ip -n " + a.netns_name;
  std::string e = fmt::format("{} link set {} up\n", p, a.ifname);
  if (!a.ipv4_cidr.empty()) e += fmt::format("{} addr add {} dev {}\n", p, a.ipv4_cidr, a.ifname);
  if (!a.ipv6_cidr.empty()) {
    e += fmt::format("{} addr add {} dev {} nodad\n", p, a.ipv6_cidr, a.ifname);
  }
  if (a.default_route && !a.gateway4.empty() && !a.ipv4_cidr.empty()) {
    e += fmt::format("{} route add default via {} dev {}\n", p, a.gateway4, a.ifname);
  }
  if (a.default_route && !a.gateway6.empty() && !a.ipv6_cidr.empty()) {
    e += fmt::format("{} -6 route add default via {} dev {}\n", p, a.gateway6, a.ifname);
  }
  e.pop_back();
  return e;
}

}  // namespace

std::string RandomMac() {
  std::random_device rd;
  std::uniform_int_distribution<int> byte(0, 255);
  return fmt::format("02:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", byte(rd), byte(rd), byte(rd),
                     byte(rd), byte(rd));
}

namespace {
// FNV-1a: stable across runs and builds (std::hash is not guaranteed to be).
uint32_t NameHash(const std::string& container, const std::string& network) {
  uint32_t h = 2166136261u;
  for (char c : container + '\0' + network) {
    h ^= static_cast<uint8_t>(c);
    h *= 16777619u;
  }
  return h;
}
}  // namespace

std::string HostIfname(const std::string& container, const std::string& network) {
  return fmt::format("veth{:08x}", NameHash(container, network));
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
    std::string len = sn.cidr.substr(sn.cidr.find('/'));
    bool v6 = sn.cidr.find(':') != std::string::npos;
    if (!v6 && !ep.ipv4.empty()) {
      a.ipv4_cidr = ep.ipv4 + len;
      a.gateway4 = sn.gateway;
    }
    if (v6 && !ep.ipv6.empty()) {
      a.ipv6_cidr = ep.ipv6 + len;
      a.gateway6 = sn.gateway;
    }
  }
  return a;
}

void PlanBridgeCreate(core::Plan& plan, core::SessionPtr session, const store::Network& net) {
  std::string mac = RandomMac();
  plan.Add({"create-bridge", BridgeExplain(net, mac),
            [=] { return CreateBridgeNow(session, net, mac); },
            [=] { return DeleteLinkNow(session, net.bridge); }});
}

void PlanBridgeDelete(core::Plan& plan, core::SessionPtr session, const store::Network& net) {
  std::string mac = RandomMac();
  plan.Add({"delete-bridge", "ip link delete " + net.bridge,
            [=] { return DeleteLinkNow(session, net.bridge); },
            [=] { return CreateBridgeNow(session, net, mac); }});
}

void PlanAttach(core::Plan& plan, core::SessionPtr session, const Attachment& a) {
  plan.Add({"create-veth", AttachExplain(a), [=] { return AttachNow(session, a); },
            [=] { return DeleteLinkNow(session, a.host_ifname); }});
  if (a.handoff) return;  // the runtime configures the inner end
  // Undo is the veth's: deleting the pair removes the inner end's config.
  plan.Add({"configure-interface", ConfigureExplain(a), [=] { return ConfigureNow(session, a); },
            nullptr});
}

void PlanDetach(core::Plan& plan, core::SessionPtr session, const Attachment& a) {
  plan.Add({"delete-veth", "ip link delete " + a.host_ifname,
            [=] { return DeleteLinkNow(session, a.host_ifname); },
            [=] {
              WEFT_RETURN_IF_ERROR(AttachNow(session, a));
              return a.handoff ? Status::Ok() : ConfigureNow(session, a);
            }});
}

}  // namespace weft::drivers
