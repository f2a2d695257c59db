#include "daemon/state_reader.h"

#include <unistd.h>

#include "store/open.h"

namespace weft::daemon {

Result<StateReader::View> StateReader::Read() {
  if (::access(db_path_.c_str(), F_OK) != 0) {
    // No store, or a state dir wiped: the next one is opened afresh.
    store_.reset();
    seen_changes_.reset();
    if (view_.snapshot) view_ = View{nullptr, view_.generation + 1};
    return view_;
  }
  if (!store_) {
    WEFT_ASSIGN_OR_RETURN(store_, store::Open(store::SqliteUrl(db_path_)));
    seen_changes_.reset();
  }
  WEFT_ASSIGN_OR_RETURN(int64_t changes, store_->OthersChangeCount());
  if (seen_changes_ != changes || !view_.snapshot) {
    WEFT_ASSIGN_OR_RETURN(core::Snapshot snap, core::ReadSnapshot(*store_));
    view_ = View{std::make_shared<const core::Snapshot>(std::move(snap)), view_.generation + 1};
    seen_changes_ = changes;
  }
  return view_;
}

}  // namespace weft::daemon
