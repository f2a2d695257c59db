#include "daemon/worker.h"

#include <fcntl.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "base/unique_fd.h"

namespace weft::daemon {
namespace {

constexpr const char* kThreadNetns = "/proc/thread-self/ns/net";

// The calling thread's network namespace, as (device, inode); {0, 0} if
// /proc cannot say.
std::pair<dev_t, ino_t> ThreadNetns() {
  struct stat st {};
  if (::stat(kThreadNetns, &st) != 0) return {0, 0};
  return {st.st_dev, st.st_ino};
}

}  // namespace

Worker::Worker() {
  thread_ = std::thread([this] { Loop(); });
  thread_id_ = thread_.get_id();
}

Worker::~Worker() { Stop(); }

void Worker::Post(Job job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      jobs_.push_back(std::move(job));
      wake_.notify_one();
      return;
    }
  }
  // Stopped: `job` is destroyed here, outside the lock (its captures may
  // take their time to go).
}

size_t Worker::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.size();
}

void Worker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  std::deque<Job> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dropped.swap(jobs_);
  }
  // `dropped` goes here, on the stopping thread.
}

void Worker::Loop() {
  // The namespace this thread started in (the host's: weftd starts the
  // worker from its main thread), to come back to if a job left it.
  UniqueFd home(::open(kThreadNetns, O_RDONLY | O_CLOEXEC));
  const auto home_id = ThreadNetns();
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job();
    } catch (const std::exception& e) {
      spdlog::error("worker: a job failed: {}", e.what());
    }
    job = nullptr;  // its captures go before the next job starts
    if (home.valid() && ThreadNetns() != home_id) {
      spdlog::error(
          "worker: a job left the worker thread in another network namespace; "
          "switching back");
      if (::setns(home.get(), CLONE_NEWNET) != 0) {
        spdlog::critical("worker: cannot switch back to the host's namespace: {}",
                         std::strerror(errno));
        std::abort();
      }
    }
  }
}

}  // namespace weft::daemon
