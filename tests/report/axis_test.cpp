#include "oqvl/report/axis.h"

#include <gtest/gtest.h>

#include <cmath>

namespace oqvl::report {
namespace {

TEST(NiceTicks, CoversTheRangeWithRoundSteps) {
  const Ticks t = nice_ticks(0.13, 9.7, 6);
  EXPECT_DOUBLE_EQ(t.step, 2);
  EXPECT_DOUBLE_EQ(t.lo, 0);
  EXPECT_DOUBLE_EQ(t.hi, 10);
  EXPECT_EQ(t.values, (std::vector<double>{0, 2, 4, 6, 8, 10}));
}

TEST(NiceTicks, UsesTwoAndAHalfAndFive) {
  EXPECT_DOUBLE_EQ(nice_ticks(0, 12, 6).step, 2.5);
  EXPECT_DOUBLE_EQ(nice_ticks(0, 23, 6).step, 5);
  EXPECT_DOUBLE_EQ(nice_ticks(2.1, 2.36, 6).step, 0.1);  // 0.052 per tick rounds up to 0.1
  const Ticks t = nice_ticks(2.1, 2.32, 6);
  EXPECT_DOUBLE_EQ(t.step, 0.05);
  EXPECT_DOUBLE_EQ(t.lo, 2.1);
  EXPECT_DOUBLE_EQ(t.hi, 2.35);
}

TEST(NiceTicks, BoundsThatAreTicksStay) {
  // 1e-3 / 2e-4 is 4.999... in floating point: the axis must still end at 1e-3.
  const Ticks t = nice_ticks(0, 1e-3, 6);
  EXPECT_DOUBLE_EQ(t.step, 2e-4);
  EXPECT_EQ(t.values.size(), 6u);
  EXPECT_DOUBLE_EQ(t.hi, 1e-3);
}

TEST(NiceTicks, ZeroWidthRangeIsWidened) {
  const Ticks t = nice_ticks(5, 5, 6);
  EXPECT_LT(t.lo, 5);
  EXPECT_GT(t.hi, 5);
  const Ticks z = nice_ticks(0, 0, 6);
  EXPECT_LE(z.lo, -1);
  EXPECT_GE(z.hi, 1);
}

TEST(NiceTicks, IntegerStepsForStepAxes) {
  const Ticks t = nice_ticks(1, 4, 7, true);
  EXPECT_GE(t.step, 1);
  EXPECT_DOUBLE_EQ(t.step, std::round(t.step));
  EXPECT_DOUBLE_EQ(nice_ticks(0, 12, 6, true).step, 2);  // not 2.5
  EXPECT_DOUBLE_EQ(nice_ticks(0, 1000, 6, true).step, 200);
}

TEST(NiceTicks, NegativeRanges) {
  const Ticks t = nice_ticks(-3.2, -0.4, 6);
  EXPECT_DOUBLE_EQ(t.step, 1);
  EXPECT_DOUBLE_EQ(t.lo, -4);
  EXPECT_DOUBLE_EQ(t.hi, 0);
  EXPECT_DOUBLE_EQ(t.values.back(), 0);
  EXPECT_FALSE(std::signbit(t.values.back()));  // "0", not "-0"
}

TEST(FormatTick, DecimalsFollowTheStep) {
  EXPECT_EQ(format_tick(0, 0.25), "0");
  EXPECT_EQ(format_tick(0.5, 0.25), "0.50");
  EXPECT_EQ(format_tick(2.5, 0.5), "2.5");
  EXPECT_EQ(format_tick(3, 1), "3");
  EXPECT_EQ(format_tick(-0.1, 0.05), "-0.10");
  EXPECT_EQ(format_tick(400, 200), "400");
}

TEST(FormatTick, ThousandsAndTinyValues) {
  EXPECT_EQ(format_tick(5000, 1000), "5k");
  EXPECT_EQ(format_tick(12500, 2500), "12.5k");
  EXPECT_EQ(format_tick(3e6, 1e6), "3M");
  EXPECT_EQ(format_tick(4e-4, 2e-4), "4e-4");
  EXPECT_EQ(format_tick(1e-3, 2e-4), "1e-3");
  EXPECT_EQ(format_tick(7.5e-5, 2.5e-5), "7.5e-5");
  EXPECT_EQ(format_tick(2e-4 * 3, 2e-4), "6e-4");  // 6.000000000000001e-4 in binary
}

TEST(DecimalsNeeded, Basics) {
  EXPECT_EQ(decimals_needed(2.5), 1);
  EXPECT_EQ(decimals_needed(0.25), 2);
  EXPECT_EQ(decimals_needed(3), 0);
  EXPECT_EQ(decimals_needed(0.1 + 0.2), 1);
}

TEST(LinearScale, MapsEnds) {
  const LinearScale s{0, 10, 100, 0};
  EXPECT_DOUBLE_EQ(s(0), 100);
  EXPECT_DOUBLE_EQ(s(10), 0);
  EXPECT_DOUBLE_EQ(s(2.5), 75);
}

}  // namespace
}  // namespace oqvl::report
