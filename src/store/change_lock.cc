#include "store/change_lock.h"

#include <condition_variable>
#include <functional>
#include <mutex>

#include "base/file_lock.h"

namespace weft::store {
namespace {

class HeldFile final : public ChangeLock::Held {
 public:
  explicit HeldFile(FileLock lock) : lock_(std::move(lock)) {}

 private:
  FileLock lock_;
};

}  // namespace

Result<ChangeLock> AcquireFileChangeLock(const std::string& path) {
  WEFT_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(path));
  return ChangeLock(std::make_unique<HeldFile>(std::move(lock)));
}

Result<std::optional<ChangeLock>> TryAcquireFileChangeLock(const std::string& path) {
  WEFT_ASSIGN_OR_RETURN(std::optional<FileLock> lock, FileLock::TryAcquire(path));
  if (!lock) return std::optional<ChangeLock>();
  return std::optional<ChangeLock>(ChangeLock(std::make_unique<HeldFile>(std::move(*lock))));
}

// A flag under a mutex rather than the mutex itself: the holder may release
// on another thread than it took the lock on.
struct InProcessLock::State {
  std::mutex mu;
  std::condition_variable released;
  bool held = false;
};

namespace {

class HeldInProcess final : public ChangeLock::Held {
 public:
  using Release = std::function<void()>;
  explicit HeldInProcess(Release release) : release_(std::move(release)) {}
  ~HeldInProcess() override { release_(); }

 private:
  Release release_;
};

}  // namespace

InProcessLock::InProcessLock() : state_(std::make_shared<State>()) {}

ChangeLock InProcessLock::Acquire() {
  {
    std::unique_lock<std::mutex> lock(state_->mu);
    state_->released.wait(lock, [&] { return !state_->held; });
    state_->held = true;
  }
  return Holding(state_);
}

std::optional<ChangeLock> InProcessLock::TryAcquire() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->held) return std::nullopt;
    state_->held = true;
  }
  return Holding(state_);
}

ChangeLock InProcessLock::Holding(std::shared_ptr<State> state) {
  return ChangeLock(std::make_unique<HeldInProcess>([state = std::move(state)] {
    std::lock_guard<std::mutex> lock(state->mu);
    state->held = false;
    state->released.notify_one();
  }));
}

}  // namespace weft::store
