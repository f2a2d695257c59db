#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/text.h"
#include "dns/records.h"

namespace weft::dns {

// Result of a name lookup, in text form (see Zone::Lookup).
struct LookupResult {
  // The name exists for this client (NXDOMAIN when false, NODATA when true
  // and `addresses` and `ptr_target` are empty).
  bool found_name = false;
  std::vector<std::string> addresses;  // A or AAAA, in zone order
  std::string ptr_target;              // for PTR on a reverse name
};

// An immutable snapshot of every name weft serves: container names and
// aliases ("web"), the same qualified by network ("web.front"), and reverse
// names of container addresses.
//
// Scoping: a client sees a name only through networks in its scope. For an
// unqualified name that exists on several in-scope networks, the addresses
// on the network the query arrived on win; otherwise the addresses of every
// in-scope network are returned. NAME.NETWORK is visible when NETWORK is in
// scope. A PTR is visible when its endpoint's network is in scope; the
// target is "container.network".
//
// All names are matched case-insensitively (Build lowercases them; lookups
// take lowercase names without a trailing dot).
//
// Thread-safety: immutable after Build; every const method is safe to call
// concurrently. Share it as std::shared_ptr<const Zone>.
class Zone {
 public:
  // Which networks a query may see. Cheap to make (no allocation); valid as
  // long as the Zone it came from.
  class Scope {
   public:
    bool Contains(uint32_t network) const;
    // Equal for scopes that see the same names (within one Zone).
    std::pair<int64_t, const void*> identity() const { return {arrival_, client_}; }

   private:
    friend class Zone;
    int64_t arrival_ = -1;                           // network id or -1
    const std::vector<uint32_t>* client_ = nullptr;  // sorted network ids
  };

  // Fast-path lookup result: binary addresses, valid until the next call
  // with the same object. Reuse one object to avoid allocation.
  struct Answer {
    bool found_name = false;
    // The name is weft's even though this client may not see it: a
    // container name or alias on any network, a network's name or anything
    // under it, or a container address's reverse name. Such names are answered
    // NXDOMAIN, never forwarded (container names must not leak upstream).
    bool local = false;
    std::vector<IpAddress> addresses;
    std::string_view ptr_target;  // points into the Zone
  };

  // Builds a zone. Fails with kInvalidArgument on an unparsable address or
  // an endpoint without network or names. Endpoints with no address are
  // kept (their names answer NODATA).
  static Result<std::shared_ptr<const Zone>> Build(const std::vector<Endpoint>& endpoints);

  // Scope for a query that arrived on `arrival_network`'s listener ("" if
  // none) from `client`: the arrival network plus every network of the
  // container(s) that own the client's address.
  // REQUIRES: arrival_network lowercase (the hot path does not fold case).
  Scope ScopeFor(std::string_view arrival_network, const IpAddress& client) const;
  // Scope of exactly these networks (unknown names are ignored). The
  // returned Scope points into `storage`, which must outlive it.
  Scope ScopeOf(const std::vector<std::string>& networks, std::vector<uint32_t>* storage) const;

  // qtype 1 (A) and 28 (AAAA) fill addresses (255, ANY, both kinds);
  // 12 (PTR) fills ptr_target
  // for in-addr.arpa / ip6.arpa names; other qtypes only set found_name.
  // REQUIRES: qname lowercase, no trailing dot.
  void Find(std::string_view qname, uint16_t qtype, const Scope& scope, Answer* out) const;

  // Convenience form of Find for callers that have network names (tests,
  // tools). `client_networks` is the client's whole scope.
  LookupResult Lookup(std::string_view qname, uint16_t qtype,
                      const std::vector<std::string>& client_networks) const;

  // The networks of the container(s) that have address `client_ip` on any
  // network, sorted; empty if none (or if `client_ip` is not an address).
  std::vector<std::string> NetworksOfClient(const std::string& client_ip) const;

  size_t name_count() const { return names_.size(); }

 private:
  template <typename V>
  using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

  struct NetAddresses {
    uint32_t network;
    std::vector<IpAddress> v4, v6;
  };
  struct NameRecord {
    std::vector<NetAddresses> by_network;  // sorted by network id
  };
  struct PtrRecord {
    uint32_t network;
    std::string target;
  };

  Zone() = default;
  uint32_t InternNetwork(const std::string& name);
  void AddName(const std::string& name, uint32_t network, const std::optional<IpAddress>& v4,
               const std::optional<IpAddress>& v6);

  std::vector<std::string> network_names_;  // id -> name
  StringMap<uint32_t> network_ids_;         // lowercase name -> id
  StringMap<NameRecord> names_;
  StringMap<std::vector<PtrRecord>> ptrs_;
  std::unordered_map<IpAddress, std::vector<uint32_t>> client_networks_;  // sorted
};

}  // namespace weft::dns
