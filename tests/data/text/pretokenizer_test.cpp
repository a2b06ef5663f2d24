// The hand-written Qwen2 pre-tokenizer on the regex's corner cases (expected pieces checked
// with HF tokenizers' pre_tokenizer.pre_tokenize_str).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "oqvl/data/text/pretokenizer.h"

namespace oqvl::data {
namespace {

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string_view> pieces;
  split_qwen2(text, pieces);
  return {pieces.begin(), pieces.end()};
}

using Pieces = std::vector<std::string>;

TEST(Pretokenizer, WhitespaceRunsLeaveOneSpaceForTheNextWord) {
  EXPECT_EQ(split("  a"), (Pieces{" ", " a"}));
  EXPECT_EQ(split("a  \n b"), (Pieces{"a", "  \n", " b"}));
  EXPECT_EQ(split("a   "), (Pieces{"a", "   "}));
  EXPECT_EQ(split("a \t(b"), (Pieces{"a", " ", "\t", "(b"}));
  EXPECT_EQ(split("x\n\n\ty"), (Pieces{"x", "\n\n", "\ty"}));
  EXPECT_EQ(split("a\u00a0\u00a0b"), (Pieces{"a", "\u00a0", "\u00a0b"}));
  EXPECT_EQ(split("\r\n"), (Pieces{"\r\n"}));
  EXPECT_EQ(split(""), (Pieces{}));
}

TEST(Pretokenizer, ContractionsAreCaseInsensitive) {
  EXPECT_EQ(split("it'S"), (Pieces{"it", "'S"}));
  EXPECT_EQ(split("'rE'Ll'D'VE'M'T"), (Pieces{"'rE", "'Ll", "'D", "'VE", "'M", "'T"}));
  EXPECT_EQ(split("'Sa"), (Pieces{"'S", "a"}));
  EXPECT_EQ(split("'\u017fa"), (Pieces{"'\u017f", "a"}));  // long s folds to s
  EXPECT_EQ(split("'xa"), (Pieces{"'xa"}));
}

TEST(Pretokenizer, LettersNumbersAndPunctuation) {
  EXPECT_EQ(split("Hello world, 2024!"), (Pieces{"Hello", " world", ",", " ", "2", "0", "2", "4", "!"}));
  EXPECT_EQ(split("...hello"), (Pieces{"...", "hello"}));
  EXPECT_EQ(split("x\u0301y"), (Pieces{"x", "\u0301y"}));  // a mark prefixes the next letters
  EXPECT_EQ(split(" (a)\n\nb"), (Pieces{" (", "a", ")\n\n", "b"}));
  EXPECT_EQ(split("日本語です"), (Pieces{"日本語です"}));
}

}  // namespace
}  // namespace oqvl::data
