#include "store/memory_store.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>

#include "store/node.h"
#include "store/rules.h"
#include "store/tx_gate.h"

namespace weft::store {
namespace {

using PortKey = std::tuple<std::string, std::string, uint16_t>;  // protocol, host_ip, port

// Everything a memory store holds. Containers are kept without their
// endpoints and ports, endpoints without their node: both are joined in on
// reads, as the SQLite backend does.
struct MemoryState {
  std::map<std::string, Network, std::less<>> networks;
  std::map<std::string, Container, std::less<>> containers;
  std::map<std::pair<std::string, std::string>, Endpoint> endpoints;  // (container, network)
  std::map<PortKey, std::pair<std::string, uint16_t>> ports;  // -> (container, container_port)
  std::map<std::string, std::string, std::less<>> meta;
  std::map<std::string, Service, std::less<>> services;             // without backends
  std::map<std::pair<std::string, std::string>, Backend> backends;  // (service, container)
};

std::pair<std::string, PortMapping> PortRow(const PortKey& key,
                                            const std::pair<std::string, uint16_t>& value) {
  const auto& [protocol, host_ip, host_port] = key;
  // Keys keep the text (written by TextOf): rows sort as SQLite's do.
  auto ip = ParseOptionalAddress(host_ip);
  return {value.first,
          PortMapping{protocol, ip.ok() ? *ip : std::nullopt, host_port, value.second}};
}

class MemoryTx final : public RuledTx {
 public:
  // A View passes the committed state itself, an Update a copy.
  MemoryTx(MemoryState& state, bool writable, const std::string& node)
      : RuledTx(writable), s_(state), node_(node) {}

  Result<std::optional<Network>> GetNetwork(std::string_view name) override {
    auto it = s_.networks.find(name);
    if (it == s_.networks.end()) return std::optional<Network>();
    return std::optional<Network>(it->second);
  }

  Result<std::vector<Network>> ListNetworks() override {
    std::vector<Network> out;
    for (const auto& [name, n] : s_.networks) out.push_back(n);
    return out;
  }

  Status PutNetwork(const Network& n) override {
    WEFT_RETURN_IF_ERROR(CheckWritable());
    s_.networks[n.name] = n;
    return Status::Ok();
  }

  Result<std::optional<Container>> GetContainer(std::string_view name) override {
    auto it = s_.containers.find(name);
    if (it == s_.containers.end()) return std::optional<Container>();
    return std::optional<Container>(Filled(it->second));
  }

  Result<std::vector<Container>> ListContainers() override {
    std::vector<Container> out;
    for (const auto& [name, c] : s_.containers) out.push_back(Filled(c));
    return out;
  }

  Result<std::vector<Container>> ListContainers(std::string_view node) override {
    std::vector<Container> out;
    for (const auto& [name, c] : s_.containers) {
      if (c.node == node) out.push_back(Filled(c));
    }
    return out;
  }

  Status PutContainer(const Container& c) override {
    WEFT_RETURN_IF_ERROR(CheckWritable());
    Container row = c;
    if (row.node.empty()) row.node = node_;
    WEFT_RETURN_IF_ERROR(CheckNodeName(row.node));
    row.endpoints.clear();
    row.ports.clear();
    s_.containers[row.name] = std::move(row);
    return Status::Ok();
  }

  Status DeleteContainer(std::string_view name) override {
    WEFT_RETURN_IF_ERROR(CheckWritable());
    auto it = s_.containers.find(name);
    if (it == s_.containers.end()) return NotFound("container " + Quote(name) + " not found");
    s_.containers.erase(it);
    std::erase_if(s_.endpoints, [&](const auto& kv) { return kv.first.first == name; });
    std::erase_if(s_.ports, [&](const auto& kv) { return kv.second.first == name; });
    std::erase_if(s_.backends, [&](const auto& kv) { return kv.first.second == name; });
    return Status::Ok();
  }

  Status DeleteEndpoint(std::string_view container, std::string_view network) override {
    WEFT_RETURN_IF_ERROR(CheckWritable());
    if (s_.endpoints.erase({std::string(container), std::string(network)}) == 0) {
      return NotFound("container " + Quote(container) + " has no endpoint on network " +
                      Quote(network));
    }
    return Status::Ok();
  }

