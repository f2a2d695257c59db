#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace weft::store {

// A complete Store in memory (store::Open("memory:")): the same semantics
// as the SQLite backend — the rules of rules.h, sorted reads, cascading
// deletes, Update all-or-nothing (each Update works on a copy that replaces
// the state only when fn returns OK), View read-only, nested transactions
// refused — for tests and dry runs. Private to the returned Store: nothing
// else shares it, so OthersChangeCount() never changes. Its change lock is
// in-process. `node` is its local node (CheckNodeName must accept it).
std::unique_ptr<Store> NewMemoryStore(std::string node);

}  // namespace weft::store
