// The only file that includes <sqlite3.h> (see STYLE.md section 1).

#include "store/sqlite_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "store/json_columns.h"

namespace weft::store {
namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// Converts a failed SQLite result code: "what: sqlite's message".
Status StatusFromSqlite(std::string_view what, int rc, sqlite3* db) {
  Code code = Code::kInternal;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = Code::kUnavailable;
      break;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      code = Code::kPermissionDenied;
      break;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      code = Code::kFailedPrecondition;
      break;
    case SQLITE_CANTOPEN:
      if (db != nullptr &&
          (sqlite3_system_errno(db) == EACCES || sqlite3_system_errno(db) == EPERM)) {
        code = Code::kPermissionDenied;
      }
      break;
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        code = Code::kAlreadyExists;
      } else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
        code = Code::kFailedPrecondition;
      }
      break;
    default:
      break;
  }
  std::string m(what);
  m += ": ";
  m += (db != nullptr && sqlite3_extended_errcode(db) == rc) ? sqlite3_errmsg(db)
                                                             : sqlite3_errstr(rc);
  if (code == Code::kUnavailable) {
    m += " (another process holds the state database)";
  }
  return Status(code, std::move(m));
}

// Runs one or more statements that return no rows.
Status Exec(sqlite3* db, std::string_view what, const std::string& sql) {
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : StatusFromSqlite(what, rc, db);
}

// A prepared statement. Bind errors are kept and reported by Step(), so
// call sites can chain binds without checking each.
class Query {
 public:
  Query(sqlite3* db, std::string_view sql) : db_(db) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &s, nullptr);
    stmt_.reset(s);
    if (rc != SQLITE_OK) status_ = StatusFromSqlite(What(sql), rc, db);
  }

  Query& Text(std::string_view v) {
    if (v.data() == nullptr) v = "";  // a null pointer would bind NULL
    return Check(sqlite3_bind_text(stmt_.get(), next_++, v.data(), static_cast<int>(v.size()),
                                   SQLITE_TRANSIENT));
  }
  // Binds "" as NULL.
  Query& TextOrNull(std::string_view v) {
    if (!v.empty()) return Text(v);
    return Check(sqlite3_bind_null(stmt_.get(), next_++));
  }
  Query& Int(int64_t v) { return Check(sqlite3_bind_int64(stmt_.get(), next_++, v)); }

  // True when a row is ready, false when the statement is done.
  Result<bool> Step() {
    if (!status_.ok()) return status_;
    int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    status_ = StatusFromSqlite(What(sqlite3_sql(stmt_.get())), rc, db_);
    return status_;
  }
  // Steps to completion, ignoring rows.
  Status Run() {
    for (;;) {
      WEFT_ASSIGN_OR_RETURN(bool row, Step());
      if (!row) return Status::Ok();
    }
  }

  // Column readers for the current row; NULL reads as "" / 0.
  std::string ColText(int i) const {
    auto* p = sqlite3_column_text(stmt_.get(), i);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p),
                                      sqlite3_column_bytes(stmt_.get(), i));
  }
  int64_t ColInt(int i) const { return sqlite3_column_int64(stmt_.get(), i); }

 private:
  static std::string What(std::string_view sql) {
    std::string head(sql.substr(0, 48));
    for (char& c : head) c = (c == '\n') ? ' ' : c;
    return "sqlite \"" + head + (sql.size() > 48 ? "...\"" : "\"");
  }
  Query& Check(int rc) {
    if (rc != SQLITE_OK && status_.ok()) {
      status_ = StatusFromSqlite("sqlite bind", rc, db_);
    }
    return *this;
  }

  sqlite3* db_;
  StmtPtr stmt_;
  int next_ = 1;
  Status status_;
};

// Reads a single-row, single-column answer, or nullopt when there is no row.
Result<std::optional<std::string>> QueryOneText(Query& q) {
  WEFT_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(q.ColText(0));
}

Result<bool> QueryExists(Query& q) { return q.Step(); }

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Whether two host_ip values of a port mapping share an address.
bool HostIpsOverlap(std::string_view a, std::string_view b) {
  if (a == b || a.empty() || b.empty()) return true;
  bool a6 = a.find(':') != std::string_view::npos;
  bool b6 = b.find(':') != std::string_view::npos;
  if (a6 != b6) return false;
  std::string_view any = a6 ? "::" : "0.0.0.0";
  return a == any || b == any;
}

