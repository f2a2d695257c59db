#pragma once

#include <span>
#include <string_view>

namespace weft::store {

// The SQLite schema history. Migration i (0-based) takes a database from
// `PRAGMA user_version` i to i+1, so the current schema version is
// SchemaMigrations().size(). Append new migrations; never edit shipped ones.
// A migration may read the migrating host's node name as
// `(SELECT node FROM temp.weft_migration)`.
std::span<const std::string_view> SchemaMigrations();

}  // namespace weft::store
