#include "oqvl/eval/answer.h"

#include <gtest/gtest.h>

using namespace oqvl::eval;

namespace {

const std::vector<std::pair<std::string, std::string>> kFashion = {
    {"A", "t-shirt"}, {"B", "pullover"}, {"C", "coat"}, {"D", "bag"}};

McItem mc(std::string answer, std::vector<std::pair<std::string, std::string>> options = kFashion) {
  McItem item;
  item.index = "7";
  item.options = std::move(options);
  item.answer = std::move(answer);
  return item;
}

}  // namespace

TEST(StrictLetter, ReadsTheCommonAnswerForms) {
  EXPECT_EQ(extract_option_letter("B", kFashion), "B");
  EXPECT_EQ(extract_option_letter("b", kFashion), "B");
  EXPECT_EQ(extract_option_letter(" (B)", kFashion), "B");
  EXPECT_EQ(extract_option_letter("B.", kFashion), "B");
  EXPECT_EQ(extract_option_letter("B)", kFashion), "B");
  EXPECT_EQ(extract_option_letter("B. pullover", kFashion), "B");
  EXPECT_EQ(extract_option_letter("The answer is B.", kFashion), "B");
  EXPECT_EQ(extract_option_letter("Answer: (c)", kFashion), "C");
  EXPECT_EQ(extract_option_letter("option D", kFashion), "D");
  EXPECT_EQ(extract_option_letter("pullover", kFashion), "B");  // an option's text
  EXPECT_EQ(extract_option_letter("Coat.", kFashion), "C");
  EXPECT_EQ(extract_option_letter("It is a coat.", kFashion), "C");  // contains one option's text
  EXPECT_EQ(extract_option_letter("I think C", kFashion), "C");
}

TEST(StrictLetter, GivesNothingWhenUnclearOrInvalid) {
  EXPECT_EQ(extract_option_letter("", kFashion), "");
  EXPECT_EQ(extract_option_letter("E", kFashion), "");       // not an option
  EXPECT_EQ(extract_option_letter("B or C", kFashion), "");  // two letters
  EXPECT_EQ(extract_option_letter("A cat", kFashion), "");   // the article
  EXPECT_EQ(extract_option_letter("an apple", kFashion), "");
  EXPECT_EQ(extract_option_letter("a coat or a bag", kFashion), "");     // two option texts
  EXPECT_EQ(extract_option_letter("The answer is bag", kFashion), "D");  // the text, not "b"
}

TEST(PaperRules, MMBenchAndSeedUseCaseInsensitiveSubstring) {
  EXPECT_TRUE(contains_ignore_case("an apple", "A"));  // the quirk: any "a" matches gt A
  EXPECT_TRUE(contains_ignore_case("(b)", "B"));
  EXPECT_FALSE(contains_ignore_case("B", "C"));

  for (BenchKind kind : {BenchKind::kMMBench, BenchKind::kSEEDBench, BenchKind::kGeneric}) {
    EXPECT_TRUE(judge(mc("B"), kind, "b").correct);
    EXPECT_TRUE(judge(mc("B"), kind, "(B)").correct);
    EXPECT_FALSE(judge(mc("B"), kind, "C").correct);
    // "The answer is B." contains an "a": right for gt A under the paper's rule...
    Judgement paper = judge(mc("A"), kind, "The answer is B.");
    EXPECT_TRUE(paper.correct);
    EXPECT_EQ(paper.extracted, "B");
    // ...and wrong under the strict rule.
    ScoreOptions strict;
    strict.rule = McRule::kStrictLetter;
    EXPECT_FALSE(judge(mc("A"), kind, "The answer is B.", strict).correct);
    EXPECT_TRUE(judge(mc("B"), kind, "The answer is B.", strict).correct);
  }
}

TEST(PaperRules, MMStarIsCaseSensitive) {
  EXPECT_TRUE(judge(mc("A"), BenchKind::kMMStar, "A").correct);
  EXPECT_FALSE(judge(mc("A"), BenchKind::kMMStar, "a").correct);
  EXPECT_TRUE(judge(mc("C"), BenchKind::kMMStar, "(C) coat").correct);
  EXPECT_FALSE(judge(mc("C"), BenchKind::kMMStar, "coat").correct);
}

TEST(PaperRules, MathVistaMultipleChoice) {
  McItem item = mc("B", {{"A", "a circle"}, {"B", "it's a square"}, {"C", "a \"triangle\""}});
  EXPECT_TRUE(judge(item, BenchKind::kMathVista, "B").correct);
  EXPECT_TRUE(judge(item, BenchKind::kMathVista, "(B) it's a square").correct);
  EXPECT_TRUE(judge(item, BenchKind::kMathVista, "It's a square, clearly the answer here").correct);
  EXPECT_FALSE(judge(item, BenchKind::kMathVista, "(A) or maybe (C)").correct);
  Judgement j = judge(item, BenchKind::kMathVista, "no idea");
  EXPECT_TRUE(j.guessed);
  ASSERT_EQ(j.extracted.size(), 1u);
  EXPECT_EQ(j.correct, j.extracted == "B");
  EXPECT_EQ(judge(item, BenchKind::kMathVista, "no idea").extracted, j.extracted);  // seeded
  ScoreOptions no_guess;
  no_guess.mathvista_guess = false;
  Judgement k = judge(item, BenchKind::kMathVista, "no idea", no_guess);
  EXPECT_FALSE(k.guessed);
  EXPECT_EQ(k.extracted, "");
  EXPECT_FALSE(k.correct);
}

TEST(PaperRules, MathVistaFreeFormNumbers) {
  McItem length;
  length.index = "1";
  length.question_type = "free_form";
  length.answer_type = "integer";
  length.answer = "1234";
  EXPECT_TRUE(judge(length, BenchKind::kMathVista, "1,234 cm").correct);
  EXPECT_TRUE(judge(length, BenchKind::kMathVista, "The length is 1234.0").correct);
  EXPECT_FALSE(judge(length, BenchKind::kMathVista, "1,235 cm").correct);

  McItem fraction = length;
  fraction.answer_type = "float";
  fraction.precision = 1;
  fraction.answer = "0.6";
  EXPECT_TRUE(judge(fraction, BenchKind::kMathVista, "0.6").correct);
  EXPECT_TRUE(judge(fraction, BenchKind::kMathVista, "0.60").correct);
  EXPECT_FALSE(judge(fraction, BenchKind::kMathVista, "0.62").correct);  // 2 decimals: 0.62 != 0.6
  ScoreOptions precise;
  precise.mathvista_use_precision = true;
  EXPECT_TRUE(judge(fraction, BenchKind::kMathVista, "0.62", precise).correct);  // 1 decimal
  EXPECT_FALSE(judge(fraction, BenchKind::kMathVista, "0.66", precise).correct);

  McItem negative = length;
  negative.answer = "-5";
  EXPECT_TRUE(judge(negative, BenchKind::kMathVista, "-5 degrees").correct);
  EXPECT_FALSE(judge(negative, BenchKind::kMathVista, "5 degrees").correct);

  McItem word = length;
  word.answer_type = "text";
  word.answer = "yes";
  EXPECT_TRUE(judge(word, BenchKind::kMathVista, "Yes, it is").correct);
  EXPECT_FALSE(judge(word, BenchKind::kMathVista, "No").correct);
}
