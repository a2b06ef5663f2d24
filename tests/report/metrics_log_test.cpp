#include "oqvl/report/metrics_log.h"

#include <gtest/gtest.h>

#include <cmath>

#include "test_util.h"

namespace oqvl::report {
namespace {

using oqvl::test::error_of;

std::string train_line(int step, double loss) {
  return fmt::format(
      R"({{"kind":"train","step":{},"loss":{},"lr":0.001,"grad_norm":0.5,"tokens":4096,)"
      R"("tokens_per_s":5000.0,"images_per_s":40.0,"data_wait":0.02,"elapsed_s":{},"epoch":0.0}})"
      "\n",
      step, loss, step * 0.5);
}

TEST(MetricsLog, ReadsTrainLines) {
  const auto log = parse_metrics_log(train_line(1, 3.5) + train_line(2, 3.25), "m.jsonl");
  ASSERT_EQ(log.train.size(), 2u);
  EXPECT_EQ(log.train[1].step, 2);
  EXPECT_DOUBLE_EQ(log.train[1].loss, 3.25);
  EXPECT_DOUBLE_EQ(log.train[1].lr, 0.001);
  EXPECT_DOUBLE_EQ(log.train[1].tokens_per_s, 5000);
  EXPECT_DOUBLE_EQ(log.train[1].elapsed_s, 1);
  EXPECT_EQ(log.lines, 2);
  EXPECT_EQ(log.restarts, 0);
}

TEST(MetricsLog, ResumedRunReplacesEarlierSteps) {
  // First run logs 10..40, is resumed from its step-20 checkpoint and logs 25, 30, 35, 40, 50.
  std::string text;
  for (int s : {10, 20, 30, 40}) text += train_line(s, 9);
  for (int s : {25, 30, 35, 40, 50}) text += train_line(s, 1);
  const auto log = parse_metrics_log(text, "m.jsonl");
  std::vector<std::int64_t> steps;
  for (const auto& r : log.train) steps.push_back(r.step);
  EXPECT_EQ(steps, (std::vector<std::int64_t>{10, 20, 25, 30, 35, 40, 50}));
  EXPECT_DOUBLE_EQ(log.train[3].loss, 1);  // step 30: the later line
  EXPECT_DOUBLE_EQ(log.train[1].loss, 9);  // step 20: only the first run logged it
  EXPECT_EQ(log.restarts, 1);
}

TEST(MetricsLog, RepeatedStepLaterLineWins) {
  const auto log = parse_metrics_log(train_line(5, 2) + train_line(5, 1), "m.jsonl");
  ASSERT_EQ(log.train.size(), 1u);
  EXPECT_DOUBLE_EQ(log.train[0].loss, 1);
  EXPECT_EQ(log.restarts, 1);
}

TEST(MetricsLog, NullAndNonFiniteLiteralsAreNaN) {
  const auto log = parse_metrics_log(
      "{\"step\":1,\"loss\":null}\n{\"step\":2,\"loss\":NaN,\"lr\":Infinity,\"grad_norm\":-Infinity,\"note\":\"NaN\"}\n"
      "{\"step\":3}\n",
      "m.jsonl");
  ASSERT_EQ(log.train.size(), 3u);  // no "kind": a train line
  EXPECT_TRUE(std::isnan(log.train[0].loss));
  EXPECT_TRUE(std::isnan(log.train[1].loss));
  EXPECT_TRUE(std::isnan(log.train[1].lr));
  EXPECT_TRUE(std::isnan(log.train[2].loss));  // absent
  EXPECT_TRUE(std::isnan(log.train[2].tokens));
}

TEST(MetricsLog, OtherKindsAreSeriesByLabel) {
  const auto log = parse_metrics_log(
      train_line(1, 2) + R"({"kind":"eval","step":1,"benchmark":"mmbench","accuracy":0.4})"
                         "\n"
                         R"({"kind":"eval","step":1,"benchmark":"mmmu","accuracy":0.3,"n":900})"
                         "\n"
                         R"({"kind":"eval","step":2,"benchmark":"mmbench","accuracy":0.5,"x":[1]})"
                         "\n"
                         R"({"kind":"eval","accuracy":0.5})"
                         "\n"
                         R"({"kind":"weird","step":3,"flag":true})"
                         "\n",
      "m.jsonl");
  ASSERT_EQ(log.others.size(), 3u);
  EXPECT_EQ(log.others[0].kind, "eval");
  EXPECT_EQ(log.others[0].label, "benchmark=mmbench");
  ASSERT_EQ(log.others[0].rows.size(), 2u);
  EXPECT_DOUBLE_EQ(log.others[0].rows[1].values.at("accuracy"), 0.5);
  EXPECT_EQ(log.others[0].rows[1].values.count("x"), 0u);
  EXPECT_EQ(log.others[1].label, "benchmark=mmmu");
  EXPECT_DOUBLE_EQ(log.others[1].rows[0].values.at("n"), 900);
  EXPECT_EQ(log.others[2].kind, "weird");
  EXPECT_TRUE(log.others[2].rows[0].values.empty());
  EXPECT_EQ(log.skipped, 1);
  EXPECT_EQ(log.lines, 6);
}

TEST(MetricsLog, BlankLinesAndCrlfAreFine) {
  const auto log = parse_metrics_log("\n{\"step\":1,\"loss\":2}\r\n\n{\"step\":2,\"loss\":1}\r\n", "m.jsonl");
  EXPECT_EQ(log.train.size(), 2u);
}

TEST(MetricsLog, UnterminatedPartialLastLineIsIgnored) {
  const auto log = parse_metrics_log(train_line(1, 2) + "{\"kind\":\"train\",\"st", "m.jsonl");
  EXPECT_EQ(log.train.size(), 1u);
  EXPECT_TRUE(log.partial_last_line);
  // A complete unterminated last line is read.
  EXPECT_EQ(parse_metrics_log("{\"step\":1,\"loss\":2}", "m.jsonl").train.size(), 1u);
}

TEST(MetricsLog, ErrorsNameFileAndLine) {
  EXPECT_EQ(error_of([] { parse_metrics_log("", "run/metrics.jsonl"); }),
            "run/metrics.jsonl: no metrics lines (is the run still starting?)");
  EXPECT_EQ(error_of([] { parse_metrics_log("\n\n", "m.jsonl"); }),
            "m.jsonl: no metrics lines (is the run still starting?)");
  const std::string bad = error_of(
      [] { parse_metrics_log(train_line(1, 2) + "{oops\n" + train_line(2, 1), "m.jsonl"); });
  EXPECT_EQ(bad.rfind("m.jsonl:2: not a JSON line: ", 0), 0u) << bad;
  EXPECT_EQ(bad.find("json.exception"), std::string::npos) << bad;
  EXPECT_EQ(error_of([] { parse_metrics_log("[1,2]\n", "m.jsonl"); }),
            "m.jsonl:1: expected a JSON object, got [1,2]");
  EXPECT_EQ(error_of([] { parse_metrics_log("{\"kind\":\"train\",\"loss\":1}\n", "m.jsonl"); }),
            "m.jsonl:1: a train line needs a whole non-negative 'step', got none");
  EXPECT_EQ(error_of([] { parse_metrics_log("{\"step\":1.5}\n", "m.jsonl"); }),
            "m.jsonl:1: a train line needs a whole non-negative 'step', got 1.5");
  EXPECT_EQ(error_of([] { parse_metrics_log("{\"step\":-1}\n", "m.jsonl"); }),
            "m.jsonl:1: a train line needs a whole non-negative 'step', got -1");
  EXPECT_EQ(error_of([] { parse_metrics_log("\n{\"step\":1,\"loss\":\"low\"}\n", "m.jsonl"); }),
            "m.jsonl:2: 'loss' must be a number or null, not \"low\"");
  EXPECT_EQ(error_of([] { parse_metrics_log("{\"kind\":3,\"step\":1}\n", "m.jsonl"); }),
            "m.jsonl:1: 'kind' must be a string, not 3");
}

TEST(MetricsLog, MissingFile) {
  oqvl::test::TempDir dir("metrics_log");
  const std::string e = error_of([&] { read_metrics_log(dir / "metrics.jsonl"); });
  EXPECT_NE(e.find("metrics.jsonl: no such file"), std::string::npos) << e;
}

}  // namespace
}  // namespace oqvl::report
