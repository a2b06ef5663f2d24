#include "oqvl/eval/report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/eval/circular.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace oqvl::eval;
using nlohmann::json;

namespace {
const fs::path kDir = fs::path(OQVL_FIXTURES_DIR) / "eval";
}

TEST(Report, PerItemLinesAndAccuracies) {
  Benchmark b = read_benchmark(kDir / "mmbench_dev_en_sample.tsv");
  // Answers: A, B, A, A. Categories: color, attribute, color, topic.
  std::vector<std::string> predictions = {"A", "C", "(a)", "D"};
  auto judgements = judge_all(b.items, predictions, b.kind);
  ASSERT_EQ(judgements.size(), 4u);
  EXPECT_TRUE(judgements[0].correct);
  EXPECT_FALSE(judgements[1].correct);
  EXPECT_TRUE(judgements[2].correct);
  EXPECT_FALSE(judgements[3].correct);

  Summary s = summarize(b, judgements);
  EXPECT_EQ(s.overall.correct, 2);
  EXPECT_EQ(s.overall.total, 4);
  ASSERT_EQ(s.categories.size(), 3u);  // sorted by name
  EXPECT_EQ(s.categories[0].name, "attribute_recognition");
  EXPECT_EQ(s.categories[0].correct, 0);
  EXPECT_EQ(s.categories[1].name, "color_recognition");
  EXPECT_EQ(s.categories[1].correct, 2);
  EXPECT_EQ(s.categories[1].total, 2);
  EXPECT_EQ(s.categories[2].name, "image_topic");
  EXPECT_EQ(s.l2_categories.size(), 3u);

  json metrics = summary_json(s);
  EXPECT_EQ(metrics["benchmark"], "mmbench_dev_en_sample.tsv");
  EXPECT_EQ(metrics["kind"], "mmbench");
  EXPECT_DOUBLE_EQ(metrics["overall"]["accuracy"].get<double>(), 0.5);
  EXPECT_EQ(metrics["categories"]["color_recognition"]["correct"], 2);
  EXPECT_FALSE(metrics.contains("circular"));

  std::string lines = predictions_jsonl(b.items, predictions, judgements);
  std::vector<json> parsed;
  for (std::size_t pos = 0; pos < lines.size();) {
    std::size_t nl = lines.find('\n', pos);
    parsed.push_back(json::parse(lines.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  ASSERT_EQ(parsed.size(), 4u);
  EXPECT_EQ(parsed[2]["index"], "2");
  EXPECT_EQ(parsed[2]["prediction"], "(a)");
  EXPECT_EQ(parsed[2]["extracted"], "A");
  EXPECT_EQ(parsed[2]["answer"], "A");
  EXPECT_EQ(parsed[2]["correct"], true);
  EXPECT_EQ(parsed[2]["category"], "color_recognition");
  EXPECT_EQ(parsed[1]["options"]["B"], "dark");

  std::string table = summary_table(s);
  EXPECT_NE(table.find("color_recognition"), std::string::npos) << table;
  EXPECT_NE(table.find("overall"), std::string::npos);
  EXPECT_NE(table.find("50.00"), std::string::npos);
  EXPECT_NE(table.find("2/4"), std::string::npos);
  EXPECT_EQ(summary_table(s), table);  // deterministic

  EXPECT_THROW(judge_all(b.items, {"A"}, b.kind), oqvl::Error);
}

TEST(Report, WritesPredictionsAndMetricsFiles) {
  Benchmark b = read_benchmark(kDir / "seedbench_img_sample.tsv");
  std::vector<std::string> predictions = {"A", "C.", "B"};
  auto judgements = judge_all(b.items, predictions, b.kind);
  Summary s = summarize(b, judgements);
  EXPECT_EQ(s.overall.correct, 2);
  oqvl::test::TempDir tmp("oqvl_report_test");
  const fs::path dir = tmp / "report";  // write_report makes it
  write_report(dir, b, predictions, judgements, s);
  json metrics = json::parse(oqvl::read_file(dir / "metrics.json"));
  EXPECT_EQ(metrics["overall"]["total"], 3);
  std::string lines = oqvl::read_file(dir / "predictions.jsonl");
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 3);
}

TEST(Circular, MMBenchCircularRowsGroupByIndexModuloAMillion) {
  Benchmark b = read_benchmark(kDir / "mmbench_circular_sample.tsv");
  ASSERT_EQ(b.items.size(), 6u);
  EXPECT_EQ(circular_key(b.items[3]), "0");  // index 3000000
  EXPECT_EQ(circular_key(b.items[5]), "1");  // index 1000001
  EXPECT_EQ(b.items[1].image_bytes, b.items[0].image_bytes);
  // "red" moves with the rotation: A, D, C, B; "dark": B, A.
  EXPECT_EQ(b.items[1].answer, "D");
  EXPECT_EQ(b.items[5].answer, "A");
  // Always "red"/"dark" by text: every rotation right except the last red one.
  std::vector<std::string> predictions = {"A", "D", "C", "C", "B", "A"};
  auto judgements = judge_all(b.items, predictions, b.kind);
  Summary s = summarize(b, judgements, /*circular=*/true);
  EXPECT_EQ(s.overall.correct, 5);
  EXPECT_EQ(s.circular_overall.total, 2);
  EXPECT_EQ(s.circular_overall.correct, 1);
  ASSERT_EQ(s.circular_categories.size(), 2u);
  EXPECT_EQ(s.circular_categories[0].name, "attribute_recognition");
  EXPECT_EQ(s.circular_categories[0].correct, 1);
  EXPECT_EQ(s.circular_categories[1].correct, 0);
  json metrics = summary_json(s);
  EXPECT_DOUBLE_EQ(metrics["circular"]["overall"]["accuracy"].get<double>(), 0.5);
  EXPECT_NE(summary_table(s).find("circular %"), std::string::npos);
}

TEST(Circular, RotationsOfAPlainRowMatchTheCircularFile) {
  Benchmark plain = read_benchmark(kDir / "mmbench_dev_en_sample.tsv");
  Benchmark circular_file = read_benchmark(kDir / "mmbench_circular_sample.tsv");
  std::vector<McItem> rotations = make_circular({plain.items[0]});
  ASSERT_EQ(rotations.size(), 4u);
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(rotations[k].index, circular_file.items[k].index);
    EXPECT_EQ(rotations[k].options, circular_file.items[k].options);
    EXPECT_EQ(rotations[k].answer, circular_file.items[k].answer);
    EXPECT_EQ(circular_key(rotations[k]), "0");
  }
  McItem named = plain.items[0];
  named.index = "q7";
  McItem r = rotate_options(named, 1);
  EXPECT_EQ(r.index, "q7#1");
  EXPECT_EQ(circular_key(r), "q7");
  EXPECT_EQ(*r.option("A"), "green");
  EXPECT_EQ(r.answer, "D");
  // Gapped letters (A, B, D) rotate by position and keep their letters.
  McItem gapped = rotate_options(plain.items[3], 1);
  EXPECT_EQ(gapped.options[2].first, "D");
  EXPECT_EQ(gapped.options[2].second, "a gray square");
  EXPECT_EQ(gapped.answer, "D");
}

TEST(Report, OpenAnswersExactMatchAndVqaAccuracy) {
  Benchmark b = read_benchmark(kDir / "open_sample.jsonl");
  // 101: "Red" -> right. 102: 10 annotators, 7 "2" + "2 " (stripped) = 8, "two", "3":
  // "two" is exact (normalises to "2") and, the answers differing, normalised too: 9 of 10 match.
  // q3: "light green" matches neither reference.
  std::vector<std::string> predictions = {"red.", "Two<|endofchunk|>three", "light green"};
  auto judgements = judge_all(b.items, predictions, b.kind);
  EXPECT_TRUE(judgements[0].correct);
  EXPECT_EQ(judgements[0].extracted, "red");
  EXPECT_EQ(judgements[0].score, 1.0);
  EXPECT_TRUE(judgements[1].correct);
  EXPECT_EQ(judgements[1].extracted, "2");
  EXPECT_DOUBLE_EQ(judgements[1].score, 1.0);  // every leave-one-out subset has >= 3 matches
  EXPECT_FALSE(judgements[2].correct);
  EXPECT_EQ(judgements[2].score, 0.0);

  predictions[1] = "3";  // one annotator: 9 subsets with 1 match (1/3), 1 with none
  judgements = judge_all(b.items, predictions, b.kind);
  EXPECT_TRUE(judgements[1].correct);
  EXPECT_NEAR(judgements[1].score, 0.3, 1e-12);

  Summary s = summarize(b, judgements);
  EXPECT_EQ(s.overall.correct, 2);
  EXPECT_EQ(s.overall.total, 3);
  EXPECT_NEAR(s.overall.mean_score(), 1.3 / 3, 1e-12);
  json metrics = summary_json(s);
  EXPECT_EQ(metrics["kind"], "open");
  EXPECT_NEAR(metrics["overall"]["accuracy"].get<double>(), 2.0 / 3, 1e-12);
  EXPECT_NEAR(metrics["overall"]["vqa_accuracy"].get<double>(), 1.3 / 3, 1e-12);
  EXPECT_NEAR(metrics["categories"]["count"]["vqa_accuracy"].get<double>(), 0.3, 1e-12);
  EXPECT_NE(summary_table(s).find("vqa %"), std::string::npos);

  const std::string lines = predictions_jsonl(b.items, predictions, judgements);
  const json second = json::parse(
      lines.substr(lines.find('\n') + 1, lines.find('\n', lines.find('\n') + 1) - lines.find('\n') - 1));
  EXPECT_EQ(second["answers"].size(), 10u);
  EXPECT_NEAR(second["score"].get<double>(), 0.3, 1e-12);
  EXPECT_EQ(second["extracted"], "3");

  // Multiple-choice metrics carry no vqa_accuracy (their files stay as they were).
  Benchmark mc = read_benchmark(kDir / "mmbench_dev_en_sample.tsv");
  auto mj = judge_all(mc.items, {"A", "B", "A", "A"}, mc.kind);
  EXPECT_FALSE(summary_json(summarize(mc, mj))["overall"].contains("vqa_accuracy"));
}
