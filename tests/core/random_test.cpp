// SplitMix64: fixed values (the same on every platform), and save/restore of the state
// continuing the same sequence (what a trainer's checkpoint needs).
#include "oqvl/core/random.h"

#include <gtest/gtest.h>

#include <vector>

namespace oqvl {
namespace {

TEST(SplitMix64, KnownValues) {
  // Reference values of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
  SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(rng.next(), 0x6E789E6AA1B965F4ULL);
  EXPECT_EQ(rng.next(), 0x06C45D188009454FULL);
}

TEST(SplitMix64, RestoredStateContinuesTheSequence) {
  SplitMix64 rng(12345);
  for (int i = 0; i < 17; ++i) rng.next();
  rng.below(10);
  rng.uniform();
  std::uint64_t saved = rng.state();
  std::vector<std::uint64_t> want;
  for (int i = 0; i < 100; ++i) want.push_back(rng.next());
  SplitMix64 restored = SplitMix64::from_state(saved);
  EXPECT_EQ(restored.state(), saved);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(restored.next(), want[i]) << i;
  EXPECT_EQ(restored.state(), rng.state());
  // The seed is the initial state.
  EXPECT_EQ(SplitMix64(7).state(), 7u);
  EXPECT_EQ(SplitMix64::from_state(7).next(), SplitMix64(7).next());
}

}  // namespace
}  // namespace oqvl
