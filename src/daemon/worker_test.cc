#include "daemon/worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace weft::daemon {
namespace {

// An event loop on a thread of its own, as weftd's.
class WorkerTestLoop {
 public:
  WorkerTestLoop() : work_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~WorkerTestLoop() {
    work_.reset();
    thread_.join();
  }
  asio::io_context& io() { return io_; }
  std::thread::id id() const { return thread_.get_id(); }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

TEST(Worker, RunsJobsInOrderOnItsThreadAndResultsComeBackOnTheLoop) {
  WorkerTestLoop loop;
  Worker worker;
  EXPECT_NE(worker.thread_id(), std::this_thread::get_id());
  std::vector<int> ran;      // the worker's
  std::vector<int> results;  // the loop's
  std::promise<void> all_back;
  constexpr int kJobs = 50;
  for (int i = 0; i < kJobs; ++i) {
    worker.Call(
        loop.io().get_executor(),
        [&, i] {
          EXPECT_TRUE(worker.OnWorkerThread());
          ran.push_back(i);
          return i * 2;
        },
        [&, i](int r) {
          EXPECT_EQ(std::this_thread::get_id(), loop.id());
          EXPECT_EQ(r, i * 2);
          results.push_back(r);
          if (results.size() == kJobs) all_back.set_value();
        });
  }
  ASSERT_EQ(all_back.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  worker.Stop();  // joins: `ran` is ours to read now
  ASSERT_EQ(ran.size(), size_t{kJobs});
  for (int i = 0; i < kJobs; ++i) {
    EXPECT_EQ(ran[i], i);
    EXPECT_EQ(results[i], i * 2);
  }
}

TEST(Worker, StopLetsTheRunningJobFinishAndDropsTheQueuedOnes) {
  Worker worker;
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> first_done{false};
  std::atomic<bool> second_ran{false};
  worker.Post([&] {
    started.set_value();
    released.wait();
    first_done = true;
  });
  worker.Post([&] { second_ran = true; });
  started.get_future().wait();
  EXPECT_EQ(worker.queued(), 1u);
  std::thread stopper([&] { worker.Stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  release.set_value();
  stopper.join();
  EXPECT_TRUE(first_done);
  EXPECT_FALSE(second_ran);
  EXPECT_EQ(worker.queued(), 0u);
  worker.Post([&] { second_ran = true; });  // after Stop: dropped
  EXPECT_FALSE(second_ran);
}

TEST(Worker, AJobThatThrowsDoesNotStopTheWorker) {
  Worker worker;
  worker.Post([] { throw std::runtime_error("boom"); });
  std::promise<std::thread::id> next;
  worker.Post([&] { next.set_value(std::this_thread::get_id()); });
  auto f = next.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(f.get(), worker.thread_id());
}

}  // namespace
}  // namespace weft::daemon
