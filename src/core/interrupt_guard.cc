#include "core/interrupt_guard.h"

#include <signal.h>

namespace weft::core {
namespace {

// A signal handler can only reach a global; this one is written only by it.
volatile sig_atomic_t g_interrupt_signal = 0;
struct sigaction g_old_int, g_old_term;

void NoteSignal(int sig) { g_interrupt_signal = sig; }

}  // namespace

InterruptGuard::InterruptGuard() {
  g_interrupt_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = NoteSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll() and friends return EINTR
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
}

int InterruptGuard::signal() const { return g_interrupt_signal; }

}  // namespace weft::core