  Result<std::vector<Endpoint>> ListEndpoints(std::string_view network) override {
    std::vector<Endpoint> out;  // (container, network) order: sorted by container
    for (const auto& [key, e] : s_.endpoints) {
      if (key.second == network) out.push_back(WithNode(e));
    }
    return out;
  }

  Result<std::vector<IpAddress>> UsedAddresses(std::string_view network) override {
    std::vector<IpAddress> out;
    for (const auto& [key, e] : s_.endpoints) {
      if (key.second != network) continue;
      if (e.ipv4) out.push_back(*e.ipv4);
      if (e.ipv6) out.push_back(*e.ipv6);
    }
    for (const auto& [name, svc] : s_.services) {
      if (svc.network == network && svc.vip) out.push_back(*svc.vip);
    }
    return out;
  }

  Result<std::optional<Service>> GetService(std::string_view name) override {
    auto it = s_.services.find(name);
    if (it == s_.services.end()) return std::optional<Service>();
    return std::optional<Service>(WithBackends(it->second));
  }

  Result<std::vector<Service>> ListServices() override {
    std::vector<Service> out;
    for (const auto& [name, svc] : s_.services) out.push_back(WithBackends(svc));
    return out;
  }

  Status DeleteService(std::string_view name) override {
    WEFT_RETURN_IF_ERROR(CheckWritable());
    auto it = s_.services.find(name);
    if (it == s_.services.end()) return NotFound("service " + Quote(name) + " not found");
    s_.services.erase(it);
    std::erase_if(s_.backends, [&](const auto& kv) { return kv.first.first == name; });
    return Status::Ok();
  }

  Status DeleteBackend(std::string_view service, std::string_view container) override {
    WEFT_RETURN_IF_ERROR(CheckWritable());
    if (s_.backends.erase({std::string(service), std::string(container)}) == 0) {
      return NotFound("service " + Quote(service) + " has no backend " + Quote(container));
    }
    return Status::Ok();
  }

  Status DeletePorts(std::string_view container) override {
    WEFT_RETURN_IF_ERROR(CheckWritable());
    std::erase_if(s_.ports, [&](const auto& kv) { return kv.second.first == container; });
    return Status::Ok();
  }

  Result<std::vector<std::pair<std::string, PortMapping>>> ListPorts() override {
    std::vector<std::pair<std::string, PortMapping>> out;
    for (const auto& [key, value] : s_.ports) out.push_back(PortRow(key, value));
    SortByContainer(out);
    return out;
  }

  Result<std::vector<std::pair<std::string, PortMapping>>> ListPorts(std::string_view protocol,
                                                                     uint16_t host_port) override {
    std::vector<std::pair<std::string, PortMapping>> out;
    for (const auto& [key, value] : s_.ports) {
      if (std::get<0>(key) == protocol && std::get<2>(key) == host_port) {
        out.push_back(PortRow(key, value));
      }
    }
    SortByContainer(out);
    return out;
  }

