// The SQLite backend's service rows and their backends.

#include <map>

#include "base/text.h"
#include "store/json_columns.h"
#include "store/sqlite_tx.h"

namespace weft::store::sqlite {
namespace {

constexpr std::string_view kServiceCols = "name, network, vip, spec, created_unix";

Result<Service> ReadServiceRow(const Query& q, DecodedSpecs* specs) {
  Service s;
  if (specs != nullptr) {
    WEFT_ASSIGN_OR_RETURN(s, specs->Get(q.ColText(3)));
  } else {
    WEFT_RETURN_IF_ERROR(DecodeServiceSpec(q.ColText(3), s));
  }
  s.name = q.ColText(0);
  s.network = q.ColText(1);
  auto vip = ParseOptionalAddress(q.ColText(2));
  if (!vip.ok()) return Internal("corrupt VIP of service " + Quote(s.name) + ": " + q.ColText(2));
  s.vip = *vip;
  s.created_unix = q.ColInt(4);
  return s;
}

// Fills each service's backends (sorted by container) in one query.
Status ReadBackends(sqlite3* db, std::vector<Service>& services) {
  Query q(db,
          "SELECT service, container, health, detail, checked_unix_ms "
          "FROM service_backends ORDER BY service, container");
  std::map<std::string, Service*, std::less<>> by_name;
  for (Service& s : services) by_name.emplace(s.name, &s);
  for (;;) {
    WEFT_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return Status::Ok();
    auto it = by_name.find(q.ColText(0));
    if (it == by_name.end()) continue;
    it->second->backends.push_back({q.ColText(1), q.ColText(2), q.ColText(3), q.ColInt(4)});
  }
}

}  // namespace

Result<Service> DecodedSpecs::Get(const std::string& text) {
  auto it = by_text_.find(text);
  if (it != by_text_.end()) return it->second;
  Service s;
  WEFT_RETURN_IF_ERROR(DecodeServiceSpec(text, s));
  if (by_text_.size() >= kMaxEntries) by_text_.clear();
  by_text_.emplace(text, s);
  return s;
}

Result<std::optional<Service>> SqliteTx::GetService(std::string_view name) {
  Query q(db_, Select(kServiceCols, "FROM services WHERE name = ?"));
  q.Text(name);
  WEFT_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<Service>();
  WEFT_ASSIGN_OR_RETURN(Service s, ReadServiceRow(q, specs_));
  Query b(db_,
          "SELECT container, health, detail, checked_unix_ms FROM service_backends "
          "WHERE service = ? ORDER BY container");
  b.Text(name);
  for (;;) {
    WEFT_ASSIGN_OR_RETURN(bool more, b.Step());
    if (!more) break;
    s.backends.push_back({b.ColText(0), b.ColText(1), b.ColText(2), b.ColInt(3)});
  }
  return std::optional<Service>(std::move(s));
}

Result<std::vector<Service>> SqliteTx::ServicesWithVip(std::string_view network,
                                                       const IpAddress& vip) {
  Query q(db_,
          "SELECT name, network, vip FROM services WHERE network = ? AND vip = ? ORDER BY name");
  q.Text(network).Text(vip.ToString());
  std::vector<Service> out;
  for (;;) {
    WEFT_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return out;
    Service s;
    s.name = q.ColText(0);
    s.network = q.ColText(1);
    WEFT_ASSIGN_OR_RETURN(s.vip, ParseOptionalAddress(q.ColText(2)));
    out.push_back(std::move(s));
  }
}

Result<std::vector<Service>> SqliteTx::ListServices() {
  Query q(db_, Select(kServiceCols, "FROM services ORDER BY name"));
  std::vector<Service> out;
  for (;;) {
    WEFT_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    WEFT_ASSIGN_OR_RETURN(Service s, ReadServiceRow(q, specs_));
    out.push_back(std::move(s));
  }
  if (!out.empty()) WEFT_RETURN_IF_ERROR(ReadBackends(db_, out));
  return out;
}

Status SqliteTx::WriteService(const Service& s) {
  Query q(db_, "INSERT INTO services(" + std::string(kServiceCols) +
                   ") VALUES (?, ?, ?, ?, ?) "
                   "ON CONFLICT(name) DO UPDATE SET network = excluded.network, "
                   "vip = excluded.vip, spec = excluded.spec, "
                   "created_unix = excluded.created_unix");
  q.Text(s.name).Text(s.network).Text(TextOf(s.vip)).Text(EncodeServiceSpec(s)).Int(s.created_unix);
  return q.Run();
}

Status SqliteTx::DeleteService(std::string_view name) {
  WEFT_RETURN_IF_ERROR(CheckWritable());
  Query q(db_, "DELETE FROM services WHERE name = ?");
  q.Text(name);
  WEFT_RETURN_IF_ERROR(q.Run());
  if (sqlite3_changes(db_) == 0) return NotFound("service " + Quote(name) + " not found");
  return Status::Ok();
}

Status SqliteTx::WriteBackend(std::string_view service, const Backend& b) {
  Query q(db_,
          "INSERT INTO service_backends(service, container, health, detail, checked_unix_ms) "
          "VALUES (?, ?, ?, ?, ?) ON CONFLICT(service, container) DO UPDATE SET "
          "health = excluded.health, detail = excluded.detail, "
          "checked_unix_ms = excluded.checked_unix_ms");
  q.Text(service).Text(b.container).Text(b.health).Text(b.detail).Int(b.checked_unix_ms);
  return q.Run();
}

Status SqliteTx::DeleteBackend(std::string_view service, std::string_view container) {
  WEFT_RETURN_IF_ERROR(CheckWritable());
  Query q(db_, "DELETE FROM service_backends WHERE service = ? AND container = ?");
  q.Text(service).Text(container);
  WEFT_RETURN_IF_ERROR(q.Run());
  if (sqlite3_changes(db_) == 0) {
    return NotFound("service " + Quote(service) + " has no backend " + Quote(container));
  }
  return Status::Ok();
}

}  // namespace weft::store::sqlite
