#include "oqvl/report/run_summary.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace oqvl::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TrainRow row(std::int64_t step, double loss, double tps, double elapsed, double tokens = 100) {
  return {step, loss, 1e-3, 1, tokens, tps, 2, 0.1, elapsed, 0.5};
}

TEST(Summarize, LossTokensTimeAndMeans) {
  MetricsLog log;
  // Windows: 10 s at 1000 tok/s, 30 s at 2000 tok/s.
  log.train = {row(10, 3, 1000, 10), row(20, kNaN, 2000, 40), row(30, 2.5, kNaN, kNaN)};
  const RunSummary s = summarize(log);
  EXPECT_EQ(s.rows, 3);
  EXPECT_EQ(s.first_step, 10);
  EXPECT_EQ(s.last_step, 30);
  EXPECT_DOUBLE_EQ(s.final_loss, 2.5);
  EXPECT_DOUBLE_EQ(s.min_loss, 2.5);
  EXPECT_EQ(s.min_loss_step, 30);
  EXPECT_EQ(s.non_finite_losses, 1);
  // 10*1000 + 30*2000, and the untimed last row counts 100 tokens for each of its 10 steps.
  EXPECT_DOUBLE_EQ(s.tokens, 10000 + 60000 + 1000);
  EXPECT_DOUBLE_EQ(s.mean_tokens_per_s, 70000.0 / 40);
  EXPECT_DOUBLE_EQ(s.mean_data_wait, 0.1);
  EXPECT_DOUBLE_EQ(s.mean_images_per_s, 2);
  EXPECT_TRUE(std::isnan(s.elapsed_s));  // the last row has none
}

TEST(Summarize, MinLossIsTheFirstMinimum) {
  MetricsLog log;
  log.train = {row(1, kNaN, 1, 1), row(2, 2, 1, 2), row(3, 1, 1, 3), row(4, 1, 1, 4), row(5, 1.5, 1, 5)};
  const RunSummary s = summarize(log);
  EXPECT_DOUBLE_EQ(s.min_loss, 1);
  EXPECT_EQ(s.min_loss_step, 3);
  EXPECT_DOUBLE_EQ(s.elapsed_s, 5);
}

TEST(Summarize, NoTrainRows) {
  const RunSummary s = summarize(MetricsLog{});
  EXPECT_EQ(s.rows, 0);
  EXPECT_TRUE(std::isnan(s.final_loss));
  EXPECT_TRUE(std::isnan(s.tokens));
}

}  // namespace
}  // namespace oqvl::report
