#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "store/change_lock.h"
#include "store/model.h"

namespace weft::store {

// One transaction on the state store; every read and write goes through it.
// A Tx is only valid inside the Store::Update/View callback that received it
// and must not be kept or shared with other threads. In a View, every write
// fails with kFailedPrecondition.
//
// Errors common to all methods: kUnavailable when the database stays locked
// by another process past the busy timeout, kInternal for other database
// failures (including rows that no longer decode).
class Tx {
 public:
  virtual ~Tx() = default;

  virtual Result<std::optional<Network>> GetNetwork(std::string_view name) = 0;
  // Sorted by name.
  virtual Result<std::vector<Network>> ListNetworks() = 0;
  // Inserts or replaces the network, subnets, dns and labels included.
  // Replacing keeps the network's endpoints.
  virtual Status PutNetwork(const Network& network) = 0;
  // kNotFound if absent; kFailedPrecondition naming the containers if any
  // endpoint is still attached, or the services on it (delete those first).
  virtual Status DeleteNetwork(std::string_view name) = 0;

  // With endpoints and ports.
  virtual Result<std::optional<Container>> GetContainer(std::string_view name) = 0;
  // Sorted by name, with endpoints and ports: every node's.
  virtual Result<std::vector<Container>> ListContainers() = 0;
  // The same, only the containers on `node` (Container::node).
  virtual Result<std::vector<Container>> ListContainers(std::string_view node) = 0;
  // Inserts or replaces the container row only; its endpoints and ports are
  // kept and container.endpoints/ports are ignored. An empty container.node
  // places it on the store's local node (Store::node()).
  virtual Status PutContainer(const Container& container) = 0;
  // Also deletes its endpoints and ports. kNotFound if absent.
  virtual Status DeleteContainer(std::string_view name) = 0;

  // Inserts or replaces the endpoint keyed by (container, network); its node
  // is its container's (endpoint.node is ignored).
  // kNotFound if the container or the network does not exist;
  // kAlreadyExists `address 10.0.0.5 is already in use on network "n" (by
  // "c2")` if another endpoint on the network has the same ipv4 or ipv6, or
  // a service on it has that VIP.
  // The same address on different networks is fine. Addresses are compared
  // as text, so store canonical forms (ipam::IpAddress::ToString()).
  virtual Status PutEndpoint(const Endpoint& endpoint) = 0;
  // kNotFound if there is no such endpoint.
  virtual Status DeleteEndpoint(std::string_view container, std::string_view network) = 0;
  // One network's endpoints (every node's), sorted by container. Empty (not
  // kNotFound) for an unknown network.
  virtual Result<std::vector<Endpoint>> ListEndpoints(std::string_view network) = 0;
  // Every ipv4 and ipv6 address of the network's endpoints and the VIPs of
  // its services (not gateways), in no particular order.
  virtual Result<std::vector<IpAddress>> UsedAddresses(std::string_view network) = 0;

  // Records one host port of `container`. kNotFound if the container does
  // not exist. kAlreadyExists naming the owner if the host port is taken:
  // same protocol and host_port, and host_ip equal or overlapping through a
  // wildcard ("" overlaps every address, "0.0.0.0" every IPv4 address, "::"
  // every IPv6 address). Re-putting the container's own (protocol, host_ip,
  // host_port) replaces that row.
  virtual Status PutPort(std::string_view container, const PortMapping& mapping) = 0;
  // Deletes every port of the container; OK if it has none.
  virtual Status DeletePorts(std::string_view container) = 0;
  // (container, mapping), sorted by container, protocol, host_ip, host_port.
  virtual Result<std::vector<std::pair<std::string, PortMapping>>> ListPorts() = 0;
  // The same, only the rows with this protocol and host port (whatever
  // host_ip): the candidates for a conflict with a new mapping.
  virtual Result<std::vector<std::pair<std::string, PortMapping>>> ListPorts(
      std::string_view protocol, uint16_t host_port) = 0;

  // With backends. Sorted by name.
  virtual Result<std::optional<Service>> GetService(std::string_view name) = 0;
  virtual Result<std::vector<Service>> ListServices() = 0;
  // Inserts or replaces the service row (its backends are kept,
  // service.backends is ignored). kNotFound if its network does not exist;
  // kAlreadyExists if its VIP is another service's or an endpoint's address
  // on that network.
  virtual Status PutService(const Service& service) = 0;
  // Also deletes its backends. kNotFound if absent.
  virtual Status DeleteService(std::string_view name) = 0;
  // Inserts or replaces the backend keyed by (service, backend.container).
  // kNotFound if the service or the container does not exist.
  virtual Status PutBackend(std::string_view service, const Backend& backend) = 0;
  // kNotFound if there is no such backend.
  virtual Status DeleteBackend(std::string_view service, std::string_view container) = 0;

  // A small key/value table.
  virtual Result<std::optional<std::string>> GetMeta(std::string_view key) = 0;
  virtual Status PutMeta(std::string_view key, std::string_view value) = 0;

  // What identifies one boot of `node` (its boot id and weft's network
  // namespace), kept per node so that hosts sharing a store do not take
  // each other's identity for a reboot. Meta key "host_identity/<node>".
  Result<std::optional<std::string>> GetHostIdentity(std::string_view node) {
    return GetMeta(HostIdentityKey(node));
  }
  Status PutHostIdentity(std::string_view node, std::string_view identity) {
    return PutMeta(HostIdentityKey(node), identity);
  }
  static std::string HostIdentityKey(std::string_view node) {
    return "host_identity/" + std::string(node);
  }
};

// Weft's state. Implementations are safe for concurrent use by multiple
// threads (transactions are serialized) and, for SQLite, by multiple
// processes sharing the database file. Open one with store::Open (open.h).
//
// Records are cluster-scoped (networks, their subnets, address leases
// (endpoint addresses) and host ports) or host-scoped (containers, with
// their netns path, and endpoints, with their host-side veth): host-scoped
// records carry the node they live on, and a Store knows its local node.
class Store {
 public:
  virtual ~Store() = default;
  // This host's name in the store: the node PutContainer places containers
  // on by default, and the one gc and recovery look after.
  virtual const std::string& node() const = 0;
  // Takes the exclusive change lock, waiting for it (see ChangeLock).
  // Independent of transactions: held across many Update/View calls.
  // Not reentrant: a second LockForChange on any Store of the same database
  // waits for the first to be released, in this process too.
  virtual Result<ChangeLock> LockForChange() = 0;
  // The same without waiting: an empty optional when another holds it.
  virtual Result<std::optional<ChangeLock>> TryLockForChange() = 0;
  // Runs fn in one write transaction (SQLite: BEGIN IMMEDIATE, so writers
  // queue up front instead of failing at their first write). Commits if fn
  // returns OK; otherwise rolls everything back and returns fn's status.
  // REQUIRES: not called from inside another Update/View on this Store
  // (returns kFailedPrecondition if it is).
  virtual Status Update(const std::function<Status(Tx&)>& fn) = 0;
  // Runs fn in one read transaction: every read sees the same snapshot.
  // Same REQUIRES as Update.
  virtual Status View(const std::function<Status(Tx&)>& fn) = 0;
  // A number that changes whenever another Store (in this process or any
  // other) commits to the same database; commits through this Store do not
  // change it. Equal values mean nothing changed in between (SQLite:
  // PRAGMA data_version), so a reader that polls can skip re-reading.
  virtual Result<int64_t> OthersChangeCount() = 0;
};

}  // namespace weft::store
