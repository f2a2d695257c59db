// The SQLite backend's host port rows.

#include "store/sqlite_tx.h"

namespace weft::store::sqlite {

Result<std::pair<std::string, PortMapping>> ReadPortRow(const Query& q) {
  PortMapping m;
  m.protocol = q.ColText(1);
  auto host_ip = ParseOptionalAddress(q.ColText(2));
  if (!host_ip.ok()) return Internal("corrupt host address of a port row: " + q.ColText(2));
  m.host_ip = *host_ip;
  m.host_port = static_cast<uint16_t>(q.ColInt(3));
  m.container_port = static_cast<uint16_t>(q.ColInt(4));
  return std::pair<std::string, PortMapping>{q.ColText(0), std::move(m)};
}

namespace {

Result<std::vector<std::pair<std::string, PortMapping>>> ReadPortRows(Query& q) {
  std::vector<std::pair<std::string, PortMapping>> out;
  for (;;) {
    WEFT_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return out;
    WEFT_ASSIGN_OR_RETURN(auto row_value, ReadPortRow(q));
    out.push_back(std::move(row_value));
  }
}

}  // namespace

Status SqliteTx::WritePort(std::string_view container, const PortMapping& m) {
  // The primary key (protocol, host_ip, host_port) backs up RuledTx's
  // overlap check for equal addresses.
  Query q(db_, "INSERT INTO ports(" + std::string(kPortCols) +
                   ") VALUES (?, ?, ?, ?, ?) "
                   "ON CONFLICT(protocol, host_ip, host_port) DO UPDATE SET "
                   "container = excluded.container, "
                   "container_port = excluded.container_port");
  q.Text(container).Text(m.protocol).Text(TextOf(m.host_ip)).Int(m.host_port);
  q.Int(m.container_port);
  return q.Run();
}

Status SqliteTx::DeletePorts(std::string_view container) {
  WEFT_RETURN_IF_ERROR(CheckWritable());
  Query q(db_, "DELETE FROM ports WHERE container = ?");
  q.Text(container);
  return q.Run();
}

Result<std::vector<std::pair<std::string, PortMapping>>> SqliteTx::ListPorts() {
  Query q(db_, Select(kPortCols, "FROM ports ORDER BY container, protocol, host_ip, host_port"));
  return ReadPortRows(q);
}

Result<std::vector<std::pair<std::string, PortMapping>>> SqliteTx::ListPorts(
    std::string_view protocol, uint16_t host_port) {
  Query q(db_, Select(kPortCols,
                      "FROM ports WHERE protocol = ? AND host_port = ? "
                      "ORDER BY container, protocol, host_ip, host_port"));
  q.Text(protocol).Int(host_port);
  return ReadPortRows(q);
}

}  // namespace weft::store::sqlite
