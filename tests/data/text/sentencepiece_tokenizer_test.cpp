// SigLIP tokenizer vs Hugging Face SiglipTokenizer (goldens: tools/make_siglip_clip_goldens.py).
#include "oqvl/data/text/sentencepiece_tokenizer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/data/text/unicode_lower.h"

namespace oqvl::data {
namespace {

const std::string kDir = std::string(OQVL_FIXTURES_DIR) + "/model/siglip_clip";

nlohmann::json goldens() { return nlohmann::json::parse(read_file(kDir + "/tokenizer_goldens.json")); }

TEST(UnicodeLower, MatchesPythonStrLower) {
  int n = 0;
  for (const auto& g : goldens()) {
    EXPECT_EQ(unicode::python_lower(g.at("text").get<std::string>()), g.at("lower").get<std::string>())
        << g.at("text");
    ++n;
  }
  EXPECT_GE(n, 49);
  // Final sigma (CPython's rule): after a cased letter and not before one.
  EXPECT_EQ(unicode::python_lower("ΟΔΟΣ ΣΑΣ Σ"), "οδος σας σ");
  EXPECT_EQ(unicode::python_lower("İ"), "i\xCC\x87");  // full mapping: i + combining dot
}

TEST(SiglipTokenizer, CanonicalizeMatchesHf) {
  if (!sentencepiece_available()) GTEST_SKIP() << "built without sentencepiece";
  auto tok = SiglipTokenizer::from_folder(kDir);
  for (const auto& g : goldens()) {
    EXPECT_EQ(tok.canonicalize(g.at("text").get<std::string>()), g.at("canonical").get<std::string>())
        << g.at("text");
  }
}

TEST(SiglipTokenizer, IdsMatchHf) {
  if (!sentencepiece_available()) GTEST_SKIP() << "built without sentencepiece";
  auto tok = SiglipTokenizer::from_folder(kDir);
  EXPECT_EQ(tok.vocab_size(), 200);
  EXPECT_EQ(tok.eos_id(), 1);
  EXPECT_EQ(tok.pad_id(), 1);
  EXPECT_EQ(tok.options().max_length, 64);
  int n = 0, truncated = 0;
  for (const auto& g : goldens()) {
    const auto expected = g.at("ids").get<std::vector<std::int32_t>>();
    const auto text = g.at("text").get<std::string>();
    EXPECT_EQ(tok.encode_padded(text), expected) << text;
    const auto ids = tok.encode(text);
    truncated += ids.size() == 64 && ids.back() == 1 && expected[62] != 1;
    ++n;
  }
  EXPECT_GE(n, 49);
  EXPECT_GE(truncated, 2);  // the long captions were cut to 63 tokens + "</s>"
}

TEST(SiglipTokenizer, ErrorsNameTheFile) {
  if (!sentencepiece_available()) {
    EXPECT_THROW(SiglipTokenizer::from_folder(kDir), Error);
    return;
  }
  try {
    SiglipTokenizer("/nonexistent/spiece.model", {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/spiece.model"), std::string::npos);
  }
}

}  // namespace
}  // namespace oqvl::data
