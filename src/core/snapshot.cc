#include "core/snapshot.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "core/cluster_services.h"

namespace weft::core {

const store::Network* Snapshot::FindNetwork(const std::string& name) const {
  for (const auto& n : networks) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

const store::Container* Snapshot::FindContainer(const std::string& name) const {
  for (const auto& c : containers) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const store::Service* Snapshot::FindService(const std::string& name) const {
  for (const auto& s : services) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::vector<IpAddress> Snapshot::UsedAddresses(const std::string& network) const {
  std::vector<IpAddress> out;
  for (const auto& s : services) {
    if (s.network == network && s.vip) out.push_back(*s.vip);
  }
  for (const auto& c : containers) {
    for (const auto& e : c.endpoints) {
      if (e.network != network) continue;
      if (e.ipv4) out.push_back(*e.ipv4);
      if (e.ipv6) out.push_back(*e.ipv6);
    }
  }
  return out;
}

void SortEndpoints(store::Container& c) {
  // eth0, eth1, ..., eth10: the first is the one with the default route.
  auto index = [](const store::Endpoint& e) {
    return e.ifname.size() > 3 ? std::atoi(e.ifname.c_str() + 3) : 0;
  };
  std::sort(
      c.endpoints.begin(), c.endpoints.end(),
      [&](const store::Endpoint& a, const store::Endpoint& b) { return index(a) < index(b); });
}

Result<Snapshot> ReadSnapshot(store::Store& store) {
  Snapshot snap;
  WEFT_RETURN_IF_ERROR(store.View([&](store::Tx& tx) -> Status {
    WEFT_ASSIGN_OR_RETURN(snap.networks, tx.ListNetworks());
    WEFT_ASSIGN_OR_RETURN(snap.containers, tx.ListContainers());
    WEFT_ASSIGN_OR_RETURN(snap.services, tx.ListServices());
    // Cluster services' backends on other nodes (cluster_services.h).
    const bool cluster = std::any_of(snap.services.begin(), snap.services.end(),
                                     [](const store::Service& s) { return !s.scope.empty(); });
    if (cluster) {
      WEFT_ASSIGN_OR_RETURN(auto remote, ReadRemoteBackends(tx));
      MergeRemoteBackends(snap.services, remote);
    }
    return Status::Ok();
  }));
  for (auto& c : snap.containers) SortEndpoints(c);
  return snap;
}

Result<Snapshot> ReadServiceSnapshot(store::Store& store, const std::string& service,
                                     const std::vector<std::string>& containers) {
  Snapshot snap;
  snap.scope = "service " + service;
  WEFT_RETURN_IF_ERROR(store.View([&](store::Tx& tx) -> Status {
    WEFT_ASSIGN_OR_RETURN(snap.networks, tx.ListNetworks());
    WEFT_ASSIGN_OR_RETURN(auto found, tx.GetService(service));
    if (!found) return Status::Ok();
    snap.services.push_back(std::move(*found));
    if (!snap.services.front().scope.empty()) {
      WEFT_ASSIGN_OR_RETURN(auto remote, ReadRemoteBackends(tx));
      MergeRemoteBackends(snap.services, remote);
    }
    std::set<std::string> names(containers.begin(), containers.end());
    for (const auto& b : snap.services.front().backends) names.insert(b.container);
    for (const auto& name : names) {
      WEFT_ASSIGN_OR_RETURN(auto c, tx.GetContainer(name));
      if (c) snap.containers.push_back(std::move(*c));
    }
    return Status::Ok();
  }));
  for (auto& c : snap.containers) SortEndpoints(c);
  return snap;
}

Status LoadAll(Context& ctx, std::vector<store::Network>* networks,
               std::vector<store::Container>* containers) {
  WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
  WEFT_ASSIGN_OR_RETURN(Snapshot snap, ReadSnapshot(*store));
  *networks = std::move(snap.networks);
  *containers = std::move(snap.containers);
  return Status::Ok();
}

}  // namespace weft::core
