// Progress of long work: a redrawn status line (items/s, ETA) on a terminal, a plain log line
// every few seconds otherwise. Thread-safe: workers call add() concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace oqvl {

class Progress {
 public:
  // total = 0 when unknown (no ETA). unit names the items ("samples", "shards").
  Progress(std::string label, std::uint64_t total, std::string unit);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void add(std::uint64_t n = 1);
  // Text appended to every line (e.g. "success 93.1%"); called under the progress lock from
  // whichever thread reports. Set it before the work starts.
  void set_detail(std::function<std::string()> detail) { detail_ = std::move(detail); }
  // Prints the final line (count, rate, elapsed). Called by the destructor if not before.
  void finish();
  double elapsed_seconds() const;

 private:
  void report(bool final);

  std::string label_;
  std::string unit_;
  std::uint64_t total_;
  std::atomic<std::uint64_t> done_{0};
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_report_;
  std::mutex mutex_;
  std::function<std::string()> detail_;
  bool tty_;
  bool finished_ = false;
};

// Whether progress is shown at all (the CLI turns it off with --quiet).
void set_progress_enabled(bool enabled);

}  // namespace oqvl
