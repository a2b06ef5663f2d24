#include "oqvl/eval/prompts.h"

#include <gtest/gtest.h>

using namespace oqvl::eval;

namespace {
const std::filesystem::path kDir = std::filesystem::path(OQVL_FIXTURES_DIR) / "eval";
}

TEST(Prompts, MMBenchAndSeedAreTheHarnessStrings) {
  Benchmark b = read_benchmark(kDir / "mmbench_dev_en_sample.tsv");
  EXPECT_EQ(build_prompt(b.items[0], BenchKind::kMMBench),
            "<image>\nWhat color is the square?\nA. red\nB. green\nC. blue\nD. gray\n"
            "Answer with the option's letter from the given choices directly.\nAnswer:");
  // The paper's harness leaves MMBench's hint out; include_hint puts it before the question.
  EXPECT_EQ(build_prompt(b.items[1], BenchKind::kMMBench),
            "<image>\nWhich word describes it, \"bright\" or \"dark\"?\nA. bright\nB. dark\n"
            "Answer with the option's letter from the given choices directly.\nAnswer:");
  PromptOptions hint;
  hint.include_hint = true;
  EXPECT_EQ(build_prompt(b.items[1], BenchKind::kMMBench, hint),
            "<image>\nLook at the\tcolor.\nWhich word describes it, \"bright\" or \"dark\"?\nA. "
            "bright\nB. dark\n"
            "Answer with the option's letter from the given choices directly.\nAnswer:");
  EXPECT_EQ(build_prompt(b.items[0], BenchKind::kMMBench, hint),
            build_prompt(b.items[0], BenchKind::kMMBench));
  // Only the options an item has, with their own letters.
  EXPECT_EQ(build_prompt(b.items[3], BenchKind::kMMBench),
            "<image>\nWhat is shown?\nA. a gray square\nB. a red circle\nD. a tree\n"
            "Answer with the option's letter from the given choices directly.\nAnswer:");

  Benchmark seed = read_benchmark(kDir / "seedbench_img_sample.tsv");
  EXPECT_EQ(build_prompt(seed.items[0], seed.kind),
            "<image>\nHow many squares are there?\nA. 1\nB. 2\nC. 3\nD. 4\n"
            "Answer with the option's letter from the given choices directly.\nAnswer:");
}

TEST(Prompts, MMStarPutsTheOptionsInlineAfterQuestion) {
  Benchmark b = read_benchmark(kDir / "mmstar_sample.tsv");
  EXPECT_EQ(build_prompt(b.items[0], BenchKind::kMMStar),
            "<image>\nQuestion: Which color fills the image?\nOptions: A: red, B: green, C: blue, "
            "D: gray\n"
            "Answer with the option's letter from the given choices directly.\nAnswer:");
  McItem inline_options = b.items[0];
  inline_options.question = "Which color?\nOptions: A: red, B: green";
  EXPECT_EQ(mmstar_question(inline_options), "Which color?\nOptions: A: red, B: green");
}

TEST(Prompts, MathVistaFreeFormAndMultipleChoice) {
  Benchmark b = read_benchmark(kDir / "mathvista_mini_sample.tsv");
  EXPECT_EQ(build_prompt(b.items[0], BenchKind::kMathVista),
            "<image>\nWhat is the length of the side? (Unit: cm)\n"
            "Answer the question using a single word or phrase.\nAnswer:");
  EXPECT_EQ(build_prompt(b.items[2], BenchKind::kMathVista),
            "<image>\nWhich shape is it?\nA. a circle\nB. it's a square\nC. a \"triangle\"\n"
            "Answer with the option's letter from the given choices directly.\nAnswer:");
}

TEST(Prompts, GenericFreeFormIsTheShortAnswerPrompt) {
  McItem item;
  item.question = "what color is the shape?";
  EXPECT_EQ(build_prompt(item, BenchKind::kGeneric),
            "<image>\nQuestion: what color is the shape?\n"
            "Answer the question using a single word or phrase.\nAnswer:");
}

TEST(Prompts, OpenAnswerIsTheHarnessVqaPrompt) {
  McItem item;
  item.question = "What item is shown?";
  item.answers = {"bag"};
  EXPECT_EQ(build_prompt(item, BenchKind::kOpen),
            "<image>\nQuestion: What item is shown?\n"
            "Answer the question using a single word or phrase.\nAnswer:");
}