  Result<std::optional<std::string>> GetMeta(std::string_view key) override {
    auto it = s_.meta.find(key);
    if (it == s_.meta.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  Status PutMeta(std::string_view key, std::string_view value) override {
    WEFT_RETURN_IF_ERROR(CheckWritable());
    s_.meta[std::string(key)] = std::string(value);
    return Status::Ok();
  }

 protected:
  Status WriteEndpoint(const Endpoint& e) override {
    Endpoint row = e;
    row.node.clear();
    s_.endpoints[{e.container, e.network}] = std::move(row);
    return Status::Ok();
  }

  Status WritePort(std::string_view container, const PortMapping& m) override {
    s_.ports[{m.protocol, TextOf(m.host_ip), m.host_port}] = {std::string(container),
                                                              m.container_port};
    return Status::Ok();
  }

  Status EraseNetwork(std::string_view name) override {
    auto it = s_.networks.find(name);
    if (it == s_.networks.end()) return NotFound("network " + Quote(name) + " not found");
    s_.networks.erase(it);
    return Status::Ok();
  }

  Status WriteService(const Service& svc) override {
    Service row = svc;
    row.backends.clear();
    s_.services[row.name] = std::move(row);
    return Status::Ok();
  }

  Status WriteBackend(std::string_view service, const Backend& b) override {
    s_.backends[{std::string(service), b.container}] = b;
    return Status::Ok();
  }

  Result<bool> HasContainer(std::string_view name) override {
    return s_.containers.find(name) != s_.containers.end();
  }
  Result<bool> HasNetwork(std::string_view name) override {
    return s_.networks.find(name) != s_.networks.end();
  }
  Result<std::vector<Endpoint>> EndpointsHolding(std::string_view network,
                                                 const IpAddress& address) override {
    std::vector<Endpoint> out;
    for (const auto& [key, e] : s_.endpoints) {
      if (key.second == network && (e.ipv4 == address || e.ipv6 == address)) {
        out.push_back(WithNode(e));
      }
    }
    return out;
  }
  Result<std::vector<Service>> ServicesWithVip(std::string_view network,
                                               const IpAddress& vip) override {
    std::vector<Service> out;
    for (const auto& [name, svc] : s_.services) {
      if (svc.network != network || svc.vip != vip) continue;
      Service s;
      s.name = svc.name;
      s.network = svc.network;
      s.vip = svc.vip;
      out.push_back(std::move(s));
    }
    return out;
  }

 private:
  // Port rows in ListPorts order: by container, then (protocol, host_ip,
  // host_port), which the map's key order already gives within a container.
  static void SortByContainer(std::vector<std::pair<std::string, PortMapping>>& rows) {
    std::stable_sort(rows.begin(), rows.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
  }

  Service WithBackends(const Service& svc) const {
    Service out = svc;
    for (auto it = s_.backends.lower_bound({svc.name, ""});
         it != s_.backends.end() && it->first.first == svc.name; ++it) {
      out.backends.push_back(it->second);
    }
    return out;
  }

  Endpoint WithNode(const Endpoint& e) const {
    Endpoint out = e;
    auto c = s_.containers.find(e.container);
    if (c != s_.containers.end()) out.node = c->second.node;
    return out;
  }

  // The container with its endpoints (by network) and ports (by protocol,
  // host_ip, host_port).
  Container Filled(const Container& c) const {
    Container out = c;
    for (auto it = s_.endpoints.lower_bound({c.name, ""});
         it != s_.endpoints.end() && it->first.first == c.name; ++it) {
      Endpoint e = it->second;
      e.node = c.node;
      out.endpoints.push_back(std::move(e));
    }
    for (const auto& [key, value] : s_.ports) {
      if (value.first == c.name) out.ports.push_back(PortRow(key, value).second);
    }
    return out;
  }

  MemoryState& s_;
  const std::string& node_;
};

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(std::string node) : node_(std::move(node)) {}

  const std::string& node() const override { return node_; }
  Result<ChangeLock> LockForChange() override { return lock_.Acquire(); }
  Result<std::optional<ChangeLock>> TryLockForChange() override { return lock_.TryAcquire(); }

  Status Update(const std::function<Status(Tx&)>& fn) override { return Run(fn, true); }
  Status View(const std::function<Status(Tx&)>& fn) override { return Run(fn, false); }
  Result<int64_t> OthersChangeCount() override { return 0; }

 private:
  Status Run(const std::function<Status(Tx&)>& fn, bool writable) {
    return gate_.Run([&]() -> Status {
      if (!writable) {
        MemoryTx tx(state_, false, node_);
        return fn(tx);
      }
      MemoryState draft = state_;
      MemoryTx tx(draft, true, node_);
      WEFT_RETURN_IF_ERROR(fn(tx));
      state_ = std::move(draft);
      return Status::Ok();
    });
  }

  TxGate gate_;
  MemoryState state_;  // GUARDED_BY(gate_)
  const std::string node_;
  InProcessLock lock_;
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore(std::string node) {
  return std::make_unique<MemoryStore>(std::move(node));
}

}  // namespace weft::store
