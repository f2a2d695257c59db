#include "dns/zone.h"

#include <algorithm>

#include "dns/reverse_name.h"
#include "dns/wire.h"

namespace weft::dns {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void AddUnique(std::vector<IpAddress>* v, const IpAddress& ip) {
  if (std::find(v->begin(), v->end(), ip) == v->end()) v->push_back(ip);
}

void InsertSorted(std::vector<uint32_t>* v, uint32_t x) {
  auto it = std::lower_bound(v->begin(), v->end(), x);
  if (it == v->end() || *it != x) v->insert(it, x);
}

}  // namespace

bool Zone::Scope::Contains(uint32_t network) const {
  if (arrival_ == static_cast<int64_t>(network)) return true;
  return client_ != nullptr && std::binary_search(client_->begin(), client_->end(), network);
}

uint32_t Zone::InternNetwork(const std::string& name) {
  std::string key = Lower(name);
  auto it = network_ids_.find(key);
  if (it != network_ids_.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(network_names_.size());
  network_names_.push_back(name);
  network_ids_.emplace(std::move(key), id);
  return id;
}

void Zone::AddName(const std::string& name, uint32_t network, const std::optional<IpAddress>& v4,
                   const std::optional<IpAddress>& v6) {
  NameRecord& rec = names_[name];
  auto it = std::lower_bound(rec.by_network.begin(), rec.by_network.end(), network,
                             [](const NetAddresses& a, uint32_t n) { return a.network < n; });
  if (it == rec.by_network.end() || it->network != network) {
    it = rec.by_network.insert(it, NetAddresses{network, {}, {}});
  }
  if (v4) AddUnique(&it->v4, *v4);
  if (v6) AddUnique(&it->v6, *v6);
}

Result<std::shared_ptr<const Zone>> Zone::Build(const std::vector<Endpoint>& endpoints) {
  std::shared_ptr<Zone> zone(new Zone());
  // Client scope is per container: an address on network A also grants the
  // names of the container's other networks.
  StringMap<std::vector<uint32_t>> container_networks;
  std::unordered_map<IpAddress, std::vector<std::string>> ip_containers;
  for (const Endpoint& ep : endpoints) {
    if (ep.network.empty())
      return InvalidArgument("dns endpoint of \"" + ep.container + "\" has no network");
    std::vector<std::string> names;
    for (const std::string& n : ep.names) {
      if (!n.empty()) names.push_back(Lower(n));
    }
    if (names.empty() && !ep.container.empty()) names.push_back(Lower(ep.container));
    if (names.empty())
      return InvalidArgument("dns endpoint on network \"" + ep.network + "\" has no name");
    std::optional<IpAddress> v4, v6;
    if (!ep.ipv4.empty()) {
      auto ip = IpAddress::Parse(ep.ipv4);
      if (ip.ok()) v4 = ip->Unmapped();
      if (!v4 || !v4->is_v4()) {
        return InvalidArgument("dns endpoint \"" + ep.container + "\": invalid IPv4 address \"" +
                               ep.ipv4 + "\"");
      }
    }
    if (!ep.ipv6.empty()) {
      auto ip = IpAddress::Parse(ep.ipv6);
      if (ip.ok()) v6 = ip->Unmapped();
      if (!v6 || v6->is_v4()) {
        return InvalidArgument("dns endpoint \"" + ep.container + "\": invalid IPv6 address \"" +
                               ep.ipv6 + "\"");
      }
    }
    uint32_t net = zone->InternNetwork(ep.network);
    const std::string lower_net = Lower(ep.network);
    for (const std::string& n : names) {
      zone->AddName(n, net, v4, v6);
      zone->AddName(n + "." + lower_net, net, v4, v6);
    }
    std::string target =
        (ep.container.empty() ? ep.names.front() : ep.container) + "." + ep.network;
    const std::string& container = ep.container.empty() ? ep.names.front() : ep.container;
    InsertSorted(&container_networks[container], net);
    for (const auto& ip : {v4, v6}) {
      if (!ip) continue;
      zone->ptrs_[ReverseName(*ip)].push_back(PtrRecord{net, target});
      ip_containers[*ip].push_back(container);
    }
  }
  for (const auto& [ip, containers] : ip_containers) {
    std::vector<uint32_t>& nets = zone->client_networks_[ip];
    for (const std::string& c : containers) {
      for (uint32_t n : container_networks[c]) InsertSorted(&nets, n);
    }
  }
  return std::shared_ptr<const Zone>(std::move(zone));
}

Zone::Scope Zone::ScopeFor(std::string_view arrival_network, const IpAddress& client) const {
  Scope s;
  if (!arrival_network.empty()) {
    auto it = network_ids_.find(arrival_network);
    if (it != network_ids_.end()) s.arrival_ = it->second;
  }
  auto c = client_networks_.find(client);
  if (c != client_networks_.end()) s.client_ = &c->second;
  return s;
}

Zone::Scope Zone::ScopeOf(const std::vector<std::string>& networks,
                          std::vector<uint32_t>* storage) const {
  storage->clear();
  for (const std::string& n : networks) {
    auto it = network_ids_.find(Lower(n));
    if (it != network_ids_.end()) InsertSorted(storage, it->second);
  }
  Scope s;
  s.client_ = storage;
  return s;
}

void Zone::Find(std::string_view qname, uint16_t qtype, const Scope& scope, Answer* out) const {
  out->found_name = false;
  out->local = false;
  out->addresses.clear();
  out->ptr_target = {};

  auto name = names_.find(qname);
  if (name != names_.end()) {
    out->local = true;
    const NetAddresses* arrival = nullptr;
    for (const NetAddresses& na : name->second.by_network) {
      if (scope.arrival_ == static_cast<int64_t>(na.network)) arrival = &na;
    }
    auto take = [&](const NetAddresses& na) {
      out->found_name = true;
      if (qtype == kTypeA || qtype == kTypeAny) {
        out->addresses.insert(out->addresses.end(), na.v4.begin(), na.v4.end());
      }
      if (qtype == kTypeAaaa || qtype == kTypeAny) {
        out->addresses.insert(out->addresses.end(), na.v6.begin(), na.v6.end());
      }
    };
    if (arrival != nullptr) {
      take(*arrival);
    } else {
      for (const NetAddresses& na : name->second.by_network) {
        if (scope.Contains(na.network)) take(na);
      }
    }
    if (out->found_name) return;
  }

  auto ptr = ptrs_.find(qname);
  if (ptr != ptrs_.end()) {
    out->local = true;
    for (const PtrRecord& p : ptr->second) {
      if (!scope.Contains(p.network)) continue;
      out->found_name = true;
      if (qtype == kTypePtr) out->ptr_target = p.target;
      return;
    }
  }
  if (!out->local) {
    // NETWORK itself, or SOMETHING.NETWORK: the last label names a weft network.
    size_t dot = qname.rfind('.');
    std::string_view last = dot == std::string_view::npos ? qname : qname.substr(dot + 1);
    out->local = network_ids_.count(last) != 0;
  }
}

LookupResult Zone::Lookup(std::string_view qname, uint16_t qtype,
                          const std::vector<std::string>& client_networks) const {
  std::vector<uint32_t> storage;
  Scope scope = ScopeOf(client_networks, &storage);
  Answer a;
  Find(qname, qtype, scope, &a);
  LookupResult r;
  r.found_name = a.found_name;
  for (const IpAddress& ip : a.addresses) r.addresses.push_back(ip.ToString());
  r.ptr_target = std::string(a.ptr_target);
  return r;
}

std::vector<std::string> Zone::NetworksOfClient(const std::string& client_ip) const {
  std::vector<std::string> out;
  auto ip = IpAddress::Parse(client_ip);
  if (!ip.ok()) return out;
  auto it = client_networks_.find(ip->Unmapped());
  if (it == client_networks_.end()) return out;
  for (uint32_t id : it->second) out.push_back(network_names_[id]);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace weft::dns
