// tokenize_image_prompt vs the reference's tokenizer_image_token on HF tokenizers
// (tools/make_image_prompt_goldens.py).
#include "oqvl/data/text/image_prompt.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "oqvl/data/text/qwen2vl_tokenizer.h"
#include "test_util.h"

namespace oqvl::data {
namespace {

namespace fs = std::filesystem;

TEST(ImagePrompt, MatchesReferenceTokenizerImageToken) {
  const auto tok = load_qwen2vl_tokenizer(fs::path(OQVL_SOURCE_DIR) /
                                          "assets/qwen2-tokenizer/tokenizer.json");
  const auto goldens = oqvl::test::read_fixture_json("prompts/image_prompt_goldens.json");
  ASSERT_GE(goldens.size(), 9u);
  for (const auto& g : goldens) {
    const auto text = g["text"].get<std::string>();
    EXPECT_EQ(tokenize_image_prompt(tok, text), g["ids"].get<std::vector<std::int64_t>>()) << text;
  }
}

TEST(ImagePrompt, CountsMarkersAndHonoursOptions) {
  EXPECT_EQ(count_image_markers("a <image> b <image><image>"), 3u);
  EXPECT_EQ(count_image_markers("<imag>"), 0u);
  const auto tok = load_qwen2vl_tokenizer(fs::path(OQVL_SOURCE_DIR) /
                                          "assets/qwen2-tokenizer/tokenizer.json");
  ImagePromptOptions o;
  o.add_bos = false;
  o.placeholder = -7;
  const auto ids = tokenize_image_prompt(tok, "<image>", o);
  EXPECT_EQ(ids, std::vector<std::int64_t>{-7});
}

}  // namespace
}  // namespace oqvl::data
