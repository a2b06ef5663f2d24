// The VQA answer normaliser and open-answer scoring against goldens from
// tools/make_vqa_answer_goldens.py (2,400 answers; 2,600 scoring cases, 2,000 with 10 annotators),
// plus hand-checked cases that show each rule.
#include "oqvl/eval/vqa_answer.h"

#include <gtest/gtest.h>

#include "test_util.h"

using namespace oqvl::eval;

TEST(VqaAnswerGoldens, EveryAnswerNormalisesLikeThePythonTranscription) {
  const auto doc = oqvl::test::read_fixture_json("eval/vqa_answer_goldens.json");
  ASSERT_GE(doc["normalize"].size(), 2000u);
  int wrong = 0;
  for (const auto& c : doc["normalize"]) {
    const std::string in = c[0];
    const std::string punct = vqa_process_punctuation(in), digit = vqa_process_digit_article(in),
                      norm = normalize_vqa_answer(in);
    if (punct != c[1] || digit != c[2] || norm != c[3]) {
      ADD_FAILURE() << "input " << c[0].dump() << ": punctuation " << nlohmann::json(punct).dump()
                    << " (want " << c[1].dump() << "), digit/article " << nlohmann::json(digit).dump()
                    << " (want " << c[2].dump() << "), normalized " << nlohmann::json(norm).dump()
                    << " (want " << c[3].dump() << ")";
      if (++wrong > 20) break;
    }
  }
}

TEST(VqaAnswerGoldens, EveryScoringCaseMatches) {
  const auto doc = oqvl::test::read_fixture_json("eval/vqa_answer_goldens.json");
  ASSERT_GE(doc["scoring"].size(), 2000u);
  std::size_t ten = 0;
  for (const auto& c : doc["scoring"]) {
    ten += c["answers"].size() == kVqaAnnotators;
    const auto s = score_open_answer(c["prediction"].get<std::string>(),
                                     c["answers"].get<std::vector<std::string>>());
    EXPECT_EQ(s.normalized, c["normalized"].get<std::string>()) << c.dump();
    EXPECT_EQ(s.exact, c["exact"].get<bool>()) << c.dump();
    EXPECT_NEAR(s.score, c["score"].get<double>(), 1e-12) << c.dump();
  }
  EXPECT_GE(ten, 2000u);  // the bar: 2,000 ten-annotator answer/reference sets
}

TEST(VqaAnswer, PunctuationRules) {
  EXPECT_EQ(vqa_process_punctuation("t-shirt"), "t shirt");             // no space beside '-': a space
  EXPECT_EQ(vqa_process_punctuation("yes - no"), "yes  no");            // beside a space: deleted
  EXPECT_EQ(vqa_process_punctuation("1,000 (approx)"), "1000 approx");  // digit,digit: all deleted
  EXPECT_EQ(vqa_process_punctuation("3.5 m."), "3.5 m");                // a period before a digit stays
  EXPECT_EQ(vqa_process_punctuation("don't"), "don't");                 // the apostrophe is not in the list
  EXPECT_EQ(vqa_process_punctuation(std::string(40, '.')), std::string(8, '.'));  // 32 at most
  EXPECT_EQ(vqa_process_punctuation("\xD9\xA3.\xD9\xA5"), "\xD9\xA3.\xD9\xA5");   // Arabic digits
}

TEST(VqaAnswer, DigitArticleRules) {
  EXPECT_EQ(vqa_process_digit_article("The Two dogs"), "2 dogs");
  EXPECT_EQ(vqa_process_digit_article("an  ankle\tboot"), "ankle boot");
  EXPECT_EQ(vqa_process_digit_article("None"), "0");
  EXPECT_EQ(vqa_process_digit_article("eleven"), "eleven");
  EXPECT_EQ(vqa_process_digit_article("DONT"), "don't");
  EXPECT_EQ(vqa_process_digit_article("Im"), "im");                    // the table's capital keys never match
  EXPECT_EQ(vqa_process_digit_article("CAF\xC3\x89"), "caf\xC3\xA9");  // Unicode lower case
  EXPECT_EQ(vqa_process_digit_article("a\xE3\x80\x80"
                                      "b"),
            "b");  // U+3000 splits: "a" dropped
}

TEST(VqaAnswer, NormalizeAndCut) {
  EXPECT_EQ(normalize_vqa_answer("  Ankle boot.\n"), "ankle boot");
  EXPECT_EQ(normalize_vqa_answer("A T-Shirt"), "t shirt");
  EXPECT_EQ(cut_at_end_of_chunk("yes<|endofchunk|>no"), "yes");
  EXPECT_EQ(cut_at_end_of_chunk("yes"), "yes");
}

TEST(VqaAnswer, ScoringExactAndVqaAccuracy) {
  EXPECT_TRUE(score_open_answer("Ankle boot", {"ankle boot"}).exact);
  EXPECT_FALSE(score_open_answer("boot", {"ankle boot"}).exact);
  auto any = score_open_answer("two", {"2", "3"});
  EXPECT_TRUE(any.exact);
  EXPECT_EQ(any.score, 1.0);
  EXPECT_EQ(score_open_answer("cat<|endofchunk|>dog", {"cat"}).score, 1.0);
  // 10 annotators: 2 say "red" -> each leave-one-out subset has 1 or 2 matches.
  std::vector<std::string> ten = {"red",  "red",  "blue", "blue", "blue",
                                  "blue", "blue", "blue", "blue", "blue"};
  EXPECT_NEAR(score_open_answer("red", ten).score, (2 * (1.0 / 3) + 8 * (2.0 / 3)) / 10, 1e-12);
  EXPECT_TRUE(score_open_answer("red", ten).exact);
  EXPECT_EQ(score_open_answer("blue", ten).score, 1.0);
  EXPECT_EQ(score_open_answer("green", ten).score, 0.0);
  // Official quirk: unanimous annotators are compared without normalisation.
  std::vector<std::string> twos(10, "2");
  EXPECT_EQ(score_open_answer("2", twos).score, 1.0);
  EXPECT_EQ(score_open_answer("two", twos).score, 0.0);
  EXPECT_TRUE(score_open_answer("two", twos).exact);
  EXPECT_EQ(vqa_accuracy("x", {}), 0.0);
}
