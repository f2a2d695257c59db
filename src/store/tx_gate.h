#pragma once

// How a Store admits transactions, for every backend: one at a time, and
// never one inside another on the same thread (Store's REQUIRES), which is
// refused instead of deadlocking.

#include <atomic>
#include <mutex>
#include <thread>

#include "base/status.h"

namespace weft::store {

class TxGate {
 public:
  // Runs `body` alone. kFailedPrecondition when the calling thread is
  // already inside Run on this gate.
  template <typename Body>
  Status Run(Body&& body) {
    if (owner_.load() == std::this_thread::get_id()) {
      return FailedPrecondition("Store::Update/View called inside another transaction");
    }
    std::lock_guard<std::mutex> lock(mu_);
    owner_.store(std::this_thread::get_id());
    struct ClearOwner {
      std::atomic<std::thread::id>& owner;
      ~ClearOwner() { owner.store(std::thread::id()); }
    } clear_owner{owner_};
    return body();
  }

  // The mutex Run holds, for short reads outside a transaction.
  std::mutex& mutex() { return mu_; }

 private:
  std::mutex mu_;
  std::atomic<std::thread::id> owner_;  // the thread inside Run
};

}  // namespace weft::store
