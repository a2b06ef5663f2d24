// TextVQA scoring (the harness's output clean-up + m4c's EvalAI processor and accuracy) against
// tools/make_textvqa_answer_goldens.py (2,400 answers, 2,000 ten-reference scoring cases), plus
// hand-checked cases that show where it differs from vqaEval.py.
#include "oqvl/eval/textvqa_answer.h"

#include <gtest/gtest.h>

#include "oqvl/eval/vqa_answer.h"
#include "test_util.h"

using namespace oqvl::eval;

TEST(TextVqaAnswerGoldens, EveryAnswerProcessesLikeThePythonTranscription) {
  const auto doc = oqvl::test::read_fixture_json("eval/textvqa_answer_goldens.json");
  ASSERT_GE(doc["answers"].size(), 2000u);
  int wrong = 0;
  for (const auto& c : doc["answers"]) {
    const std::string in = c[0];
    const std::string cleaned = textvqa_clean_output(in), processed = textvqa_process_answer(in);
    if (cleaned != c[1] || processed != c[2]) {
      ADD_FAILURE() << "input " << c[0].dump() << ": cleaned " << nlohmann::json(cleaned).dump() << " (want "
                    << c[1].dump() << "), processed " << nlohmann::json(processed).dump() << " (want "
                    << c[2].dump() << ")";
      if (++wrong > 20) break;
    }
  }
}

TEST(TextVqaAnswerGoldens, EveryScoringCaseMatches) {
  const auto doc = oqvl::test::read_fixture_json("eval/textvqa_answer_goldens.json");
  ASSERT_GE(doc["scoring"].size(), 2000u);
  for (const auto& c : doc["scoring"]) {
    const auto s = score_textvqa_answer(c["output"].get<std::string>(),
                                        c["answers"].get<std::vector<std::string>>());
    EXPECT_EQ(s.processed, c["processed"].get<std::string>()) << c.dump();
    EXPECT_EQ(s.exact, c["exact"].get<bool>()) << c.dump();
    EXPECT_NEAR(s.score, c["score"].get<double>(), 1e-12) << c.dump();
  }
}

TEST(TextVqaAnswer, HarnessRules) {
  EXPECT_EQ(textvqa_clean_output("3.5 Dollars,\n"), "35 dollars");  // every period goes
  EXPECT_EQ(textvqa_clean_output("NOKIA<|endofchunk|>phone"), "nokia");
  EXPECT_EQ(textvqa_process_answer("Dakota's"), "dakota 's");
  EXPECT_EQ(textvqa_process_answer("What?"), "what");
  // Unanimous annotators are still processed (vqaEval.py leaves them raw): "two" matches "2".
  const std::vector<std::string> twos(10, "2");
  EXPECT_DOUBLE_EQ(score_textvqa_answer("two", twos).score, 1.0);
  EXPECT_DOUBLE_EQ(vqa_accuracy("two", twos), 0.0);
  std::vector<std::string> refs(10, "nokia");
  refs[3] = "toshiba";
  EXPECT_NEAR(score_textvqa_answer("Toshiba.", refs).score, 0.3, 1e-12);
}
