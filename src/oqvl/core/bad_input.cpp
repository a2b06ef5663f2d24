#include "oqvl/core/bad_input.h"

namespace oqvl {

void SkipCounter::add(const std::string& reason, std::uint64_t n) {
  std::lock_guard lock(mutex_);
  counts_[reason] += n;
}

std::uint64_t SkipCounter::total() const {
  std::lock_guard lock(mutex_);
  std::uint64_t sum = 0;
  for (const auto& [reason, n] : counts_) sum += n;
  return sum;
}

std::map<std::string, std::uint64_t> SkipCounter::by_reason() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

void SkipCounter::merge(const SkipCounter& other) {
  auto theirs = other.by_reason();
  std::lock_guard lock(mutex_);
  for (const auto& [reason, n] : theirs) counts_[reason] += n;
}

}  // namespace oqvl