constexpr std::string_view kNetworkCols =
    "name, driver, bridge, internal, ipv6, icc, mtu, subnets, dns, labels, "
    "created_unix, dns_enabled";
constexpr std::string_view kContainerCols =
    "name, netns_path, mode, hostname, created_unix, external_netns, cni_container_id";
constexpr std::string_view kEndpointCols =
    "container, network, ifname, host_ifname, mac, ipv4, ipv6, aliases, handoff";
constexpr std::string_view kPortCols = "container, protocol, host_ip, host_port, container_port";

std::string Select(std::string_view cols, std::string_view rest) {
  return "SELECT " + std::string(cols) + " " + std::string(rest);
}

Result<Network> ReadNetwork(const Query& q) {
  Network n;
  n.name = q.ColText(0);
  n.driver = q.ColText(1);
  n.bridge = q.ColText(2);
  n.internal = q.ColInt(3) != 0;
  n.ipv6 = q.ColInt(4) != 0;
  n.icc = q.ColInt(5) != 0;
  n.mtu = static_cast<uint32_t>(q.ColInt(6));
  WEFT_ASSIGN_OR_RETURN(n.subnets, DecodeSubnets(q.ColText(7)));
  WEFT_ASSIGN_OR_RETURN(n.dns, DecodeStrings(q.ColText(8)));
  WEFT_ASSIGN_OR_RETURN(n.labels, DecodeLabels(q.ColText(9)));
  n.created_unix = q.ColInt(10);
  n.dns_enabled = q.ColInt(11) != 0;
  return n;
}

Container ReadContainer(const Query& q) {
  Container c;
  c.name = q.ColText(0);
  c.netns_path = q.ColText(1);
  c.mode = q.ColText(2);
  c.hostname = q.ColText(3);
  c.created_unix = q.ColInt(4);
  c.external_netns = q.ColInt(5) != 0;
  c.cni_container_id = q.ColText(6);
  return c;
}

Result<Endpoint> ReadEndpoint(const Query& q) {
  Endpoint e;
  e.container = q.ColText(0);
  e.network = q.ColText(1);
  e.ifname = q.ColText(2);
  e.host_ifname = q.ColText(3);
  e.mac = q.ColText(4);
  e.ipv4 = q.ColText(5);
  e.ipv6 = q.ColText(6);
  WEFT_ASSIGN_OR_RETURN(e.aliases, DecodeStrings(q.ColText(7)));
  e.handoff = q.ColInt(8) != 0;
  return e;
}

// Reads kPortCols: (container, mapping).
std::pair<std::string, PortMapping> ReadPort(const Query& q) {
  PortMapping m;
  m.protocol = q.ColText(1);
  m.host_ip = q.ColText(2);
  m.host_port = static_cast<uint16_t>(q.ColInt(3));
  m.container_port = static_cast<uint16_t>(q.ColInt(4));
  return {q.ColText(0), std::move(m)};
}

class SqliteTx final : public Tx {
 public:
  SqliteTx(sqlite3* db, bool writable) : db_(db), writable_(writable) {}

  Result<std::optional<Network>> GetNetwork(std::string_view name) override {
    Query q(db_, Select(kNetworkCols, "FROM networks WHERE name = ?"));
    q.Text(name);
    WEFT_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<Network>();
    WEFT_ASSIGN_OR_RETURN(Network n, ReadNetwork(q));
    return std::optional<Network>(std::move(n));
  }

