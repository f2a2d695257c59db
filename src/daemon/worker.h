#pragma once

// weftd's worker: the one thread on which weftd runs plans. Every job that
// changes the host or weft's state (a Docker driver request, the openings
// keeper's check and repair, and the overlay reconciler to come, issue #13)
// is posted here, never run on the event loop. Jobs run one at a time, in
// the order posted, so plans from weftd never race each other (weft's state
// lock still orders them against weft commands and CNI calls).
//
// Why a thread of its own: a plan may setns() its thread into a container's
// namespace (recovery after a reboot reattaches and configures veths in
// there, through netns::NetnsGuard), and it may take seconds (the state
// lock, the kernel). The event loop meanwhile answers the control socket,
// keeps the DNS servers in step and binds their sockets, which must happen
// in the host's namespace. After every job the worker checks that its
// thread is still in the namespace it started in; a job that left it
// elsewhere (a bug: NetnsGuard switches back or aborts) is logged and the
// thread is switched back, or weftd aborts if it cannot be.
//
// How the event loop uses it (the HTTP response to a Docker request):
//
//   worker.Call(loop.get_executor(),
//               [req] { return driver.Handle(req); },           // on the worker
//               [session](Reply r) { session->Write(r); });     // back on the loop
//
// Rules for jobs: a job must not wait for the event loop (the loop joins
// the worker when weftd stops, so waiting would deadlock); it hands results
// back through Call's `done` (or its own asio::post), which runs on the loop.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

#include "dns/asio.h"

namespace weft::daemon {

class Worker {
 public:
  using Job = std::function<void()>;

  Worker();   // starts the thread
  ~Worker();  // Stop()
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Queues `job` to run on the worker thread. Thread: any. After Stop(),
  // the job is dropped (destroyed on the calling thread, never run).
  void Post(Job job);

  // Runs `job()` on the worker thread, then `done(result)` on `loop` (an
  // executor of the event loop; asio::post). The way an event-loop handler
  // waits for a plan without blocking. `done` does not run when the worker
  // is stopped first, nor when the loop is not run any more; both closures
  // are then destroyed on the thread that stops the worker or destroys the
  // loop. A job that throws is logged and its `done` dropped. Both closures
  // must be copyable (they travel in std::function).
  template <typename Executor, typename JobFn, typename DoneFn>
  void Call(const Executor& loop, JobFn job, DoneFn done) {
    using T = std::invoke_result_t<JobFn&>;
    Post([loop, job = std::move(job), done = std::move(done)]() mutable {
      if constexpr (std::is_void_v<T>) {
        job();
        asio::post(loop, std::move(done));
      } else {
        asio::post(loop, [done = std::move(done), r = job()]() mutable { done(std::move(r)); });
      }
    });
  }

  // Lets the running job finish, joins the thread and drops the jobs still
  // queued. Idempotent. Thread: any but the worker's own.
  void Stop();

  // The worker thread's id (for checks and tests: jobs run there).
  std::thread::id thread_id() const { return thread_id_; }
  bool OnWorkerThread() const { return std::this_thread::get_id() == thread_id_; }
  // Jobs queued and not yet started (for weftd's status).
  size_t queued() const;

 private:
  void Loop();

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;   // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
  std::thread::id thread_id_;
};

}  // namespace weft::daemon
