#pragma once

// The rules every store backend keeps, written once, above the backends:
// an address is held by one endpoint per network, a host port by one
// container (wildcard host addresses overlapping), a network in use is not
// deleted, and an endpoint or port needs its container (and network). The
// error texts are part of weft's interface (tests and users grep for them).
//
// A backend derives its Tx from RuledTx: it implements the reads and the
// plain row writes (Write*/Erase*, which check nothing), and RuledTx's
// PutEndpoint/PutPort/DeleteNetwork check the rules through the backend's
// own reads in the same transaction, so they hold under concurrency as far
// as the backend's transactions are serializable.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/text.h"
#include "store/store.h"

namespace weft::store {

// Whether two host_ip values of a port mapping share an address: equal, or
// one is a wildcard covering the other (none covers every address, 0.0.0.0
// every IPv4 address, :: every IPv6 address).
bool HostIpsOverlap(const std::optional<IpAddress>& a, const std::optional<IpAddress>& b);

// OK unless another container's endpoint in `on_network` (the endpoints of
// endpoint.network) holds endpoint's ipv4 or ipv6: kAlreadyExists `address
// 10.0.0.5 is already in use on network "n" (by "c2")`.
Status CheckAddressesFree(const Endpoint& endpoint, const std::vector<Endpoint>& on_network);

// OK unless a row of `same_port` (the mappings with mapping's protocol and
// host port, sorted by container and host_ip) overlaps `mapping` and is not
// container's own row for the same host_ip: kAlreadyExists `host port
// 8080/tcp is already in use by container "c1" (on 10.0.0.1)` ("on all
// addresses" for "").
Status CheckHostPortFree(std::string_view container, const PortMapping& mapping,
                         const std::vector<std::pair<std::string, PortMapping>>& same_port);

// OK unless endpoints (a network's) exist: kFailedPrecondition `network "n"
// is in use by containers "c1", "c2"`; or services on it: `network "n" has
// services "web"`.
Status CheckNetworkUnused(std::string_view network, const std::vector<Endpoint>& endpoints,
                          const std::vector<Service>& services);

// OK unless `address` on `network` is the VIP of a service other than
// `except`: kAlreadyExists `address 10.0.0.5 is already in use on network
// "n" (by service "web")`.
Status CheckNotAVip(std::string_view network, const IpAddress& address,
                    const std::vector<Service>& services, std::string_view except = "");

class RuledTx : public Tx {
 public:
  explicit RuledTx(bool writable) : writable_(writable) {}

  Status PutEndpoint(const Endpoint& endpoint) final;
  Status PutPort(std::string_view container, const PortMapping& mapping) final;
  Status DeleteNetwork(std::string_view name) final;
  Status PutService(const Service& service) final;
  Status PutBackend(std::string_view service, const Backend& backend) final;

 protected:
  // kFailedPrecondition in a read-only transaction (Store::View).
  Status CheckWritable() const;

  // Plain row writes, called once the rules hold and CheckWritable passed.
  // Insert or replace the endpoint keyed by (container, network).
  virtual Status WriteEndpoint(const Endpoint& endpoint) = 0;
  // Insert or replace the row keyed by (protocol, host_ip, host_port).
  virtual Status WritePort(std::string_view container, const PortMapping& mapping) = 0;
  // Delete the network row; kNotFound `network "n" not found` if absent.
  virtual Status EraseNetwork(std::string_view name) = 0;
  // Insert or replace the service row (not its backends).
  virtual Status WriteService(const Service& service) = 0;
  // Insert or replace the backend keyed by (service, backend.container).
  virtual Status WriteBackend(std::string_view service, const Backend& backend) = 0;
  // Cheap existence checks (no endpoints or ports read).
  virtual Result<bool> HasContainer(std::string_view name) = 0;
  virtual Result<bool> HasNetwork(std::string_view name) = 0;
  // The rules' scoped reads (a lookup, not the whole network): the
  // endpoints of `network` holding `address` as their ipv4 or ipv6, and the
  // services of `network` whose VIP it is (name, network and vip filled).
  virtual Result<std::vector<Endpoint>> EndpointsHolding(std::string_view network,
                                                         const IpAddress& address) = 0;
  virtual Result<std::vector<Service>> ServicesWithVip(std::string_view network,
                                                       const IpAddress& vip) = 0;

 private:
  // kNotFound `container "c" not found` unless it exists.
  Status CheckContainerExists(std::string_view name);

  bool writable_;
};

}  // namespace weft::store
