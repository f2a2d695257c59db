#include "store/schema.h"

namespace weft::store {
namespace {

// v1: the first schema. Lists (dns, aliases, labels, subnets) are JSON text.
// Empty ipv4/ipv6 are stored as NULL, which the UNIQUE indexes let repeat.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE networks (
  name         TEXT PRIMARY KEY,
  driver       TEXT NOT NULL,
  bridge       TEXT NOT NULL,
  internal     INTEGER NOT NULL,
  ipv6         INTEGER NOT NULL,
  icc          INTEGER NOT NULL,
  mtu          INTEGER NOT NULL,
  subnets      TEXT NOT NULL,
  dns          TEXT NOT NULL,
  labels       TEXT NOT NULL,
  created_unix INTEGER NOT NULL
);
CREATE TABLE containers (
  name         TEXT PRIMARY KEY,
  netns_path   TEXT NOT NULL,
  mode         TEXT NOT NULL,
  hostname     TEXT NOT NULL,
  created_unix INTEGER NOT NULL
);
CREATE TABLE endpoints (
  container   TEXT NOT NULL REFERENCES containers(name) ON DELETE CASCADE,
  network     TEXT NOT NULL REFERENCES networks(name),
  ifname      TEXT NOT NULL,
  host_ifname TEXT NOT NULL,
  mac         TEXT NOT NULL,
  ipv4        TEXT,
  ipv6        TEXT,
  aliases     TEXT NOT NULL,
  PRIMARY KEY (container, network)
);
CREATE UNIQUE INDEX endpoints_network_ipv4 ON endpoints(network, ipv4);
CREATE UNIQUE INDEX endpoints_network_ipv6 ON endpoints(network, ipv6);
CREATE TABLE ports (
  container      TEXT NOT NULL REFERENCES containers(name) ON DELETE CASCADE,
  protocol       TEXT NOT NULL,
  host_ip        TEXT NOT NULL,
  host_port      INTEGER NOT NULL,
  container_port INTEGER NOT NULL,
  PRIMARY KEY (protocol, host_ip, host_port)
);
CREATE INDEX ports_container ON ports(container);
)sql";

// v2: a network's embedded DNS can be turned off (network create --disable-dns).
constexpr std::string_view kV2 = R"sql(
ALTER TABLE networks ADD COLUMN dns_enabled INTEGER NOT NULL DEFAULT 1;
)sql";

// v3: CNI attachments. A container whose namespace belongs to the runtime
// (weft neither creates nor deletes it), and the runtime's container id.
constexpr std::string_view kV3 = R"sql(
ALTER TABLE containers ADD COLUMN external_netns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE containers ADD COLUMN cni_container_id TEXT NOT NULL DEFAULT '';
)sql";

// v4: Docker endpoints, whose inner end weft hands to dockerd in the host
// namespace (Endpoint::handoff).
constexpr std::string_view kV4 = R"sql(
ALTER TABLE endpoints ADD COLUMN handoff INTEGER NOT NULL DEFAULT 0;
)sql";

// v5: containers live on a node (a host), so hosts sharing a store keep
// their containers apart; an endpoint's node is its container's. A table of
// its own rather than a column, so the containers rows read as before. The
// host identity is kept per node. Existing rows get the node of the host
// that migrates (temp.weft_migration, filled by the migrating connection).
constexpr std::string_view kV5 = R"sql(
CREATE TABLE container_nodes (
  container TEXT PRIMARY KEY REFERENCES containers(name) ON DELETE CASCADE,
  node      TEXT NOT NULL
);
CREATE INDEX container_nodes_node ON container_nodes(node);
INSERT INTO container_nodes(container, node)
  SELECT name, (SELECT node FROM temp.weft_migration) FROM containers;
UPDATE meta SET key = 'host_identity/' || (SELECT node FROM temp.weft_migration)
  WHERE key = 'host_identity';
)sql";

// v6: services (issue #14): a VIP on a network and its backends, with the
// health weftd last recorded for each. Settings other than name, network and
// VIP are one JSON column.
constexpr std::string_view kV6 = R"sql(
CREATE TABLE services (
  name         TEXT PRIMARY KEY,
  network      TEXT NOT NULL REFERENCES networks(name),
  vip          TEXT NOT NULL,
  spec         TEXT NOT NULL,
  created_unix INTEGER NOT NULL
);
CREATE TABLE service_backends (
  service         TEXT NOT NULL REFERENCES services(name) ON DELETE CASCADE,
  container       TEXT NOT NULL REFERENCES containers(name) ON DELETE CASCADE,
  health          TEXT NOT NULL,
  detail          TEXT NOT NULL,
  checked_unix_ms INTEGER NOT NULL,
  PRIMARY KEY (service, container)
);
CREATE INDEX service_backends_container ON service_backends(container);
)sql";

constexpr std::string_view kMigrations[] = {kV1, kV2, kV3, kV4, kV5, kV6};

}  // namespace

std::span<const std::string_view> SchemaMigrations() { return kMigrations; }

}  // namespace weft::store
