#pragma once

// The SQLite backend's transaction (internal to src/store). Its methods live
// in one file per kind of row: sqlite_network_rows.cc, sqlite_container_rows.cc
// (containers, their nodes and endpoints), sqlite_port_rows.cc and
// sqlite_service_rows.cc, sqlite_meta_rows.cc. The rules (address and port conflicts, networks in
// use) come from RuledTx (rules.h).

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/rules.h"
#include "store/sqlite_db.h"

namespace weft::store::sqlite {

// The ports table's columns, in the order ReadPortRow reads them.
inline constexpr std::string_view kPortCols =
    "container, protocol, host_ip, host_port, container_port";
// Reads kPortCols: (container, mapping).
Result<std::pair<std::string, PortMapping>> ReadPortRow(const Query& q);

// Which containers a read picks (sqlite_container_rows.cc).
struct ContainerScope;

// Services' settings decoded from their JSON text, kept by a Store across its
// transactions: a long-lived reader (weftd) re-reads every service after each
// change, and most of them did not change. Keyed by the exact text, so a
// changed service is decoded anew.
class DecodedSpecs {
 public:
  // The service as DecodeServiceSpec leaves a default one for `text`.
  Result<Service> Get(const std::string& text);

 private:
  static constexpr size_t kMaxEntries = 4096;
  std::unordered_map<std::string, Service> by_text_;
};

class SqliteTx final : public RuledTx {
 public:
  // `node`: the store's local node, for PutContainer without one.
  // `specs`: the Store's decoded service settings (may be null).
  SqliteTx(sqlite3* db, bool writable, const std::string& node, DecodedSpecs* specs = nullptr)
      : RuledTx(writable), db_(db), node_(node), specs_(specs) {}

  // sqlite_network_rows.cc
  Result<std::optional<Network>> GetNetwork(std::string_view name) override;
  Result<std::vector<Network>> ListNetworks() override;
  Status PutNetwork(const Network& network) override;

  // sqlite_container_rows.cc
  Result<std::optional<Container>> GetContainer(std::string_view name) override;
  Result<std::vector<Container>> ListContainers() override;
  Result<std::vector<Container>> ListContainers(std::string_view node) override;
  Status PutContainer(const Container& container) override;
  Status DeleteContainer(std::string_view name) override;
  Status DeleteEndpoint(std::string_view container, std::string_view network) override;
  Result<std::vector<Endpoint>> ListEndpoints(std::string_view network) override;
  Result<std::vector<IpAddress>> UsedAddresses(std::string_view network) override;

  // sqlite_port_rows.cc
  Status DeletePorts(std::string_view container) override;
  Result<std::vector<std::pair<std::string, PortMapping>>> ListPorts() override;
  Result<std::vector<std::pair<std::string, PortMapping>>> ListPorts(std::string_view protocol,
                                                                     uint16_t host_port) override;

  // sqlite_service_rows.cc
  Result<std::optional<Service>> GetService(std::string_view name) override;
  Result<std::vector<Service>> ListServices() override;
  Status DeleteService(std::string_view name) override;
  Status DeleteBackend(std::string_view service, std::string_view container) override;

  // sqlite_meta_rows.cc
  Result<std::optional<std::string>> GetMeta(std::string_view key) override;
  Status PutMeta(std::string_view key, std::string_view value) override;

 protected:
  Status WriteEndpoint(const Endpoint& endpoint) override;  // container rows
  Status WritePort(std::string_view container, const PortMapping& mapping) override;  // ports
  Status EraseNetwork(std::string_view name) override;   // network rows
  Status WriteService(const Service& service) override;  // service rows
  Status WriteBackend(std::string_view service, const Backend& backend) override;
  Result<bool> HasContainer(std::string_view name) override;  // container rows
  Result<bool> HasNetwork(std::string_view name) override;    // network rows
  Result<std::vector<Endpoint>> EndpointsHolding(std::string_view network,
                                                 const IpAddress& address) override;
  Result<std::vector<Service>> ServicesWithVip(std::string_view network,
                                               const IpAddress& vip) override;  // service rows

 private:
  // Reads the containers `scope` picks (binding `key` unless it picks all),
  // sorted by name, with their endpoints and ports.
  Result<std::vector<Container>> ReadContainers(const ContainerScope& scope, std::string_view key);

  sqlite3* db_;
  const std::string& node_;
  DecodedSpecs* specs_;
};

}  // namespace weft::store::sqlite
