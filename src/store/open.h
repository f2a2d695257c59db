#pragma once

// Opening a store by URL: the one place that knows which backends exist.

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "store/store.h"

namespace weft::store {

struct OpenOptions {
  // This host's node name (Store::node()). "" for the default: WEFT_NODE,
  // else the name kept in the state directory (for sqlite://, the
  // database's directory), else the host's name (node.h).
  std::string node;
};

// Opens the store `url` names:
//   sqlite://PATH  the SQLite database at PATH, created (with its parent
//                  directories) and migrated if needed. PATH is everything
//                  after "sqlite://": "sqlite:///var/lib/weft/weft.db" is
//                  weft's default (<state-dir>/weft.db, see SqliteUrl).
//   memory:        a new, private, empty in-memory store (tests, dry runs).
// kInvalidArgument naming the scheme for any other URL. A new backend
// (etcd://, issue #13) is one more case in Open and its own files.
Result<std::unique_ptr<Store>> Open(std::string_view url, const OpenOptions& options = {});

// The URL of the SQLite database at `path`: "sqlite://" + path.
std::string SqliteUrl(std::string_view path);

}  // namespace weft::store
