#pragma once

// weftd's one reading of weft's store on the event loop. The DNS servers
// and the health checks work from the same snapshot, read again only when
// another Store committed since (a weft command, weftd's worker recording
// a health change); a reload reads the store once, not once per part.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "core/snapshot.h"
#include "store/store.h"

namespace weft::daemon {

class StateReader {
 public:
  explicit StateReader(std::string db_path) : db_path_(std::move(db_path)) {}

  struct View {
    // nullptr: no store (none yet, or the state directory was wiped).
    std::shared_ptr<const core::Snapshot> snapshot;
    // Changes whenever `snapshot` was read anew; equal: the same state.
    uint64_t generation = 0;
  };

  // The store's state now. Thread: the loop.
  Result<View> Read();

 private:
  std::string db_path_;
  std::unique_ptr<store::Store> store_;
  std::optional<int64_t> seen_changes_;  // the store's change count at the last read
  View view_;
};

}  // namespace weft::daemon
