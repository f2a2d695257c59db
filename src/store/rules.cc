#include "store/rules.h"

#include "base/ip.h"

namespace weft::store {

bool HostIpsOverlap(const std::optional<IpAddress>& a, const std::optional<IpAddress>& b) {
  if (!a || !b || *a == *b) return true;
  if (a->family() != b->family()) return false;
  const IpAddress any = IpAddress::Any(a->family());
  return *a == any || *b == any;
}

Status CheckAddressesFree(const Endpoint& e, const std::vector<Endpoint>& on_network) {
  for (auto field : {&Endpoint::ipv4, &Endpoint::ipv6}) {
    const std::optional<IpAddress>& address = e.*field;
    if (!address) continue;
    for (const Endpoint& other : on_network) {
      if (other.container == e.container || other.network != e.network) continue;
      if (other.*field != address) continue;
      return AlreadyExists("address " + address->ToString() + " is already in use on network " +
                           Quote(e.network) + " (by " + Quote(other.container) + ")");
    }
  }
  return Status::Ok();
}

Status CheckHostPortFree(std::string_view container, const PortMapping& m,
                         const std::vector<std::pair<std::string, PortMapping>>& same_port) {
  for (const auto& [owner, taken] : same_port) {
    if (taken.protocol != m.protocol || taken.host_port != m.host_port) continue;
    if (owner == container && taken.host_ip == m.host_ip) continue;  // replaced
    if (!HostIpsOverlap(taken.host_ip, m.host_ip)) continue;
    return AlreadyExists("host port " + std::to_string(m.host_port) + "/" + m.protocol +
                         " is already in use by container " + Quote(owner) + " (on " +
                         (taken.host_ip ? taken.host_ip->ToString() : "all addresses") + ")");
  }
  return Status::Ok();
}

Status CheckNetworkUnused(std::string_view network, const std::vector<Endpoint>& endpoints,
                          const std::vector<Service>& services) {
  std::string containers;
  for (const Endpoint& e : endpoints) {
    containers += (containers.empty() ? "" : ", ") + Quote(e.container);
  }
  if (!containers.empty()) {
    return FailedPrecondition("network " + Quote(network) + " is in use by containers " +
                              containers);
  }
  std::string names;
  for (const Service& s : services) {
    if (s.network == network) names += (names.empty() ? "" : ", ") + Quote(s.name);
  }
  if (names.empty()) return Status::Ok();
  return FailedPrecondition("network " + Quote(network) + " has services " + names);
}

Status CheckNotAVip(std::string_view network, const IpAddress& address,
                    const std::vector<Service>& services, std::string_view except) {
  for (const Service& s : services) {
    if (s.network != network || s.name == except || s.vip != address) continue;
    return AlreadyExists("address " + address.ToString() + " is already in use on network " +
                         Quote(network) + " (by service " + Quote(s.name) + ")");
  }
  return Status::Ok();
}

Status RuledTx::CheckWritable() const {
  if (writable_) return Status::Ok();
  return FailedPrecondition("write in a read-only transaction (Store::View)");
}

Status RuledTx::CheckContainerExists(std::string_view name) {
  WEFT_ASSIGN_OR_RETURN(bool found, HasContainer(name));
  if (found) return Status::Ok();
  return NotFound("container " + Quote(name) + " not found");
}

Status RuledTx::PutEndpoint(const Endpoint& e) {
  WEFT_RETURN_IF_ERROR(CheckWritable());
  WEFT_RETURN_IF_ERROR(CheckContainerExists(e.container));
  WEFT_ASSIGN_OR_RETURN(bool network, HasNetwork(e.network));
  if (!network) return NotFound("network " + Quote(e.network) + " not found");
  for (const std::optional<IpAddress>* a : {&e.ipv4, &e.ipv6}) {
    if (!*a) continue;
    WEFT_ASSIGN_OR_RETURN(auto holders, EndpointsHolding(e.network, **a));
    WEFT_RETURN_IF_ERROR(CheckAddressesFree(e, holders));
    WEFT_ASSIGN_OR_RETURN(auto services, ServicesWithVip(e.network, **a));
    WEFT_RETURN_IF_ERROR(CheckNotAVip(e.network, **a, services));
  }
  return WriteEndpoint(e);
}

Status RuledTx::PutPort(std::string_view container, const PortMapping& m) {
  WEFT_RETURN_IF_ERROR(CheckWritable());
  WEFT_RETURN_IF_ERROR(CheckContainerExists(container));
  WEFT_ASSIGN_OR_RETURN(auto same_port, ListPorts(m.protocol, m.host_port));
  WEFT_RETURN_IF_ERROR(CheckHostPortFree(container, m, same_port));
  return WritePort(container, m);
}

Status RuledTx::DeleteNetwork(std::string_view name) {
  WEFT_RETURN_IF_ERROR(CheckWritable());
  WEFT_ASSIGN_OR_RETURN(auto endpoints, ListEndpoints(name));
  WEFT_ASSIGN_OR_RETURN(auto services, ListServices());
  WEFT_RETURN_IF_ERROR(CheckNetworkUnused(name, endpoints, services));
  return EraseNetwork(name);
}

Status RuledTx::PutService(const Service& s) {
  WEFT_RETURN_IF_ERROR(CheckWritable());
  WEFT_ASSIGN_OR_RETURN(bool network, HasNetwork(s.network));
  if (!network) return NotFound("network " + Quote(s.network) + " not found");
  if (s.vip) {
    const IpAddress& vip = *s.vip;
    WEFT_ASSIGN_OR_RETURN(auto services, ServicesWithVip(s.network, vip));
    WEFT_RETURN_IF_ERROR(CheckNotAVip(s.network, vip, services, s.name));
    WEFT_ASSIGN_OR_RETURN(auto holders, EndpointsHolding(s.network, vip));
    for (const Endpoint& e : holders) {
      if (e.ipv4 != vip && e.ipv6 != vip) continue;
      return AlreadyExists("address " + vip.ToString() + " is already in use on network " +
                           Quote(s.network) + " (by " + Quote(e.container) + ")");
    }
  }
  return WriteService(s);
}

Status RuledTx::PutBackend(std::string_view service, const Backend& b) {
  WEFT_RETURN_IF_ERROR(CheckWritable());
  WEFT_RETURN_IF_ERROR(CheckContainerExists(b.container));
  WEFT_ASSIGN_OR_RETURN(auto found, GetService(service));
  if (!found) return NotFound("service " + Quote(service) + " not found");
  return WriteBackend(service, b);
}

}  // namespace weft::store
