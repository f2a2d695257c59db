// The SQLite backend's network rows.

#include "base/text.h"
#include "store/json_columns.h"
#include "store/sqlite_tx.h"

namespace weft::store::sqlite {
namespace {

constexpr std::string_view kNetworkCols =
    "name, driver, bridge, internal, ipv6, icc, mtu, subnets, dns, labels, "
    "created_unix, dns_enabled";

Result<Network> ReadNetworkRow(const Query& q) {
  Network n;
  n.name = q.ColText(0);
  n.driver = q.ColText(1);
  n.bridge = q.ColText(2);
  n.internal = q.ColInt(3) != 0;
  n.ipv6 = q.ColInt(4) != 0;
  n.icc = q.ColInt(5) != 0;
  n.mtu = static_cast<uint32_t>(q.ColInt(6));
  WEFT_ASSIGN_OR_RETURN(n.subnets, DecodeSubnets(q.ColText(7)));
  WEFT_ASSIGN_OR_RETURN(n.dns, DecodeAddresses(q.ColText(8)));
  WEFT_ASSIGN_OR_RETURN(n.labels, DecodeLabels(q.ColText(9)));
  n.created_unix = q.ColInt(10);
  n.dns_enabled = q.ColInt(11) != 0;
  return n;
}

}  // namespace

Result<std::optional<Network>> SqliteTx::GetNetwork(std::string_view name) {
  Query q(db_, Select(kNetworkCols, "FROM networks WHERE name = ?"));
  q.Text(name);
  WEFT_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<Network>();
  WEFT_ASSIGN_OR_RETURN(Network n, ReadNetworkRow(q));
  return std::optional<Network>(std::move(n));
}

Result<std::vector<Network>> SqliteTx::ListNetworks() {
  Query q(db_, Select(kNetworkCols, "FROM networks ORDER BY name"));
  std::vector<Network> out;
  for (;;) {
    WEFT_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return out;
    WEFT_ASSIGN_OR_RETURN(Network n, ReadNetworkRow(q));
    out.push_back(std::move(n));
  }
}

Status SqliteTx::PutNetwork(const Network& n) {
  WEFT_RETURN_IF_ERROR(CheckWritable());
  Query q(db_, "INSERT INTO networks(" + std::string(kNetworkCols) +
                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT(name) DO UPDATE SET driver = excluded.driver, "
                   "bridge = excluded.bridge, internal = excluded.internal, "
                   "ipv6 = excluded.ipv6, icc = excluded.icc, mtu = excluded.mtu, "
                   "subnets = excluded.subnets, dns = excluded.dns, "
                   "labels = excluded.labels, "
                   "created_unix = excluded.created_unix, "
                   "dns_enabled = excluded.dns_enabled");
  q.Text(n.name).Text(n.driver).Text(n.bridge).Int(n.internal).Int(n.ipv6);
  q.Int(n.icc).Int(n.mtu).Text(EncodeSubnets(n.subnets));
  q.Text(EncodeAddresses(n.dns)).Text(EncodeLabels(n.labels));
  q.Int(n.created_unix).Int(n.dns_enabled);
  return q.Run();
}

Status SqliteTx::EraseNetwork(std::string_view name) {
  Query q(db_, "DELETE FROM networks WHERE name = ?");
  q.Text(name);
  WEFT_RETURN_IF_ERROR(q.Run());
  if (sqlite3_changes(db_) == 0) {
    return NotFound("network " + Quote(name) + " not found");
  }
  return Status::Ok();
}

Result<bool> SqliteTx::HasNetwork(std::string_view name) {
  Query q(db_, "SELECT 1 FROM networks WHERE name = ?");
  q.Text(name);
  return q.Step();
}

}  // namespace weft::store::sqlite
