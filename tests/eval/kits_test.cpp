// The VLMEvalKit layouts of POPE, AI2D, TextVQA val and MMMU val: reading (multi-image cells,
// OCR tokens, yes/no answers), the harness's prompts, scoring and the POPE metrics.
#include <gtest/gtest.h>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/data/io/base64.h"
#include "oqvl/eval/answer.h"
#include "oqvl/eval/benchmark.h"
#include "oqvl/eval/pope.h"
#include "oqvl/eval/prompts.h"
#include "oqvl/eval/report.h"

using namespace oqvl::eval;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(OQVL_FIXTURES_DIR) / "eval";

std::string png_b64(const char* name) {
  return oqvl::data::base64_encode(oqvl::read_file(kDir / "images" / name));
}

Benchmark tsv(const std::string& text, const char* name) { return read_tsv_benchmark(text, kDir / name); }

std::string error_of(const std::string& text, const char* name) {
  try {
    tsv(text, name);
  } catch (const oqvl::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(KitsPope, ReadPromptScoreAndMetrics) {
  const std::string red = png_b64("red.png");
  Benchmark b = tsv("index\tquestion\tanswer\tcategory\timage\n"
                    "1\tIs there a dog in the image?\tyes\tadversarial\t" +
                        red +
                        "\n"
                        "2\tIs there a cat in the image?\tNo\tpopular\t1\n"
                        "3\tIs there a car in the image?\tno\trandom\t1\n"
                        "4\tIs there a bus in the image?\tyes\trandom\t1\n",
                    "POPE.tsv");
  EXPECT_EQ(b.kind, BenchKind::kPOPE);
  ASSERT_EQ(b.items.size(), 4u);
  EXPECT_EQ(b.items[1].answer, "no");  // lower-cased
  EXPECT_EQ(
      build_prompt(b.items[0], b.kind),
      "<image>\nQuestion: Is there a dog in the image?\nAnswer the question using a single word or phrase.\nAnswer:");
  EXPECT_EQ(pope_label(",Yes.,"), "yes");     // "," stripped first, then "."
  EXPECT_EQ(pope_label(".,Yes,."), ",yes,");  // no outer "," to strip first
  EXPECT_EQ(pope_label("Yes."), "yes");
  EXPECT_EQ(pope_label("yes, there is"), "yes, there is");
  const std::vector<std::string> outputs = {"Yes.", "no", "Yes", "No"};
  std::vector<Judgement> js;
  for (std::size_t i = 0; i < 4; ++i) js.push_back(judge(b.items[i], b.kind, outputs[i]));
  EXPECT_TRUE(js[0].correct);
  EXPECT_TRUE(js[1].correct);
  EXPECT_FALSE(js[2].correct);
  EXPECT_FALSE(js[3].correct);
  Summary s = summarize(b, js);
  ASSERT_TRUE(s.has_pope);
  ASSERT_EQ(s.pope.splits.size(), 3u);
  const PopeStats& random = s.pope.splits[2];
  EXPECT_EQ(random.split, "random");
  EXPECT_DOUBLE_EQ(random.accuracy(), 0.0);
  EXPECT_DOUBLE_EQ(random.precision(), 0.0);  // one "yes" predicted, wrong
  EXPECT_DOUBLE_EQ(random.recall(), 0.0);
  EXPECT_DOUBLE_EQ(random.f1(), 0.0);
  EXPECT_DOUBLE_EQ(random.yes_ratio(), 0.5);
  EXPECT_DOUBLE_EQ(s.pope.splits[0].f1(), 1.0);
  EXPECT_DOUBLE_EQ(s.pope.splits[1].f1(), 0.0);  // no positives at all: 0, as sklearn
  EXPECT_DOUBLE_EQ(s.pope.accuracy, (1.0 + 1.0 + 0.0) / 3);
  EXPECT_DOUBLE_EQ(s.pope.f1, 1.0 / 3);
  const auto j = summary_json(s);
  EXPECT_DOUBLE_EQ(j["pope"]["splits"]["random"]["yes_ratio"].get<double>(), 0.5);
  EXPECT_NE(summary_table(s).find("pope split"), std::string::npos);
  EXPECT_NE(
      error_of("index\tquestion\tanswer\tcategory\timage\n1\tq?\tmaybe\trandom\t" + red + "\n", "POPE.tsv")
          .find("POPE.tsv: line 2: POPE answer 'maybe' is neither yes nor no"),
      std::string::npos);
}

TEST(KitsTextVqa, OcrTokensInThePromptAndM4cScoring) {
  const std::string red = png_b64("red.png");
  Benchmark b = tsv(
      "index\tquestion\tanswer\tocr_tokens\timage\n"
      "7\twhat brand is this?\t\"['nokia', 'nokia', 'nokia', 'nokia', 'nokia', 'nokia', 'nokia', "
      "'nokia', 'nokia', 'toshiba']\"\t\"['NOKIA', 'phone', \"\"it's\"\"]\"\t" +
          red +
          "\n"
          "8\t\"what does it say?\nReference OCR token: stop, sign\"\tstop\t\t7\n",
      "TextVQA_VAL.tsv");
  EXPECT_EQ(b.kind, BenchKind::kTextVQA);
  ASSERT_EQ(b.items.size(), 2u);
  EXPECT_EQ(b.items[0].answers.size(), 10u);
  EXPECT_EQ(build_prompt(b.items[0], b.kind),
            "<image>\nQuestion: what brand is this?\nReference OCR token: NOKIA, phone, it's\n"
            "Answer the question using a single word or phrase.\nAnswer:");
  PromptOptions pure;
  pure.ocr = false;
  EXPECT_EQ(textvqa_question(b.items[0], pure), "what brand is this?");
  // A question that carries its OCR line (LLaVA's question file): kept, or cut for "Pure".
  EXPECT_EQ(textvqa_question(b.items[1]), "what does it say?\nReference OCR token: stop, sign");
  EXPECT_EQ(textvqa_question(b.items[1], pure), "what does it say?");
  EXPECT_NEAR(judge(b.items[0], b.kind, "Toshiba.").score, 0.3, 1e-12);
  EXPECT_NEAR(judge(b.items[0], b.kind, "NOKIA").score, 1.0, 1e-12);
}

TEST(KitsAi2d, McPromptAndLetterScoring) {
  const std::string red = png_b64("red.png");
  Benchmark b = tsv("index\tquestion\tA\tB\tC\tD\tanswer\tcategory\timage\n"
                    "0\tWhich stage comes first?\tegg\tlarva\tpupa\tadult\tA\tlife cycle\t" +
                        red + "\n",
                    "AI2D_TEST.tsv");
  EXPECT_EQ(b.kind, BenchKind::kAI2D);
  EXPECT_EQ(build_prompt(b.items[0], b.kind),
            "<image>\nWhich stage comes first?\nA. egg\nB. larva\nC. pupa\nD. adult\n"
            "Answer with the option's letter from the given choices directly.\nAnswer:");
  EXPECT_TRUE(judge(b.items[0], b.kind, "A").correct);
  EXPECT_FALSE(judge(b.items[0], b.kind, "B").correct);
  // No substring quirk: a letter that is not the pick does not count.
  EXPECT_FALSE(judge(b.items[0], b.kind, "Banana").correct);
}

TEST(KitsMmmu, MultiImageCellsPromptAndParsers) {
  const std::string red = png_b64("red.png"), blue = png_b64("blue.png");
  Benchmark b = tsv("index\tquestion\tA\tB\tC\tanswer\tquestion_type\tsubfield\tcategory\timage\n"
                    "0\tCompare <image 1> and <image  2>. Which is red?\t<image 1>\t<image 2>\tneither\tA\t"
                    "multiple-choice\tArt_Theory\tArt\t\"['" +
                        red + "', '" + blue +
                        "']\"\n"
                        "1\tHow many sides does <image 1> have?\t\t\t\t4\topen\t\tMath\t" +
                        red + "\n",
                    "MMMU_DEV_VAL.tsv");
  EXPECT_EQ(b.kind, BenchKind::kMMMU);
  ASSERT_EQ(b.items.size(), 2u);
  EXPECT_EQ(b.items[0].more_images.size(), 1u);
  EXPECT_EQ(item_images(b.items[0]).size(), 2u);
  EXPECT_EQ(item_images(b.items[0])[1], oqvl::read_file(kDir / "images" / "blue.png"));
  EXPECT_EQ(build_prompt(b.items[0], b.kind),
            "The following are multiple choice questions about Art Theory.\n\n"
            "Compare <image>\n and <image>\n. Which is red?\nA. <image>\n\nB. <image>\n\nC. neither\n"
            "Answer with the option's letter from the given choices directly.\nAnswer:");
  EXPECT_EQ(build_prompt(b.items[1], b.kind),
            "The following are multiple choice questions about Math.\n\nHow many sides does <image>\n have?\n"
            "Answer the question using a single word or phrase.\nAnswer:");
  EXPECT_TRUE(judge(b.items[0], b.kind, "(A)").correct);
  EXPECT_FALSE(judge(b.items[0], b.kind, "B").correct);
  EXPECT_TRUE(judge(b.items[1], b.kind, "It has 4 sides").correct);
  EXPECT_FALSE(judge(b.items[1], b.kind, "3").correct);
  // No image tag at all: the image goes in front.
  McItem plain = b.items[1];
  plain.question = "How many sides?";
  EXPECT_EQ(build_prompt(plain, b.kind).rfind("<image>\nThe following", 0), 0u);
  EXPECT_NE(error_of("index\tquestion\tanswer\timage\n0\tq\t4\t\"['" + std::string(80, '!') + "']\"\n",
                     "MMMU_DEV_VAL.tsv")
                .find("line 2: image column is not valid base64"),
            std::string::npos);
}