  Result<std::vector<Network>> ListNetworks() override {
    Query q(db_, Select(kNetworkCols, "FROM networks ORDER BY name"));
    std::vector<Network> out;
    for (;;) {
      WEFT_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) return out;
      WEFT_ASSIGN_OR_RETURN(Network n, ReadNetwork(q));
      out.push_back(std::move(n));
    }
  }

  Status PutNetwork(const Network& n) override {
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
    q.Text(EncodeStrings(n.dns)).Text(EncodeLabels(n.labels));
    q.Int(n.created_unix).Int(n.dns_enabled);
    return q.Run();
  }

  Status DeleteNetwork(std::string_view name) override {
    WEFT_RETURN_IF_ERROR(CheckWritable());
    Query users(db_,
                "SELECT container FROM endpoints WHERE network = ? "
                "ORDER BY container");
    users.Text(name);
    std::string containers;
    for (;;) {
      WEFT_ASSIGN_OR_RETURN(bool row, users.Step());
      if (!row) break;
      containers += (containers.empty() ? "" : ", ") + Quote(users.ColText(0));
    }
    if (!containers.empty()) {
      return FailedPrecondition("network " + Quote(name) + " is in use by containers " +
                                containers);
    }
    Query q(db_, "DELETE FROM networks WHERE name = ?");
    q.Text(name);
    WEFT_RETURN_IF_ERROR(q.Run());
    if (sqlite3_changes(db_) == 0) {
      return NotFound("network " + Quote(name) + " not found");
    }
    return Status::Ok();
  }

  Result<std::optional<Container>> GetContainer(std::string_view name) override {
    Query q(db_, Select(kContainerCols, "FROM containers WHERE name = ?"));
    q.Text(name);
    WEFT_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<Container>();
    std::vector<Container> one = {ReadContainer(q)};
    WEFT_RETURN_IF_ERROR(FillContainers(one, "WHERE container = ?", name));
    return std::optional<Container>(std::move(one.front()));
  }

  Result<std::vector<Container>> ListContainers() override {
    Query q(db_, Select(kContainerCols, "FROM containers ORDER BY name"));
    std::vector<Container> out;
    for (;;) {
      WEFT_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back(ReadContainer(q));
    }
    WEFT_RETURN_IF_ERROR(FillContainers(out, "", ""));
    return out;
  }

  Status PutContainer(const Container& c) override {
    WEFT_RETURN_IF_ERROR(CheckWritable());
    Query q(db_, "INSERT INTO containers(" + std::string(kContainerCols) +
                     ") VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                     "netns_path = excluded.netns_path, mode = excluded.mode, "
                     "hostname = excluded.hostname, "
                     "created_unix = excluded.created_unix, "
                     "external_netns = excluded.external_netns, "
                     "cni_container_id = excluded.cni_container_id");
    q.Text(c.name).Text(c.netns_path).Text(c.mode).Text(c.hostname);
    q.Int(c.created_unix).Int(c.external_netns).Text(c.cni_container_id);
    return q.Run();
  }

  Status DeleteContainer(std::string_view name) override {
    WEFT_RETURN_IF_ERROR(CheckWritable());
    Query q(db_, "DELETE FROM containers WHERE name = ?");
    q.Text(name);
    WEFT_RETURN_IF_ERROR(q.Run());
    if (sqlite3_changes(db_) == 0) {
      return NotFound("container " + Quote(name) + " not found");
    }
    return Status::Ok();
  }

  Status PutEndpoint(const Endpoint& e) override {
    WEFT_RETURN_IF_ERROR(CheckWritable());
    WEFT_RETURN_IF_ERROR(CheckExists("containers", "container", e.container));
    WEFT_RETURN_IF_ERROR(CheckExists("networks", "network", e.network));
    for (auto [column, address] : {std::pair{"ipv4", &e.ipv4}, std::pair{"ipv6", &e.ipv6}}) {
      if (address->empty()) continue;
      Query q(db_, "SELECT container FROM endpoints WHERE network = ? AND " + std::string(column) +
                       " = ? AND container <> ?");
      q.Text(e.network).Text(*address).Text(e.container);
      WEFT_ASSIGN_OR_RETURN(auto owner, QueryOneText(q));
      if (owner) {
        return AlreadyExists("address " + *address + " is already in use on network " +
                             Quote(e.network) + " (by " + Quote(*owner) + ")");
      }
    }
    Query q(db_, "INSERT INTO endpoints(" + std::string(kEndpointCols) +
                     ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                     "ON CONFLICT(container, network) DO UPDATE SET "
                     "ifname = excluded.ifname, host_ifname = excluded.host_ifname, "
                     "mac = excluded.mac, ipv4 = excluded.ipv4, "
                     "ipv6 = excluded.ipv6, aliases = excluded.aliases, "
                     "handoff = excluded.handoff");
    q.Text(e.container).Text(e.network).Text(e.ifname).Text(e.host_ifname);
    q.Text(e.mac).TextOrNull(e.ipv4).TextOrNull(e.ipv6);
    q.Text(EncodeStrings(e.aliases)).Int(e.handoff);
    return q.Run();
  }

  Status DeleteEndpoint(std::string_view container, std::string_view network) override {
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

  Result<std::vector<Endpoint>> ListEndpoints(std::string_view network) override {
    Query q(db_, Select(kEndpointCols, "FROM endpoints WHERE network = ? ORDER BY container"));
    q.Text(network);
    std::vector<Endpoint> out;
    for (;;) {
      WEFT_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) return out;
      WEFT_ASSIGN_OR_RETURN(Endpoint e, ReadEndpoint(q));
      out.push_back(std::move(e));
    }
  }

  Result<std::vector<std::string>> UsedAddresses(std::string_view network) override {
    Query q(db_,
            "SELECT ipv4 FROM endpoints WHERE network = ?1 AND ipv4 IS NOT "
            "NULL UNION ALL SELECT ipv6 FROM endpoints WHERE network = ?1 "
            "AND ipv6 IS NOT NULL");
    q.Text(network);
    std::vector<std::string> out;
    for (;;) {
      WEFT_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) return out;
      out.push_back(q.ColText(0));
    }
  }

  Status PutPort(std::string_view container, const PortMapping& m) override {
    WEFT_RETURN_IF_ERROR(CheckWritable());
    WEFT_RETURN_IF_ERROR(CheckExists("containers", "container", container));
    Query taken(db_,
                "SELECT container, host_ip FROM ports WHERE protocol = ? AND "
                "host_port = ? ORDER BY container, host_ip");
    taken.Text(m.protocol).Int(m.host_port);
    for (;;) {
      WEFT_ASSIGN_OR_RETURN(bool row, taken.Step());
      if (!row) break;
      std::string owner = taken.ColText(0), host_ip = taken.ColText(1);
      if (owner == container && host_ip == m.host_ip) continue;  // replace
      if (!HostIpsOverlap(host_ip, m.host_ip)) continue;
      return AlreadyExists("host port " + std::to_string(m.host_port) + "/" + m.protocol +
                           " is already in use by container " + Quote(owner) + " (on " +
                           (host_ip.empty() ? "all addresses" : host_ip) + ")");
    }
    Query q(db_, "INSERT INTO ports(" + std::string(kPortCols) +
                     ") VALUES (?, ?, ?, ?, ?) "
                     "ON CONFLICT(protocol, host_ip, host_port) DO UPDATE SET "
                     "container = excluded.container, "
                     "container_port = excluded.container_port");
    q.Text(container).Text(m.protocol).Text(m.host_ip).Int(m.host_port);
    q.Int(m.container_port);
    return q.Run();
  }

  Status DeletePorts(std::string_view container) override {
    WEFT_RETURN_IF_ERROR(CheckWritable());
    Query q(db_, "DELETE FROM ports WHERE container = ?");
    q.Text(container);
    return q.Run();
  }

  Result<std::vector<std::pair<std::string, PortMapping>>> ListPorts() override {
    Query q(db_, Select(kPortCols,
                        "FROM ports ORDER BY container, protocol, host_ip, "
                        "host_port"));
    std::vector<std::pair<std::string, PortMapping>> out;
    for (;;) {
      WEFT_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) return out;
      out.push_back(ReadPort(q));
    }
  }

  Result<std::optional<std::string>> GetMeta(std::string_view key) override {
    Query q(db_, "SELECT value FROM meta WHERE key = ?");
    q.Text(key);
    return QueryOneText(q);
  }

  Status PutMeta(std::string_view key, std::string_view value) override {
    WEFT_RETURN_IF_ERROR(CheckWritable());
    Query q(db_,
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    q.Text(key).Text(value);
    return q.Run();
  }

 private:
  Status CheckWritable() const {
    if (writable_) return Status::Ok();
    return FailedPrecondition("write in a read-only transaction (Store::View)");
  }

  // kNotFound `<noun> "name" not found` unless table has a row named `name`.
  Status CheckExists(std::string_view table, std::string_view noun, std::string_view name) {
    Query q(db_, "SELECT 1 FROM " + std::string(table) + " WHERE name = ?");
    q.Text(name);
    WEFT_ASSIGN_OR_RETURN(bool found, QueryExists(q));
    if (found) return Status::Ok();
    return NotFound(std::string(noun) + " " + Quote(name) + " not found");
  }

  // Attaches endpoints and ports to `containers` (sorted by name). `where`
  // is "" for all rows or "WHERE container = ?" with `key` bound.
  Status FillContainers(std::vector<Container>& containers, std::string_view where,
                        std::string_view key) {
    std::map<std::string, Container*, std::less<>> by_name;
    for (Container& c : containers) by_name[c.name] = &c;
    Query eq(db_, Select(kEndpointCols,
                         "FROM endpoints " + std::string(where) + " ORDER BY container, network"));
    Query pq(db_, Select(kPortCols, "FROM ports " + std::string(where) +
                                        " ORDER BY container, protocol, "
                                        "host_ip, host_port"));
    if (!where.empty()) {
      eq.Text(key);
      pq.Text(key);
    }
    for (;;) {
      WEFT_ASSIGN_OR_RETURN(bool row, eq.Step());
      if (!row) break;
      WEFT_ASSIGN_OR_RETURN(Endpoint e, ReadEndpoint(eq));
      auto it = by_name.find(e.container);
      if (it != by_name.end()) it->second->endpoints.push_back(std::move(e));
    }
    for (;;) {
      WEFT_ASSIGN_OR_RETURN(bool row, pq.Step());
      if (!row) break;
      auto [container, mapping] = ReadPort(pq);
      auto it = by_name.find(container);
      if (it != by_name.end()) it->second->ports.push_back(std::move(mapping));
    }
    return Status::Ok();
  }

  sqlite3* db_;
  bool writable_;
};

