// What to do with bad input found in the middle of long work (a corrupt tar member, an image
// that does not decode): stop with an error (the default), or skip it, count it and go on.
// Counts are kept per reason so every command can report exactly what it skipped.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace oqvl {

enum class OnBadInput { kFail, kSkip };

// Thread-safe counts of skipped items by reason ("truncated tar", "undecodable image", ...).
class SkipCounter {
 public:
  void add(const std::string& reason, std::uint64_t n = 1);
  std::uint64_t total() const;
  std::map<std::string, std::uint64_t> by_reason() const;
  // Adds another counter's counts into this one.
  void merge(const SkipCounter& other);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> counts_;
};

}  // namespace oqvl
