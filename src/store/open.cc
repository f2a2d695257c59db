#include "store/open.h"

#include "store/memory_store.h"
#include "store/node.h"
#include "store/sqlite_store.h"

namespace weft::store {
namespace {

constexpr std::string_view kSqlitePrefix = "sqlite://";
constexpr std::string_view kMemoryUrl = "memory:";

}  // namespace

std::string SqliteUrl(std::string_view path) {
  return std::string(kSqlitePrefix) + std::string(path);
}

Result<std::unique_ptr<Store>> Open(std::string_view url, const OpenOptions& options) {
  if (url.starts_with(kSqlitePrefix)) {
    std::string path(url.substr(kSqlitePrefix.size()));
    if (path.empty()) return InvalidArgument("store URL \"" + std::string(url) + "\" has no path");
    SqliteOptions sqlite;
    sqlite.node = options.node;
    return OpenSqliteStore(path, sqlite);
  }
  if (url == kMemoryUrl) {
    std::string node = options.node;
    if (node.empty()) {
      WEFT_ASSIGN_OR_RETURN(node, LocalNodeName("", /*keep=*/false));
    }
    WEFT_RETURN_IF_ERROR(CheckNodeName(node));
    return NewMemoryStore(std::move(node));
  }
  // New backends go here: "etcd://" (issue #13).
  size_t colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgument("store URL \"" + std::string(url) +
                           "\" has no scheme (want sqlite://PATH or memory:)");
  }
  return InvalidArgument("unknown store URL scheme \"" + std::string(url.substr(0, colon)) +
                         "\" in \"" + std::string(url) + "\" (known: sqlite://PATH, memory:)");
}

}  // namespace weft::store
