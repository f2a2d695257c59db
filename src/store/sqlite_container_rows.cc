// The SQLite backend's container rows, the node each lives on
// (container_nodes) and their endpoints.

#include <map>

#include "base/text.h"
#include "store/json_columns.h"
#include "store/node.h"
#include "store/sqlite_tx.h"

namespace weft::store::sqlite {
namespace {

// A container without a container_nodes row (only hand-written rows) reads
// with node "".
constexpr std::string_view kContainerSelect =
    "SELECT c.name, c.netns_path, c.mode, c.hostname, c.created_unix, c.external_netns, "
    "c.cni_container_id, COALESCE(p.node, '') "
    "FROM containers c LEFT JOIN container_nodes p ON p.container = c.name";
constexpr std::string_view kContainerCols =
    "name, netns_path, mode, hostname, created_unix, external_netns, cni_container_id";

constexpr std::string_view kEndpointSelect =
    "SELECT e.container, e.network, e.ifname, e.host_ifname, e.mac, e.ipv4, e.ipv6, e.aliases, "
    "e.handoff, COALESCE(p.node, '') "
    "FROM endpoints e LEFT JOIN container_nodes p ON p.container = e.container";
constexpr std::string_view kEndpointCols =
    "container, network, ifname, host_ifname, mac, ipv4, ipv6, aliases, handoff";

Container ReadContainerRow(const Query& q) {
  Container c;
  c.name = q.ColText(0);
  c.netns_path = q.ColText(1);
  c.mode = q.ColText(2);
  c.hostname = q.ColText(3);
  c.created_unix = q.ColInt(4);
  c.external_netns = q.ColInt(5) != 0;
  c.cni_container_id = q.ColText(6);
  c.node = q.ColText(7);
  return c;
}

Result<Endpoint> ReadEndpointRow(const Query& q) {
  Endpoint e;
  e.container = q.ColText(0);
  e.network = q.ColText(1);
  e.ifname = q.ColText(2);
  e.host_ifname = q.ColText(3);
  e.mac = q.ColText(4);
  for (auto [field, col] : {std::pair{&e.ipv4, 5}, std::pair{&e.ipv6, 6}}) {
    auto address = ParseOptionalAddress(q.ColText(col));
    if (!address.ok()) {
      return Internal("corrupt address of endpoint " + Quote(e.container) + " on network " +
                      Quote(e.network) + ": " + q.ColText(col));
    }
    *field = *address;
  }
  WEFT_ASSIGN_OR_RETURN(e.aliases, DecodeStrings(q.ColText(7)));
  e.handoff = q.ColInt(8) != 0;
  e.node = q.ColText(9);
  return e;
}

// Every row `q` yields, read as an endpoint.
Result<std::vector<Endpoint>> ReadEndpointRows(Query& q) {
  std::vector<Endpoint> out;
  for (;;) {
    WEFT_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return out;
    WEFT_ASSIGN_OR_RETURN(Endpoint e, ReadEndpointRow(q));
    out.push_back(std::move(e));
  }
}

}  // namespace

// The same selection of containers, phrased for each table; `?` is the key.
struct ContainerScope {
  std::string_view containers;  // over kContainerSelect (c, p)
  std::string_view endpoints;   // over kEndpointSelect (e, p)
  std::string_view ports;       // over the ports table
};

namespace {

constexpr ContainerScope kAllContainers = {"", "", ""};
constexpr ContainerScope kOneContainer = {"WHERE c.name = ?", "WHERE e.container = ?",
                                          "WHERE container = ?"};
constexpr ContainerScope kOneNode = {"WHERE p.node = ?", "WHERE p.node = ?",
                                     "WHERE container IN (SELECT container FROM container_nodes "
                                     "WHERE node = ?)"};

}  // namespace

Result<std::vector<Container>> SqliteTx::ReadContainers(const ContainerScope& scope,
                                                        std::string_view key) {
  const bool bind = !scope.containers.empty();
  std::vector<Container> out;
  Query cq(db_, std::string(kContainerSelect) + " " + std::string(scope.containers) +
                    " ORDER BY c.name");
  if (bind) cq.Text(key);
  for (;;) {
    WEFT_ASSIGN_OR_RETURN(bool row, cq.Step());
    if (!row) break;
    out.push_back(ReadContainerRow(cq));
  }
  if (out.empty()) return out;

  std::map<std::string, Container*, std::less<>> by_name;
  for (Container& c : out) by_name[c.name] = &c;
  Query eq(db_, std::string(kEndpointSelect) + " " + std::string(scope.endpoints) +
                    " ORDER BY e.container, e.network");
  Query pq(db_, Select(kPortCols, "FROM ports " + std::string(scope.ports) +
                                      " ORDER BY container, protocol, host_ip, host_port"));
  if (bind) {
    eq.Text(key);
    pq.Text(key);
  }
  for (;;) {
    WEFT_ASSIGN_OR_RETURN(bool row, eq.Step());
    if (!row) break;
    WEFT_ASSIGN_OR_RETURN(Endpoint e, ReadEndpointRow(eq));
    auto it = by_name.find(e.container);
    if (it != by_name.end()) it->second->endpoints.push_back(std::move(e));
  }
  for (;;) {
    WEFT_ASSIGN_OR_RETURN(bool row, pq.Step());
    if (!row) break;
    WEFT_ASSIGN_OR_RETURN(auto port_row, ReadPortRow(pq));
    auto& [container, mapping] = port_row;
    auto it = by_name.find(container);
    if (it != by_name.end()) it->second->ports.push_back(std::move(mapping));
  }
  return out;
}

Result<std::optional<Container>> SqliteTx::GetContainer(std::string_view name) {
  WEFT_ASSIGN_OR_RETURN(auto one, ReadContainers(kOneContainer, name));
  if (one.empty()) return std::optional<Container>();
  return std::optional<Container>(std::move(one.front()));
}

Result<std::vector<Container>> SqliteTx::ListContainers() {
  return ReadContainers(kAllContainers, "");
}

Result<std::vector<Container>> SqliteTx::ListContainers(std::string_view node) {
  return ReadContainers(kOneNode, node);
}

Status SqliteTx::PutContainer(const Container& c) {
  WEFT_RETURN_IF_ERROR(CheckWritable());
  const std::string& node = c.node.empty() ? node_ : c.node;
  WEFT_RETURN_IF_ERROR(CheckNodeName(node));
  Query q(db_, "INSERT INTO containers(" + std::string(kContainerCols) +
                   ") VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                   "netns_path = excluded.netns_path, mode = excluded.mode, "
                   "hostname = excluded.hostname, "
                   "created_unix = excluded.created_unix, "
                   "external_netns = excluded.external_netns, "
                   "cni_container_id = excluded.cni_container_id");
  q.Text(c.name).Text(c.netns_path).Text(c.mode).Text(c.hostname);
  q.Int(c.created_unix).Int(c.external_netns).Text(c.cni_container_id);
  WEFT_RETURN_IF_ERROR(q.Run());
  Query placed(db_,
               "INSERT INTO container_nodes(container, node) VALUES (?, ?) "
               "ON CONFLICT(container) DO UPDATE SET node = excluded.node");
  placed.Text(c.name).Text(node);
  return placed.Run();
}

Status SqliteTx::DeleteContainer(std::string_view name) {
  WEFT_RETURN_IF_ERROR(CheckWritable());
  // Its node, endpoints and ports go too (ON DELETE CASCADE).
  Query q(db_, "DELETE FROM containers WHERE name = ?");
  q.Text(name);
  WEFT_RETURN_IF_ERROR(q.Run());
  if (sqlite3_changes(db_) == 0) {
    return NotFound("container " + Quote(name) + " not found");
  }
  return Status::Ok();
}

Result<bool> SqliteTx::HasContainer(std::string_view name) {
  Query q(db_, "SELECT 1 FROM containers WHERE name = ?");
  q.Text(name);
  return q.Step();
}

Status SqliteTx::WriteEndpoint(const Endpoint& e) {
  // The UNIQUE indexes on (network, ipv4) and (network, ipv6) back up
  // RuledTx's address check.
  Query q(db_, "INSERT INTO endpoints(" + std::string(kEndpointCols) +
                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT(container, network) DO UPDATE SET "
                   "ifname = excluded.ifname, host_ifname = excluded.host_ifname, "
                   "mac = excluded.mac, ipv4 = excluded.ipv4, "
                   "ipv6 = excluded.ipv6, aliases = excluded.aliases, "
                   "handoff = excluded.handoff");
  q.Text(e.container).Text(e.network).Text(e.ifname).Text(e.host_ifname);
  q.Text(e.mac).TextOrNull(TextOf(e.ipv4)).TextOrNull(TextOf(e.ipv6));
  q.Text(EncodeStrings(e.aliases)).Int(e.handoff);
  return q.Run();
}

Status SqliteTx::DeleteEndpoint(std::string_view container, std::string_view network) {
  WEFT_RETURN_IF_ERROR(CheckWritable());
  Query q(db_, "DELETE FROM endpoints WHERE container = ? AND network = ?");
  q.Text(container).Text(network);
  WEFT_RETURN_IF_ERROR(q.Run());
  if (sqlite3_changes(db_) == 0) {
    return NotFound("container " + Quote(container) + " has no endpoint on network " +
                    Quote(network));
  }
  return Status::Ok();
}

Result<std::vector<Endpoint>> SqliteTx::ListEndpoints(std::string_view network) {
  Query q(db_, std::string(kEndpointSelect) + " WHERE e.network = ? ORDER BY e.container");
  q.Text(network);
  return ReadEndpointRows(q);
}

Result<std::vector<Endpoint>> SqliteTx::EndpointsHolding(std::string_view network,
                                                         const IpAddress& address) {
  // Two lookups in the unique (network, ipv4) and (network, ipv6) indexes.
  Query q(db_, std::string(kEndpointSelect) +
                   " WHERE e.network = ?1 AND (e.ipv4 = ?2 OR e.ipv6 = ?2) ORDER BY e.container");
  q.Text(network).Text(address.ToString());
  return ReadEndpointRows(q);
}

Result<std::vector<IpAddress>> SqliteTx::UsedAddresses(std::string_view network) {
  Query q(db_,
          "SELECT ipv4 FROM endpoints WHERE network = ?1 AND ipv4 IS NOT "
          "NULL UNION ALL SELECT ipv6 FROM endpoints WHERE network = ?1 "
          "AND ipv6 IS NOT NULL UNION ALL SELECT vip FROM services "
          "WHERE network = ?1 AND vip != ''");
  q.Text(network);
  std::vector<IpAddress> out;
  for (;;) {
    WEFT_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return out;
    auto address = IpAddress::Parse(q.ColText(0));
    if (!address.ok())
      return Internal("corrupt address on network " + Quote(network) + ": " + q.ColText(0));
    out.push_back(*address);
  }
}

}  // namespace weft::store::sqlite