// Rolls back the open transaction on scope exit unless dismissed.
class RollbackGuard {
 public:
  explicit RollbackGuard(sqlite3* db) : db_(db) {}
  ~RollbackGuard() {
    if (db_ != nullptr && sqlite3_get_autocommit(db_) == 0) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  void Dismiss() { db_ = nullptr; }
  RollbackGuard(const RollbackGuard&) = delete;
  RollbackGuard& operator=(const RollbackGuard&) = delete;

 private:
  sqlite3* db_;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(DbPtr db) : db_(std::move(db)) {}

  Status Update(const std::function<Status(Tx&)>& fn) override {
    return Run(fn, /*writable=*/true);
  }
  Status View(const std::function<Status(Tx&)>& fn) override { return Run(fn, /*writable=*/false); }

  Result<int64_t> OthersChangeCount() override {
    std::lock_guard<std::mutex> lock(mu_);
    Query q(db_.get(), "PRAGMA data_version");
    WEFT_ASSIGN_OR_RETURN(auto v, QueryOneText(q));
    if (!v) return Internal("PRAGMA data_version returned nothing");
    return static_cast<int64_t>(std::stoll(*v));
  }

 private:
  Status Run(const std::function<Status(Tx&)>& fn, bool writable) {
    if (owner_.load() == std::this_thread::get_id()) {
      return FailedPrecondition("Store::Update/View called inside another transaction");
    }
    std::lock_guard<std::mutex> lock(mu_);
    owner_.store(std::this_thread::get_id());
    struct ClearOwner {
      std::atomic<std::thread::id>& owner;
      ~ClearOwner() { owner.store(std::thread::id()); }
    } clear_owner{owner_};

    sqlite3* db = db_.get();
    WEFT_RETURN_IF_ERROR(Exec(db, "begin transaction", writable ? "BEGIN IMMEDIATE" : "BEGIN"));
    RollbackGuard guard(db);
    SqliteTx tx(db, writable);
    WEFT_RETURN_IF_ERROR(fn(tx));
    WEFT_RETURN_IF_ERROR(Exec(db, "commit", "COMMIT"));
    guard.Dismiss();
    return Status::Ok();
  }

  std::mutex mu_;
  DbPtr db_;  // GUARDED_BY(mu_)
  // The thread inside Run(), to refuse nested transactions without deadlock.
  std::atomic<std::thread::id> owner_;
};

Result<int> UserVersion(sqlite3* db) {
  Query q(db, "PRAGMA user_version");
  WEFT_ASSIGN_OR_RETURN(auto v, QueryOneText(q));
  return v ? std::atoi(v->c_str()) : 0;
}

// Applies the missing migrations, each in its own write transaction. Another
// process may be migrating at the same time, so the version is re-read under
// the write lock.
Status Migrate(sqlite3* db, const std::string& path, std::span<const std::string_view> migrations) {
  const int latest = static_cast<int>(migrations.size());
  for (bool locked = false;; locked = true) {
    std::optional<RollbackGuard> guard;
    if (locked) {
      WEFT_RETURN_IF_ERROR(Exec(db, "begin migration", "BEGIN IMMEDIATE"));
      guard.emplace(db);
    }
    WEFT_ASSIGN_OR_RETURN(int version, UserVersion(db));
    if (version > latest) {
      return FailedPrecondition("state database " + path + " has schema version " +
                                std::to_string(version) +
                                " but this weft only knows versions up to " +
                                std::to_string(latest) + "; it was written by a newer weft");
    }
    if (version == latest) return Status::Ok();  // guard ends the transaction
    if (!locked) continue;
    std::string what = "migrate to schema version " + std::to_string(version + 1);
    WEFT_RETURN_IF_ERROR(Exec(db, what,
                              std::string(migrations[version]) +
                                  "\nPRAGMA user_version = " + std::to_string(version + 1) + ";"));
    WEFT_RETURN_IF_ERROR(Exec(db, what, "COMMIT"));
    guard->Dismiss();
  }
}

// Switches to WAL. Changing the journal mode needs an exclusive lock, which
// SQLite does not wait for, so retry until the busy timeout.
Status UseWal(sqlite3* db, int busy_timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  for (;;) {
    Query q(db, "PRAGMA journal_mode = WAL");
    auto mode = QueryOneText(q);
    if (mode.ok()) {
      if (*mode == "wal" || *mode == "memory") return Status::Ok();
      return FailedPrecondition("cannot use WAL journal mode (got " + mode->value_or("nothing") +
                                ")");
    }
    if (mode.status().code() != Code::kUnavailable ||
        std::chrono::steady_clock::now() >= deadline) {
      return mode.status();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// mkdir -p for the directory holding `path`; creates with mode 0700.
Status MakeParentDirs(const std::string& path) {
  size_t end = path.rfind('/');
  if (end == std::string::npos || end == 0) return Status::Ok();
  for (size_t pos = path.find('/', 1);; pos = path.find('/', pos + 1)) {
    std::string dir = path.substr(0, pos);
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0 && ::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return StatusFromErrno("mkdir " + dir, errno);
    }
    if (pos == end) return Status::Ok();
  }
}

DbPtr OpenDb(const std::string& path, int flags, Status* status) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    *status = StatusFromSqlite("open", rc, raw);
    return nullptr;
  }
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  return OpenSqliteStore(path, SqliteOptions());
}

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const SqliteOptions& options) {
  auto open = [&]() -> Result<std::unique_ptr<Store>> {
    if (path != ":memory:") WEFT_RETURN_IF_ERROR(MakeParentDirs(path));
    Status s;
    DbPtr db = OpenDb(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &s);
    if (db == nullptr) return s;
    sqlite3_busy_timeout(db.get(), options.busy_timeout_ms);
    WEFT_RETURN_IF_ERROR(UseWal(db.get(), options.busy_timeout_ms));
    WEFT_RETURN_IF_ERROR(Exec(db.get(), "set pragmas",
                              "PRAGMA synchronous = NORMAL; "
                              "PRAGMA foreign_keys = ON;"));
    WEFT_RETURN_IF_ERROR(Migrate(db.get(), path, options.migrations));
    return std::unique_ptr<Store>(new SqliteStore(std::move(db)));
  };
  auto store = open();
  if (!store.ok()) return store.status().Wrap("open state database " + path);
  return store;
}

Status CheckSqliteIntegrity(const std::string& path) {
  Status s;
  DbPtr db = OpenDb(path, SQLITE_OPEN_READWRITE, &s);
  if (db == nullptr) return s.Wrap("check " + path);
  sqlite3_busy_timeout(db.get(), SqliteOptions().busy_timeout_ms);
  std::string problems;
  Query integrity(db.get(), "PRAGMA integrity_check");
  for (;;) {
    WEFT_ASSIGN_OR_RETURN(bool row, integrity.Step());
    if (!row) break;
    if (integrity.ColText(0) != "ok") problems += "; " + integrity.ColText(0);
  }
  Query fk(db.get(), "PRAGMA foreign_key_check");
  for (;;) {
    WEFT_ASSIGN_OR_RETURN(bool row, fk.Step());
    if (!row) break;
    problems += "; row " + fk.ColText(1) + " of table " + fk.ColText(0) + " references a missing " +
                fk.ColText(2);
  }
  if (problems.empty()) return Status::Ok();
  return FailedPrecondition("state database " + path + " is damaged: " + problems.substr(2));
}

}  // namespace weft::store
