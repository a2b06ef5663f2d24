// Property tests of first-fit-decreasing: the fast tree-based first fit against the O(n*bins)
// reference, every item once, bins within capacity, the first-fit invariant, and the fill on
// caption lengths like the paper's.
#include "oqvl/data/pack/first_fit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "oqvl/core/random.h"

namespace oqvl::data {
namespace {

std::uint64_t bin_sum(const std::vector<std::size_t>& bin, const std::vector<std::uint32_t>& lengths) {
  std::uint64_t sum = 0;
  for (std::size_t i : bin) sum += lengths[i];
  return sum;
}

// Multimodal lengths of caption samples like the paper's (~176 on average): 143 + <s> IMG \n
// ... <|im_end|> around captions of ~30 tokens with a long right tail.
std::vector<std::uint32_t> paper_like_lengths(std::size_t n, std::uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<std::uint32_t> lengths(n);
  for (auto& len : lengths) {
    // Sum of three uniforms (bell-shaped around 24) plus an occasional long caption.
    std::uint32_t caption = 4 + rng.below(17) + rng.below(17) + rng.below(17);
    if (rng.below(10) == 0) caption += rng.below(120);
    len = 143 + 4 + caption;
  }
  return lengths;
}

// Checks the FFD properties of `bins` for `lengths` (all items <= capacity).
void expect_ffd(const Bins& bins, const std::vector<std::uint32_t>& lengths, std::uint32_t capacity) {
  // Every item exactly once; every bin within capacity.
  std::vector<int> seen(lengths.size(), 0);
  std::vector<std::size_t> bin_of(lengths.size());
  for (std::size_t b = 0; b < bins.size(); ++b) {
    EXPECT_FALSE(bins[b].empty());
    EXPECT_LE(bin_sum(bins[b], lengths), capacity);
    for (std::size_t i : bins[b]) {
      seen[i] += 1;
      bin_of[i] = b;
    }
  }
  for (std::size_t i = 0; i < lengths.size(); ++i) ASSERT_EQ(seen[i], 1) << "item " << i;
  // Replay in decreasing order: when an item was placed, no earlier bin had room for it, and
  // its bin was either open with room or the next new one.
  std::vector<std::uint64_t> sums;
  std::vector<std::size_t> next_in_bin(bins.size(), 0);
  for (std::size_t item : decreasing_order(lengths)) {
    std::size_t b = bin_of[item];
    ASSERT_LE(b, sums.size()) << "bin opened out of order";
    for (std::size_t e = 0; e < b; ++e) {
      ASSERT_GT(sums[e] + lengths[item], capacity) << "item " << item << " fitted into earlier bin " << e;
    }
    if (b == sums.size()) sums.push_back(0);
    sums[b] += lengths[item];
    ASSERT_LE(sums[b], capacity);
    ASSERT_EQ(bins[b][next_in_bin[b]++], item) << "bin order is not placement order";
  }
}

TEST(FirstFit, EmptyAndSingle) {
  EXPECT_TRUE(first_fit_decreasing({}, 4096).empty());
  Bins one = first_fit_decreasing({10}, 4096);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0], std::vector<std::size_t>{0});
}

TEST(FirstFit, SmallKnownCase) {
  // By hand, capacity 10, item(index): 6(1) -> b0=6; 5(3) -> b1=5; 4(0) -> b0=10;
  // 4(4) -> b1=9; 2(2) -> b2=2 (no room in b0, b1); 1(5) -> b1=10.
  Bins bins = first_fit_decreasing({4, 6, 2, 5, 4, 1}, 10);
  Bins want = {{1, 0}, {3, 4, 5}, {2}};
  EXPECT_EQ(bins, want);
  EXPECT_EQ(first_fit_decreasing_naive({4, 6, 2, 5, 4, 1}, 10), want);
}

TEST(FirstFit, StableTies) {
  Bins bins = first_fit_decreasing({3, 3, 3, 3}, 6);
  Bins want = {{0, 1}, {2, 3}};
  EXPECT_EQ(bins, want);
}

TEST(FirstFit, OverlongItemGetsItsOwnBin) {
  // Like the reference: an item over capacity opens a bin that nothing else enters.
  std::vector<std::uint32_t> lengths = {5, 20, 3, 12};
  Bins fast = first_fit_decreasing(lengths, 10);
  EXPECT_EQ(fast, first_fit_decreasing_naive(lengths, 10));
  Bins want = {{1}, {3}, {0, 2}};
  EXPECT_EQ(fast, want);
}

TEST(FirstFit, FastEqualsNaiveOnRandomInputs) {
  SplitMix64 rng(42);
  for (int trial = 0; trial < 300; ++trial) {
    std::size_t n = rng.below(400);
    std::uint32_t capacity = 1 + static_cast<std::uint32_t>(rng.below(5000));
    std::uint32_t max_len = 1 + static_cast<std::uint32_t>(rng.below(capacity + capacity / 4 + 1));
    std::vector<std::uint32_t> lengths(n);
    for (auto& len : lengths) len = 1 + static_cast<std::uint32_t>(rng.below(max_len));
    Bins fast = first_fit_decreasing(lengths, capacity);
    ASSERT_EQ(fast, first_fit_decreasing_naive(lengths, capacity)) << "trial " << trial;
    if (std::all_of(lengths.begin(), lengths.end(), [&](auto l) { return l <= capacity; })) {
      expect_ffd(fast, lengths, capacity);
    }
  }
}

TEST(FirstFit, PaperLikeWindowsFillAtLeast98Percent) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    std::vector<std::uint32_t> lengths = paper_like_lengths(10000, seed);
    Bins bins = first_fit_decreasing(lengths, 4096);
    expect_ffd(bins, lengths, 4096);
    std::uint64_t total = std::accumulate(lengths.begin(), lengths.end(), std::uint64_t{0});
    double mean = static_cast<double>(total) / lengths.size();
    EXPECT_GT(mean, 165.0);
    EXPECT_LT(mean, 190.0);
    double fill = static_cast<double>(total) / (static_cast<double>(bins.size()) * 4096);
    EXPECT_GE(fill, 0.98) << "seed " << seed << " bins " << bins.size();
    EXPECT_EQ(bins, first_fit_decreasing_naive(lengths, 4096));
  }
}

}  // namespace
}  // namespace oqvl::data
