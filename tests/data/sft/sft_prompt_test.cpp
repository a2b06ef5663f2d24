// tokenize_conversation vs the reference's prompt builder + tokenizer_image_token on HF
// tokenizers (tools/make_sft_goldens.py), for both templates.
#include "oqvl/data/sft/sft_prompt.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "oqvl/data/text/qwen2vl_tokenizer.h"
#include "test_util.h"

namespace oqvl::data {
namespace {

const Tokenizer& tokenizer() {
  static const auto tok = load_qwen2vl_tokenizer(
      oqvl::test::source_path("assets/qwen2-tokenizer/tokenizer.json"));
  return tok;
}

void expect_matches(const nlohmann::json& golden, const SftTokens& got, const std::string& what) {
  EXPECT_EQ(got.ids, golden["ids"].get<std::vector<std::int64_t>>()) << what;
  EXPECT_EQ(got.labels, golden["labels"].get<std::vector<std::int64_t>>()) << what;
  EXPECT_EQ(got.images, std::count(got.ids.begin(), got.ids.end(), std::int64_t{kImagePlaceholderId}))
      << what;
}

TEST(SftPrompt, MatchesReferenceForBothTemplates) {
  const auto goldens = oqvl::test::read_fixture_json("data/sft/sft_goldens.json");
  ASSERT_GE(goldens.size(), 10u);
  int quirk_mattered = 0;
  for (const auto& g : goldens) {
    const auto name = g["name"].get<std::string>();
    const auto conversation = parse_conversation(g["sample"], "golden");
    SftPromptOptions o;
    o.max_ids = g["max_ids"].get<std::int64_t>();
    expect_matches(g["qwen2"], tokenize_conversation(tokenizer(), conversation, o), name + " qwen2");
    o.strip_quirk = false;
    expect_matches(g["qwen2_no_quirk"], tokenize_conversation(tokenizer(), conversation, o),
                   name + " no quirk");
    o.prompt_template = SftTemplate::kPlain;
    o.strip_quirk = true;  // ignored by plain
    expect_matches(g["plain"], tokenize_conversation(tokenizer(), conversation, o), name + " plain");
    quirk_mattered += g["qwen2"] != g["qwen2_no_quirk"];
  }
  EXPECT_GE(quirk_mattered, 5);  // the goldens exercise the quirk
}

TEST(SftPrompt, QuirkDropsTheTokenAfterTheImageInTurnZeroOnly) {
  Conversation c;
  c.image = "x.jpg";
  c.turns = {{Speaker::kHuman, "<image>\nWhat?"}, {Speaker::kGpt, "A."}};
  SftPromptOptions o;
  const auto with = tokenize_conversation(tokenizer(), c, o);
  o.strip_quirk = false;
  const auto without = tokenize_conversation(tokenizer(), c, o);
  ASSERT_EQ(with.ids.size() + 1, without.ids.size());
  const auto at = std::find(without.ids.begin(), without.ids.end(), std::int64_t{kImagePlaceholderId});
  ASSERT_NE(at, without.ids.end());
  EXPECT_EQ(*(at + 1), 198);  // the "\n" that the quirk drops
  EXPECT_EQ(with.images, 1);
}

TEST(SftPrompt, LabelsOnlyAssistantTurnsAndTruncates) {
  Conversation c;
  c.turns = {{Speaker::kHuman, "Hi"}, {Speaker::kGpt, "Hello"}};
  const auto t = tokenize_conversation(tokenizer(), c);
  ASSERT_EQ(t.ids.size(), t.labels.size());
  EXPECT_EQ(t.ids.front(), kBosId);
  EXPECT_EQ(t.labels.front(), kIgnoreLabelId);
  EXPECT_EQ(t.labels.back(), 198);  // the gpt turn's trailing "\n"
  EXPECT_EQ(t.labels[t.labels.size() - 2], kImEndId);
  EXPECT_EQ(t.images, 0);
  SftPromptOptions o;
  o.max_ids = 5;
  EXPECT_EQ(tokenize_conversation(tokenizer(), c, o).ids.size(), 5u);
  o.max_ids = 0;
  EXPECT_EQ(tokenize_conversation(tokenizer(), c, o).ids, t.ids);
}

TEST(SftPrompt, TruncationCountsOnlyTheImagesLeft) {
  Conversation c;
  c.image = "x.jpg";
  c.turns = {{Speaker::kHuman, "Some words first, then <image>"}, {Speaker::kGpt, "ok"}};
  SftPromptOptions o;
  o.max_ids = 3;
  EXPECT_EQ(tokenize_conversation(tokenizer(), c, o).images, 0);
}

TEST(SftPrompt, TemplateNames) {
  EXPECT_EQ(parse_sft_template("qwen2"), SftTemplate::kQwen2);
  EXPECT_EQ(parse_sft_template("plain"), SftTemplate::kPlain);
  EXPECT_EQ(sft_template_name(SftTemplate::kPlain), "plain");
  EXPECT_NE(oqvl::test::error_of([] { parse_sft_template("chatml"); }).find("'qwen2' or 'plain'"),
            std::string::npos);
}

}  // namespace
}  // namespace oqvl::data
