#pragma once
// SIGINT and SIGTERM noted instead of killing the process, for the span of a
// command that must undo what it did (weft trace removes its trace rules).
// While a guard lives, those signals interrupt blocking calls (EINTR: no
// SA_RESTART) and set a flag; the destructor restores the previous handlers.
// One guard at a time per process; not for weftd's threads.

namespace weft::core {

class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  // The signal received while the guard lived, or 0.
  int signal() const;
};

}  // namespace weft::core
