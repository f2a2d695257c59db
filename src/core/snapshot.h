#pragma once

// The store's picture for planning, read in one transaction: every network
// and container, endpoints in interface order.

#include <string>
#include <vector>

#include "base/result.h"
#include "core/context.h"
#include "store/model.h"
#include "store/store.h"

namespace weft::core {

struct Snapshot {
  std::vector<store::Network> networks;
  std::vector<store::Container> containers;
  std::vector<store::Service> services;  // with their backends
  // Empty: the whole store. Otherwise what was read (ReadServiceSnapshot),
  // and a planner must not take the rest for absent.
  std::string scope;

  // nullptr when absent.
  const store::Network* FindNetwork(const std::string& name) const;
  const store::Container* FindContainer(const std::string& name) const;
  const store::Service* FindService(const std::string& name) const;
  // The addresses leased on `network` (IPv4 and IPv6) and its services'
  // VIPs, as the store's UsedAddresses reads them.
  std::vector<IpAddress> UsedAddresses(const std::string& network) const;
};

// Orders a container's endpoints by interface (eth0 first).
void SortEndpoints(store::Container& c);

// One read transaction. Fails as the store's reads do.
Result<Snapshot> ReadSnapshot(store::Store& store);

// What a change of one service's backends needs, in one read transaction:
// every network, the service `service` (none if absent) with its backends
// (a cluster service's on other nodes too), and the containers that back it
// or are named in `containers` (those that exist). Its scope is
// "service NAME".
Result<Snapshot> ReadServiceSnapshot(store::Store& store, const std::string& service,
                                     const std::vector<std::string>& containers);

// Every network and container in the store, endpoints in interface order
// (ReadSnapshot's, for the read-only commands).
Status LoadAll(Context& ctx, std::vector<store::Network>* networks,
               std::vector<store::Container>* containers);

}  // namespace weft::core
