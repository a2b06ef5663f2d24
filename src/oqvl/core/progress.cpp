#include "oqvl/core/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace oqvl {
namespace {
std::atomic<bool> g_enabled{true};

std::string format_duration(double seconds) {
  auto s = static_cast<long long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}
}  // namespace

void set_progress_enabled(bool enabled) { g_enabled.store(enabled); }

Progress::Progress(std::string label, std::uint64_t total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      start_(std::chrono::steady_clock::now()),
      last_report_(start_),
      tty_(isatty(STDERR_FILENO) != 0) {}

Progress::~Progress() { finish(); }

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::add(std::uint64_t n) {
  done_.fetch_add(n, std::memory_order_relaxed);
  if (!g_enabled.load(std::memory_order_relaxed)) return;
  auto now = std::chrono::steady_clock::now();
  // A terminal is redrawn 5 times a second; a log file gets a line every 10 seconds.
  auto interval = tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(10000);
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock() || now - last_report_ < interval) return;
  last_report_ = now;
  report(false);
}

void Progress::finish() {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (g_enabled.load()) report(true);
}

void Progress::report(bool final) {
  double elapsed = elapsed_seconds();
  std::uint64_t done = done_.load();
  double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  std::string line = fmt::format("{}: {}", label_, done);
  if (total_ > 0) line += fmt::format("/{} ({:.0f}%)", total_, 100.0 * done / total_);
  line += fmt::format(" {} {:.1f}/s {}", unit_, rate, format_duration(elapsed));
  if (detail_) line += " " + detail_();
  if (!final && total_ > done && rate > 0) {
    line += " ETA " + format_duration(static_cast<double>(total_ - done) / rate);
  }
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
  } else if (!final || elapsed >= 1.0) {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace oqvl
