// A small deterministic random generator (SplitMix64). Unlike std::mt19937 + std
// distributions, its numbers are the same with every compiler and standard library, which is
// what reproducible data (demo sets, shuffles, mixtures) needs. Its whole state is one
// uint64, so a trainer checkpoints it with state() and resumes with from_state().
// Not thread-safe: one generator per thread or per task.
#pragma once

#include <cstdint>

namespace oqvl {

class SplitMix64 {
 public:
  // The seed is the initial state: SplitMix64(s) and from_state(s) are the same generator.
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

  // A generator that continues exactly where the one whose state() gave `state` was.
  static SplitMix64 from_state(std::uint64_t state) { return SplitMix64(state); }
  // The full state (to save in a checkpoint); every state is valid.
  std::uint64_t state() const { return state_; }

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) (n > 0); the modulo bias is below 2^-40 for the n used here.
  std::uint64_t below(std::uint64_t n) { return next() % n; }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

}  // namespace oqvl
