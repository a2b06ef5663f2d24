#include "oqvl/eval/mathvista_answer.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace oqvl::eval;
using V = std::vector<std::string>;

// Expected values checked against the harness's functions in Python 3.11.
TEST(MathVistaNumbers, ExtractsLikeTheHarness) {
  EXPECT_EQ(extract_numbers("The length is 1,234 cm"), (V{"1,234", "234"}));
  EXPECT_EQ(extract_numbers("about 1.5e3 units"), (V{"1.5e3", "1", "3"}));
  EXPECT_EQ(extract_numbers("-5 degrees"), (V{"-5"}));
  EXPECT_EQ(extract_numbers(".5 of it"), (V{".5"}));
  EXPECT_EQ(extract_numbers("x=12,000,000 and 3.25"), (V{"12,000,000", "000", "3.25"}));
  EXPECT_EQ(extract_numbers("2,5 apples"), (V{"5"}));
  EXPECT_EQ(extract_numbers("version 1.2.3"), (V{"1.2", ".3"}));
  EXPECT_EQ(extract_numbers("no digits"), V{});
}

TEST(MathVistaNumbers, PythonFloatAndRound) {
  EXPECT_EQ(parse_python_float("1e5"), 1e5);
  EXPECT_EQ(parse_python_float("1_000"), 1000);
  EXPECT_EQ(parse_python_float("1,234"), 1234);
  EXPECT_EQ(parse_python_float(" 7 "), 7);
  EXPECT_EQ(parse_python_float("5."), 5);
  EXPECT_EQ(parse_python_float("-.5"), -0.5);
  EXPECT_EQ(parse_python_float("+3"), 3);
  EXPECT_TRUE(std::isinf(*parse_python_float("inf")));
  for (const char* bad : {"12 cm", ".", "1__0", "_1", "", "e5", "1e"})
    EXPECT_FALSE(parse_python_float(bad)) << bad;
  EXPECT_EQ(round_decimals(0.125, 2), 0.12);
  EXPECT_EQ(round_decimals(2.675, 2), 2.67);
  EXPECT_EQ(round_decimals(0.5, 0), 0.0);
  EXPECT_EQ(round_decimals(1.5, 0), 2.0);
  EXPECT_EQ(round_decimals(-0.005, 2), -0.01);
}

TEST(MathVistaOpen, NormalizesAndParsesResponses) {
  EXPECT_EQ(normalize_open_value("1,234"), (std::vector<OpenValue>{{true, 1234, ""}}));
  EXPECT_EQ(normalize_open_value(" Cat "), (std::vector<OpenValue>{{false, 0, "cat"}}));
  EXPECT_EQ(normalize_open_value("B"),
            (std::vector<OpenValue>{{false, 0, " b"}, {false, 0, "b "}}));

  // Numbers first (sorted), then texts.
  EXPECT_EQ(describe(parse_open_response("1,234 cm")), "234 | 1234 | 1,234 cm");
  // The tail after a key phrase; "=" counts on the last line only.
  EXPECT_EQ(describe(parse_open_response("So the area is 12.345.")),
            "12.35");  // "12.345" is a number
  EXPECT_EQ(describe(parse_open_response("x = 4\nthus y = 9")), "9");
  EXPECT_EQ(describe(parse_open_response("-5 degrees")), "-5 | -5 degrees");
  EXPECT_EQ(describe(parse_open_response("The city is paris")), "paris");
  EXPECT_TRUE(eval_open("9", parse_open_response("x = 4\nthus y = 9")));
  EXPECT_TRUE(eval_open("a", parse_open_response("a")));
  EXPECT_FALSE(eval_open("a", parse_open_response("cat")));
  EXPECT_TRUE(eval_open("Paris", parse_open_response("The city is paris")));
}

TEST(MathVistaChoice, ParsesLettersBracketsAndTexts) {
  const std::vector<std::pair<std::string, std::string>> opts = {
      {"A", "3/11"}, {"B", "8/11"}, {"C", "6/11"}, {"D", "3/5"}};
  EXPECT_EQ(parse_multi_choice_response("A.", opts), "A");
  EXPECT_EQ(parse_multi_choice_response("The correct answer is (B) 8/11.", opts), "B");
  EXPECT_EQ(parse_multi_choice_response("The answer is C.", opts), "C");
  EXPECT_EQ(parse_multi_choice_response("(A) or rather (D)", opts), "D");  // the last one
  EXPECT_EQ(parse_multi_choice_response("A B", opts), "B");
  EXPECT_EQ(parse_multi_choice_response("i would say that it is 6/11 here", opts),
            "C");                                                            // > 5 words
  EXPECT_EQ(parse_multi_choice_response("it is 6/11", opts), std::nullopt);  // too short for text
  EXPECT_EQ(parse_multi_choice_response("b", opts), std::nullopt);  // lower case is no letter
}
