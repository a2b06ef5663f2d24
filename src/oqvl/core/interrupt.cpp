#include "oqvl/core/interrupt.h"

#include <fmt/format.h>
#include <signal.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace oqvl {
namespace {

constexpr long long kRepeatNs = 1'000'000'000;  // a second signal sooner is a duplicate

std::atomic<int> g_signal{0};
std::atomic<long long> g_first_ns{0};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<long long>::is_always_lock_free,
              "the signal handler may only touch lock-free atomics");

long long monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);  // async-signal-safe
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

void on_signal(int sig) {
  const long long now = monotonic_ns();
  int none = 0;
  if (g_signal.compare_exchange_strong(none, sig)) {
    g_first_ns.store(now);
    return;
  }
  if (now - g_first_ns.load() < kRepeatNs) return;
  // The default action: blocked while this handler runs, it ends the process when it returns.
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

void catch_interrupts() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    // SA_RESTART: system calls in flight carry on; the loops poll the flag.
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
  });
}

int interrupt_signal() { return g_signal.load(std::memory_order_relaxed); }

void throw_if_interrupted(std::string_view what) {
  static const long sleep_us = [] {
    const char* v = std::getenv("OQVL_FAULT_POLL_SLEEP_US");
    return v ? std::strtol(v, nullptr, 10) : 0L;
  }();
  if (sleep_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  if (const int sig = interrupt_signal())
    throw Interrupted(
        sig,
        fmt::format("{} stopped (finished outputs kept, unfinished ones removed); rerun to resume", what));
}

std::string signal_name(int signal) {
  if (signal == SIGINT) return "SIGINT";
  if (signal == SIGTERM) return "SIGTERM";
  return fmt::format("signal {}", signal);
}

void clear_interrupt_for_tests() { g_signal.store(0); }

}  // namespace oqvl
