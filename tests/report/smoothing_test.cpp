#include "oqvl/report/smoothing.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace oqvl::report {
namespace {

TEST(EmaSmooth, ConstantStaysConstant) {
  // Bias correction: no pull towards 0 at the start.
  for (double v : ema_smooth({3, 3, 3, 3}, 9)) EXPECT_DOUBLE_EQ(v, 3);
}

TEST(EmaSmooth, KnownValues) {
  // span 3: keep = 0.5. Weights 1; 0.5,1; ...: out = (0.5*1 + 1*... ) / normaliser.
  const auto out = ema_smooth({0, 2, 4}, 3);
  EXPECT_DOUBLE_EQ(out[0], 0);
  EXPECT_DOUBLE_EQ(out[1], (0.5 * 0 + 1 * 2) / 1.5);
  EXPECT_DOUBLE_EQ(out[2], (0.25 * 0 + 0.5 * 2 + 1 * 4) / 1.75);
}

TEST(EmaSmooth, NonFiniteStaysAGapAndIsSkipped) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto out = ema_smooth({1, nan, 1, std::numeric_limits<double>::infinity()}, 5);
  EXPECT_DOUBLE_EQ(out[0], 1);
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_DOUBLE_EQ(out[2], 1);  // the NaN did not poison the average
  EXPECT_TRUE(std::isinf(out[3]));
}

TEST(EmaSmooth, SpanOneIsIdentity) { EXPECT_EQ(ema_smooth({1, 5, 2}, 1), (std::vector<double>{1, 5, 2})); }

TEST(DefaultSmoothingSpan, GrowsWithPointsWithinBounds) {
  EXPECT_DOUBLE_EQ(default_smoothing_span(5), 1);
  EXPECT_DOUBLE_EQ(default_smoothing_span(400), 20);
  EXPECT_DOUBLE_EQ(default_smoothing_span(1000000), 200);
}

}  // namespace
}  // namespace oqvl::report
