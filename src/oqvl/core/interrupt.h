// Ctrl-C (SIGINT) and SIGTERM for long commands: a command that calls catch_interrupts() keeps
// running when one arrives, and its loops call throw_if_interrupted() at safe points (between
// samples, shards, steps), so the work stops there and unwinds: outputs in progress are
// abandoned by AtomicFile / AtomicDir (never a complete-looking partial), finished ones stay,
// and a rerun resumes. The CLI reports Interrupted as one "oqvl: interrupted (SIGTERM): ..." line
// and exits 128 + the signal (130 SIGINT, 143 SIGTERM), as a shell does for a killed program.
// A second signal a second or more after the first ends the process at once (the default
// action: the user insists); one sooner is the same stop delivered twice (a terminal's Ctrl-C
// reaches `oqvl launch` and its ranks, and the launcher passes it on) and is ignored.
// Commands that never call catch_interrupts() keep the default action (killed at once).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace oqvl {

// Thrown at a safe point after a caught signal. Not an oqvl::Error (bad input): code that
// catches those, or skips bad samples, must let it through.
class Interrupted : public std::runtime_error {
 public:
  Interrupted(int signal, const std::string& message) : std::runtime_error(message), signal_(signal) {}
  int signal() const { return signal_; }

 private:
  int signal_;
};

// Installs the SIGINT and SIGTERM handlers (once per process).
void catch_interrupts();

// The first caught signal's number, or 0 if none arrived.
int interrupt_signal();
inline bool interrupted() { return interrupt_signal() != 0; }

// Throws Interrupted if a signal arrived: "WHAT stopped (finished outputs kept, unfinished ones
// removed); rerun to resume". Test hook (tests/cli/interrupt_data.sh): OQVL_FAULT_POLL_SLEEP_US=N
// sleeps N microseconds at every call, so a small job runs long enough to be signalled mid-way
// on any machine.
void throw_if_interrupted(std::string_view what);

// "SIGINT", "SIGTERM", else "signal N".
std::string signal_name(int signal);

// The exit code of a command stopped by `signal`: 128 + signal.
inline int interrupted_exit_code(int signal) { return 128 + signal; }

// Test hook: forgets a caught signal (the handlers stay installed).
void clear_interrupt_for_tests();

}  // namespace oqvl
