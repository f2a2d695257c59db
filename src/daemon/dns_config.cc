#include "daemon/dns_config.h"

#include <algorithm>
#include <set>

#include "base/ip.h"
#include "core/service_ops.h"
#include "drivers/driver.h"

namespace weft::daemon {

DnsConfig BuildDnsConfig(const std::vector<store::Network>& networks,
                         const std::vector<store::Container>& containers,
                         const std::vector<store::Service>& services,
                         const std::vector<dns::ServerAddress>& host_upstreams) {
  DnsConfig out;
  std::set<std::string> gateways;  // canonical text
  for (const auto& n : networks) {
    for (const auto& s : n.subnets) {
      if (s.gateway) gateways.insert(s.gateway->Unmapped().ToString());
    }
  }
  auto is_gateway = [&](const dns::ServerAddress& a) {
    auto ip = IpAddress::Parse(a.ip);
    return ip.ok() && gateways.count(ip->Unmapped().ToString()) != 0;
  };

  std::set<std::string> served;
  for (const auto& n : networks) {
    if (!drivers::ServesDns(n)) continue;
    NetworkDns d;
    d.network = n.name;
    d.bridge = n.bridge;
    for (const auto& s : n.subnets) {
      if (s.gateway) d.gateways.push_back(s.gateway->ToString());
    }
    if (d.gateways.empty()) continue;
    d.forward = !n.internal;
    if (d.forward) {
      std::vector<dns::ServerAddress> from;
      if (n.dns.empty()) {
        from = host_upstreams;
      } else {
        for (const auto& server : n.dns) {
          from.push_back({server.ToString(), 53});
        }
      }
      for (const auto& a : from) {
        if (!is_gateway(a)) d.upstreams.push_back(a);
      }
    }
    served.insert(n.name);
    out.networks.push_back(std::move(d));
  }
  std::sort(out.networks.begin(), out.networks.end(),
            [](const NetworkDns& a, const NetworkDns& b) { return a.network < b.network; });

  for (const auto& c : containers) {
    for (const auto& e : c.endpoints) {
      if (!served.count(e.network)) continue;
      dns::Endpoint ep;
      ep.container = c.name;
      ep.network = e.network;
      ep.names.push_back(c.name);
      for (const auto& a : e.aliases) {
        if (std::find(ep.names.begin(), ep.names.end(), a) == ep.names.end()) ep.names.push_back(a);
      }
      ep.ipv4 = TextOf(e.ipv4);
      ep.ipv6 = TextOf(e.ipv6);
      out.endpoints.push_back(std::move(ep));
    }
  }
  for (const auto& s : services) {
    if (!served.count(s.network)) continue;
    auto add = [&](const std::string& address) {
      dns::Endpoint ep;
      ep.container = s.name;
      ep.network = s.network;
      ep.names.push_back(s.name);
      (FamilyOfText(address) == AF_INET6 ? ep.ipv6 : ep.ipv4) = address;
      out.endpoints.push_back(std::move(ep));
    };
    if (!s.dns_rr) {
      if (s.vip) add(s.vip->ToString());
      continue;
    }
    for (const auto& b : s.backends) {
      if (!core::InRotation(s, b)) continue;
      auto address = core::BackendAddress(s, containers, b.container);
      if (address) add(address->ToString());
    }
  }
  std::sort(out.endpoints.begin(), out.endpoints.end(),
            [](const dns::Endpoint& a, const dns::Endpoint& b) {
              return std::tie(a.network, a.container) < std::tie(b.network, b.container);
            });
  return out;
}

}  // namespace weft::daemon
