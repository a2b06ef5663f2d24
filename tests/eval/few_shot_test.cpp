// Few-shot demonstrations (eval/few_shot.h): the seeded draw, the demonstration answer, the
// prompt blocks. The draw's Python transcription in tools/eval_reference.py gives the same
// indexes (tests/cli/eval_few_shot.sh compares whole runs).
#include "oqvl/eval/few_shot.h"

#include <gtest/gtest.h>

#include <set>

#include "oqvl/core/error.h"

using namespace oqvl::eval;

TEST(FewShot, DrawIsSeededDistinctAndBounded) {
  const auto a = draw_demonstrations(100, 8, 3);
  EXPECT_EQ(a, draw_demonstrations(100, 8, 3));
  EXPECT_NE(a, draw_demonstrations(100, 8, 4));
  EXPECT_EQ(std::set<std::size_t>(a.begin(), a.end()).size(), 8u);
  for (std::size_t i : a) EXPECT_LT(i, 100u);
  // The first K of the shuffle: drawing more keeps the earlier ones.
  const auto b = draw_demonstrations(100, 9, 3);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin()));
  EXPECT_EQ(draw_demonstrations(5, 5, 1).size(), 5u);
  EXPECT_TRUE(draw_demonstrations(5, 0, 1).empty());
  EXPECT_THROW(draw_demonstrations(5, 6, 1), oqvl::Error);
}

TEST(FewShot, AnswerIsTheMostCommonReferenceFirstSeenOnTies) {
  McItem item;
  item.answer = "2";
  item.answers = {"two", "2", "2", "two", "3"};
  EXPECT_EQ(demonstration_answer(item), "two");  // 2 x "two", 2 x "2": the first seen
  item.answers = {"red", "blue", "blue"};
  EXPECT_EQ(demonstration_answer(item), "blue");
  item.answers.clear();
  EXPECT_EQ(demonstration_answer(item), "2");
}

TEST(FewShot, PrefixBlocks) {
  McItem a, b;
  a.question = "What color?";
  a.answer = "red";
  b.question = "How many?";
  b.answers = {"3", "3", "three"};
  EXPECT_EQ(
      few_shot_prefix({&a, &b}),
      "<image>\nQuestion: What color?\nAnswer the question using a single word or phrase.\nAnswer: red<|endofchunk|>"
      "<image>\nQuestion: How many?\nAnswer the question using a single word or phrase.\nAnswer: 3<|endofchunk|>");
  EXPECT_EQ(few_shot_prefix({}), "");
}
