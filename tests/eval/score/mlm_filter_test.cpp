// MLM-Filter prompts vs a transcription of the reference script on HF tokenizers
// (tools/make_mlm_prompt_goldens.py), and the score parsing rule.
#include "oqvl/eval/score/mlm_filter.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "oqvl/core/error.h"
#include "oqvl/data/text/qwen2vl_tokenizer.h"
#include "test_util.h"

namespace oqvl::eval {
namespace {

namespace fs = std::filesystem;

TEST(MlmFilter, PromptsMatchReference) {
  const auto tok = data::load_qwen2vl_tokenizer(fs::path(OQVL_SOURCE_DIR) /
                                                "assets/qwen2-tokenizer/tokenizer.json");
  const auto goldens = oqvl::test::read_fixture_json("eval/mlm_prompt_goldens.json");
  ASSERT_EQ(goldens.size(), 20u);
  bool saw_truncated = false;
  for (const auto& g : goldens) {
    const auto caption = g["caption"].get<std::string>();
    const auto metric = parse_mlm_metric(g["metric"].get<std::string>());
    EXPECT_EQ(mlm_chat_prompt(mlm_user_message(caption, metric)), g["prompt"].get<std::string>());
    const auto ids = mlm_prompt_ids(tok, caption, metric);
    EXPECT_EQ(ids, g["ids"].get<std::vector<std::int64_t>>()) << g["metric"] << " " << caption.substr(0, 40);
    EXPECT_EQ(ids.back(), 220);
    saw_truncated |= ids.size() == 2041;
  }
  EXPECT_TRUE(saw_truncated);  // the 3000-character caption exceeds max_len
}

TEST(MlmFilter, MetricNames) {
  for (auto m : kAllMlmMetrics) EXPECT_EQ(parse_mlm_metric(mlm_metric_name(m)), m);
  EXPECT_THROW(parse_mlm_metric("semantic"), Error);
}

TEST(MlmFilter, ScoreParsingFollowsPythonInt) {
  EXPECT_EQ(parse_mlm_score("85"), 85);
  EXPECT_EQ(parse_mlm_score("85\nThe caption adds..."), 85);
  EXPECT_EQ(parse_mlm_score(" 9 "), 9);
  EXPECT_EQ(parse_mlm_score("10"), 10);   // "100" cut to two tokens (docs/recipe.md §1.4 quirk)
  EXPECT_EQ(parse_mlm_score("8,5"), 85);  // ',' and ';' are removed first
  EXPECT_EQ(parse_mlm_score("7;"), 7);
  EXPECT_EQ(parse_mlm_score("+42"), 42);
  EXPECT_EQ(parse_mlm_score("-3"), -3);
  EXPECT_EQ(parse_mlm_score("1_0"), 10);
  EXPECT_EQ(parse_mlm_score(""), std::nullopt);
  EXPECT_EQ(parse_mlm_score("\n85"), std::nullopt);  // first line is empty
  EXPECT_EQ(parse_mlm_score("8.5"), std::nullopt);
  EXPECT_EQ(parse_mlm_score("Score"), std::nullopt);
  EXPECT_EQ(parse_mlm_score("85 points"), std::nullopt);
  EXPECT_EQ(parse_mlm_score("1__0"), std::nullopt);
  EXPECT_EQ(parse_mlm_score("_10"), std::nullopt);
  EXPECT_EQ(parse_mlm_score("10_"), std::nullopt);
}

}  // namespace
}  // namespace oqvl::eval
