#include "oqvl/core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

#include "oqvl/core/log_prefix.h"

namespace oqvl::log {
namespace {
std::atomic<Level> g_level{Level::kInfo};
std::mutex g_mutex;  // keeps lines from different threads whole
std::string& prefix_storage() {
  static std::string p;
  return p;
}
}  // namespace

void set_prefix(std::string prefix) { prefix_storage() = std::move(prefix); }
const std::string& prefix() { return prefix_storage(); }

void set_level(Level level) { g_level.store(level); }
Level level() { return g_level.load(std::memory_order_relaxed); }

void write(Level level, std::string_view message) {
  static constexpr const char* kPrefix[] = {"debug: ", "", "warning: ", "error: ", ""};
  std::lock_guard lock(g_mutex);
  std::fputs(prefix_storage().c_str(), stderr);
  std::fputs(kPrefix[static_cast<int>(level)], stderr);
  std::fwrite(message.data(), 1, message.size(), stderr);
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace oqvl::log
