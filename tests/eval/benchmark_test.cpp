#include "oqvl/eval/benchmark.h"
#include "oqvl/eval/python_literal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/data/io/base64.h"
#include "oqvl/data/image/image.h"
#include "oqvl/data/image/image_encode.h"

namespace fs = std::filesystem;
using namespace oqvl::eval;

namespace {

const fs::path kDir = fs::path(OQVL_FIXTURES_DIR) / "eval";

std::string error_of(const fs::path& file, ReadOptions options = {}) {
  try {
    read_benchmark(file, options);
  } catch (const oqvl::Error& e) {
    return e.what();
  }
  return "no error";
}

std::vector<std::string> letters(const McItem& item) {
  std::vector<std::string> out;
  for (const auto& o : item.options) out.push_back(o.first);
  return out;
}

}  // namespace

TEST(BenchmarkTsv, ReadsMMBenchLayoutWithItsQuirks) {
  Benchmark b = read_benchmark(kDir / "mmbench_dev_en_sample.tsv");
  EXPECT_EQ(b.kind, BenchKind::kMMBench);
  ASSERT_EQ(b.items.size(), 4u);
  const McItem& a = b.items[0];
  EXPECT_EQ(a.index, "0");
  EXPECT_EQ(a.row, 2);
  EXPECT_EQ(a.question, "What color is the square?");
  EXPECT_EQ(a.hint, "");
  EXPECT_EQ(letters(a), (std::vector<std::string>{"A", "B", "C", "D"}));
  EXPECT_EQ(*a.option("C"), "blue");
  EXPECT_EQ(a.answer, "A");
  EXPECT_EQ(a.category, "color_recognition");
  EXPECT_EQ(a.l2_category, "fine-grained perception (instance)");
  EXPECT_EQ(a.question_type, "multi_choice");
  EXPECT_EQ(a.extra.at("source"), "fixture");
  EXPECT_EQ(a.extra.at("split"), "dev");
  EXPECT_FALSE(a.extra.contains("comment"));  // empty cell = NaN
  auto img = oqvl::data::decode_image(oqvl::data::as_bytes(a.image_bytes));
  EXPECT_EQ(img.width, 8);
  EXPECT_EQ(img.rgb[0], 255);
  EXPECT_EQ(img.rgb[1], 0);

  // Quoted fields: doubled quotes, a tab inside the hint; only the options present.
  const McItem& q = b.items[1];
  EXPECT_EQ(q.question, "Which word describes it, \"bright\" or \"dark\"?");
  EXPECT_EQ(q.hint, "Look at the\tcolor.");
  EXPECT_EQ(letters(q), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(q.row, 3);
  EXPECT_FALSE(q.extra.contains("comment"));  // "nan"

  // A line break inside the question; hint "nan"; the image is a reference to row index 0.
  const McItem& r = b.items[2];
  EXPECT_EQ(r.question, "Is the square the same as in question 0?\nAnswer carefully.");
  EXPECT_EQ(r.hint, "");
  EXPECT_EQ(r.image_bytes, a.image_bytes);
  EXPECT_EQ(r.row, 4);
  EXPECT_EQ(letters(r), (std::vector<std::string>{"A", "B", "C"}));

  // Option C is the text "None", which pandas reads as NaN: the kits drop it, keeping D.
  const McItem& s = b.items[3];
  EXPECT_EQ(s.row, 6);
  EXPECT_EQ(letters(s), (std::vector<std::string>{"A", "B", "D"}));
  EXPECT_EQ(*s.option("D"), "a tree");
}

TEST(BenchmarkTsv, ReadsSeedMMStarAndMathVistaLayouts) {
  Benchmark seed = read_benchmark(kDir / "seedbench_img_sample.tsv");
  EXPECT_EQ(seed.kind, BenchKind::kSEEDBench);
  ASSERT_EQ(seed.items.size(), 3u);
  EXPECT_EQ(seed.items[0].index, "101");
  EXPECT_EQ(seed.items[0].category, "Instances Counting");
  EXPECT_EQ(seed.items[1].answer, "C");

  Benchmark star = read_benchmark(kDir / "mmstar_sample.tsv");
  EXPECT_EQ(star.kind, BenchKind::kMMStar);
  ASSERT_EQ(star.items.size(), 2u);
  EXPECT_EQ(star.items[0].l2_category, "image scene and topic");
  EXPECT_EQ(star.items[1].category, "instance reasoning");

  Benchmark mv = read_benchmark(kDir / "mathvista_mini_sample.tsv");
  EXPECT_EQ(mv.kind, BenchKind::kMathVista);
  ASSERT_EQ(mv.items.size(), 4u);
  const McItem& free_int = mv.items[0];
  EXPECT_EQ(free_int.question_type, "free_form");
  EXPECT_FALSE(free_int.multiple_choice());
  EXPECT_EQ(free_int.answer, "1234");
  EXPECT_EQ(free_int.answer_type, "integer");
  EXPECT_EQ(free_int.unit, "cm");
  EXPECT_EQ(free_int.precision, -1);
  EXPECT_EQ(free_int.category, "geometry problem solving");  // MathVista's task
  EXPECT_EQ(free_int.extra.at("skills"), "['geometry reasoning', 'arithmetic reasoning']");
  EXPECT_EQ(mv.items[1].answer_type, "float");
  EXPECT_EQ(mv.items[1].precision, 1);  // written "1.0"

  // Choices as a Python list literal with quotes of both kinds; the answer letter from
  // answer_option, or found from the answer text.
  const McItem& mc = mv.items[2];
  EXPECT_EQ(mc.question_type, "multi_choice");
  EXPECT_EQ(mc.choices, (std::vector<std::string>{"a circle", "it's a square", "a \"triangle\""}));
  EXPECT_EQ(letters(mc), (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(mc.answer, "B");
  EXPECT_EQ(mc.extra.at("answer_text"), "it's a square");
  EXPECT_EQ(mv.items[3].answer, "A");
}

TEST(BenchmarkJsonl, ReadsListAndObjectOptionsAndImagePaths) {
  Benchmark b = read_benchmark(kDir / "mc_sample.jsonl");
  EXPECT_EQ(b.kind, BenchKind::kGeneric);
  ASSERT_EQ(b.items.size(), 3u);
  EXPECT_EQ(b.items[0].index, "q1");
  EXPECT_EQ(letters(b.items[0]), (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(b.items[0].category, "color");
  EXPECT_TRUE(fs::path(b.items[0].image_path).is_absolute());
  EXPECT_EQ(fs::path(b.items[0].image_path).filename(), "red.png");
  EXPECT_TRUE(fs::exists(b.items[0].image_path));
  EXPECT_EQ(b.items[1].index, "2");  // a numeric id
  EXPECT_EQ(b.items[1].hint, "It is a primary color.");
  EXPECT_EQ(*b.items[1].option("B"), "blue");
  EXPECT_EQ(b.items[1].extra.at("source"), "fixture");
  EXPECT_EQ(b.items[2].answer, "B");  // given as the option's text "no"
  EXPECT_EQ(b.items[2].row, 3);
}

TEST(BenchmarkMalformed, ErrorsNameTheFileAndLine) {
  const fs::path bad = kDir / "malformed";
  std::string e = error_of(bad / "mmbench_bad_answer.tsv");
  EXPECT_NE(e.find("mmbench_bad_answer.tsv: line 4: answer 'E' is not one of the options ABD"),
            std::string::npos)
      << e;
  e = error_of(bad / "mmbench_bad_base64.tsv");
  EXPECT_NE(e.find("line 3: image column is not valid base64"), std::string::npos) << e;
  e = error_of(bad / "mmbench_bad_image_ref.tsv");
  EXPECT_NE(e.find("line 2: image '42' is neither base64 image data nor the index of another row"),
            std::string::npos)
      << e;
  e = error_of(bad / "mmbench_no_question_column.tsv");
  EXPECT_NE(e.find("line 1: no 'question' column"), std::string::npos) << e;
  e = error_of(bad / "mmbench_wrong_field_count.tsv");
  EXPECT_NE(e.find("mmbench_wrong_field_count.tsv: line 6: 13 fields, the header has 14"),
            std::string::npos)
      << e;
  e = error_of(bad / "mmbench_unterminated_quote.tsv");
  EXPECT_NE(e.find("line 3: unterminated quoted field"), std::string::npos) << e;
  e = error_of(bad / "mc_bad.jsonl");
  EXPECT_NE(e.find("mc_bad.jsonl: line 3: answer 'C' is not one of the options AB"),
            std::string::npos)
      << e;
  EXPECT_NE(error_of(kDir / "missing.tsv").find("no such benchmark file"), std::string::npos);
}

TEST(BenchmarkMalformed, SkipModeCountsBadRows) {
  ReadOptions skip;
  skip.skip_malformed = true;
  Benchmark b = read_benchmark(kDir / "malformed" / "mmbench_wrong_field_count.tsv", skip);
  EXPECT_EQ(b.items.size(), 3u);
  EXPECT_EQ(b.skipped, 1);
  ASSERT_EQ(b.skip_reasons.size(), 1u);
  EXPECT_NE(b.skip_reasons[0].find("line 6"), std::string::npos);

  Benchmark j = read_benchmark(kDir / "malformed" / "mc_bad.jsonl", skip);
  EXPECT_EQ(j.items.size(), 1u);
  EXPECT_EQ(j.skipped, 2);
  EXPECT_NE(j.skip_reasons[1].find("line 4: not valid JSON"), std::string::npos)
      << j.skip_reasons[1];

  // File-level problems are never skipped.
  EXPECT_THROW(read_benchmark(kDir / "malformed" / "mmbench_no_question_column.tsv", skip),
               oqvl::Error);
}

TEST(BenchmarkTsv, AnswerlessTestSplitsWhenAsked) {
  std::vector<std::uint8_t> pixels(4 * 4, 200);
  std::string image = oqvl::data::base64_encode(oqvl::data::encode_png(pixels, 4, 4, 1));
  std::string tsv = "index\tquestion\tA\tB\timage\n5\tq?\tx\ty\t" + image + "\n6\tr?\tx\ty\t5\n";
  try {
    read_tsv_benchmark(tsv, "test_split.tsv");
    FAIL();
  } catch (const oqvl::Error& e) {
    EXPECT_STREQ(e.what(), "test_split.tsv: line 1: no 'answer' column in the header");
  }
  ReadOptions no_answer;
  no_answer.require_answer = false;
  Benchmark b = read_tsv_benchmark(tsv, "test_split.tsv", no_answer);
  ASSERT_EQ(b.items.size(), 2u);
  EXPECT_EQ(b.items[0].answer, "");
  EXPECT_EQ(b.items[1].image_bytes, b.items[0].image_bytes);  // "5" refers to row index 5
}

TEST(PythonList, ParsesReprOfStringLists) {
  EXPECT_EQ(parse_python_list("['a', 'b']"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(parse_python_list("[\"it's\", 'say \"x\"', 'back\\\\slash', 'tab\\t']"),
            (std::vector<std::string>{"it's", "say \"x\"", "back\\slash", "tab\t"}));
  EXPECT_EQ(parse_python_list("['caf\\xe9', '\\u03c0']"),
            (std::vector<std::string>{"caf\xc3\xa9", "\xcf\x80"}));
  EXPECT_EQ(parse_python_list(" [1, 2.5, 'x',] "), (std::vector<std::string>{"1", "2.5", "x"}));
  EXPECT_EQ(parse_python_list("[]"), std::vector<std::string>{});
  EXPECT_THROW(parse_python_list("['a'"), oqvl::Error);
  EXPECT_THROW(parse_python_list("'a', 'b'"), oqvl::Error);
  EXPECT_THROW(parse_python_list("['a' 'b']"), oqvl::Error);
}

TEST(BenchKinds, FromNamesAndFlags) {
  EXPECT_EQ(detect_bench_kind("/x/MMBench_DEV_EN.tsv"), BenchKind::kMMBench);
  EXPECT_EQ(detect_bench_kind("SEEDBench_IMG.tsv"), BenchKind::kSEEDBench);
  EXPECT_EQ(detect_bench_kind("MMStar.tsv"), BenchKind::kMMStar);
  EXPECT_EQ(detect_bench_kind("MathVista_MINI.tsv"), BenchKind::kMathVista);
  EXPECT_EQ(detect_bench_kind("easy_vqa_test.tsv"), BenchKind::kGeneric);
  EXPECT_EQ(parse_bench_kind("MMStar"), BenchKind::kMMStar);
  EXPECT_EQ(parse_bench_kind("seed"), BenchKind::kSEEDBench);
  EXPECT_THROW(parse_bench_kind("nosuchbench"), oqvl::Error);
  EXPECT_EQ(detect_bench_format(kDir / "mc_sample.jsonl"), BenchFormat::kJsonl);
  EXPECT_EQ(detect_bench_format(kDir / "mmstar_sample.tsv"), BenchFormat::kTsv);
  EXPECT_EQ(parse_bench_format("TSV"), BenchFormat::kTsv);
  EXPECT_THROW(parse_bench_format("csv"), oqvl::Error);
}

TEST(BenchmarkTsv, ReadsTheConvertedEasyVqaFixture) {
  // tools/easy_vqa_to_tsv.py --split test --sample 40 --seed 0: real questions, images stored
  // once and referenced by later rows, answers among the options.
  Benchmark b = read_benchmark(kDir / "easy_vqa_test_40.tsv");
  ASSERT_EQ(b.items.size(), 40u);
  EXPECT_EQ(b.skipped, 0);
  std::map<std::string, int> per_category;
  for (const McItem& item : b.items) {
    ++per_category[item.category];
    const std::string* answer = item.option(item.answer);
    ASSERT_NE(answer, nullptr);
    if (item.category == "yes-no") {
      EXPECT_EQ(item.options.size(), 2u);
      EXPECT_TRUE(*answer == "yes" || *answer == "no");
    } else if (item.category == "shape") {
      EXPECT_EQ(item.options.size(), 3u);
    } else {
      EXPECT_EQ(item.category, "color");
      EXPECT_EQ(item.options.size(), 4u);
    }
    auto img = oqvl::data::decode_image(oqvl::data::as_bytes(item.image_bytes));
    EXPECT_EQ(img.width, 64);
    EXPECT_EQ(img.height, 64);
  }
  EXPECT_EQ(per_category.size(), 3u);
}

TEST(BenchmarkTsv, ImagePathColumnIsRelativeToTheFile) {
  std::string tsv =
      "index\tquestion\tA\tB\tanswer\timage_path\n1\tq?\tred\tblue\tA\timages/red.png\n"
      "2\tq?\tred\tblue\tB\timages/missing.png\n";
  ReadOptions skip;
  skip.skip_malformed = true;
  Benchmark b = read_tsv_benchmark(tsv, kDir / "inline.tsv", skip);
  ASSERT_EQ(b.items.size(), 1u);
  EXPECT_EQ(fs::path(b.items[0].image_path),
            fs::absolute(kDir / "images" / "red.png").lexically_normal());
  EXPECT_TRUE(b.items[0].image_bytes.empty());
  EXPECT_EQ(b.skipped, 1);
  EXPECT_NE(b.skip_reasons[0].find("line 3: image file"), std::string::npos) << b.skip_reasons[0];
}

TEST(BenchKinds, FormatFromContentWithoutExtension) {
  fs::path dir = fs::temp_directory_path();
  fs::path jsonl = dir / ("oqvl_bench_fmt_a_" + std::to_string(::getpid()));
  fs::path tsv = dir / ("oqvl_bench_fmt_b_" + std::to_string(::getpid()));
  fs::path other = dir / ("oqvl_bench_fmt_c_" + std::to_string(::getpid()));
  oqvl::write_file_atomic(jsonl, "\n{\"id\": 1}\n");
  oqvl::write_file_atomic(tsv, "index\tquestion\n");
  oqvl::write_file_atomic(other, "just text\n");
  EXPECT_EQ(detect_bench_format(jsonl), BenchFormat::kJsonl);
  EXPECT_EQ(detect_bench_format(tsv), BenchFormat::kTsv);
  EXPECT_THROW(detect_bench_format(other), oqvl::Error);
  fs::remove(jsonl);
  fs::remove(tsv);
  fs::remove(other);
}

TEST(BenchmarkFiles, ExplicitKindAndImageBytesFromEitherSource) {
  ReadOptions as_mmstar;
  as_mmstar.kind = BenchKind::kMMStar;
  EXPECT_EQ(read_benchmark(kDir / "mmbench_dev_en_sample.tsv", as_mmstar).kind, BenchKind::kMMStar);
  Benchmark tsv = read_benchmark(kDir / "mmbench_dev_en_sample.tsv");
  Benchmark jsonl = read_benchmark(kDir / "mc_sample.jsonl");
  EXPECT_EQ(item_image_bytes(tsv.items[0]), tsv.items[0].image_bytes);
  // The JSONL's red.png holds the same PNG the fixture generator put in the TSV.
  EXPECT_EQ(item_image_bytes(jsonl.items[0]), tsv.items[0].image_bytes);
  McItem none;
  none.index = "x";
  EXPECT_THROW(item_image_bytes(none), oqvl::Error);
}

TEST(BenchmarkOpen, JsonlWithSingleAndAnnotatorAnswersAndAnEmbeddedImage) {
  Benchmark b = read_benchmark(kDir / "open_sample.jsonl");
  EXPECT_EQ(b.kind, BenchKind::kOpen);  // no options anywhere, answers present
  ASSERT_EQ(b.items.size(), 3u);
  EXPECT_EQ(b.items[0].index, "101");  // question_id
  EXPECT_EQ(b.items[0].answers, std::vector<std::string>{"Red"});
  EXPECT_EQ(b.items[0].answer, "Red");
  EXPECT_EQ(b.items[0].category, "color");
  EXPECT_TRUE(fs::exists(b.items[0].image_path));
  EXPECT_EQ(b.items[1].answers.size(), 10u);  // VQAv2's {"answer": ...} objects
  EXPECT_EQ(b.items[1].answers[2], "two");
  EXPECT_EQ(b.items[1].answer, "2");
  EXPECT_EQ(b.items[2].index, "q3");
  EXPECT_TRUE(b.items[2].image_path.empty());
  EXPECT_EQ(oqvl::data::sniff_image_format(oqvl::data::as_bytes(b.items[2].image_bytes)),
            oqvl::data::ImageFormat::kPng);
  EXPECT_EQ(b.items[2].answers, (std::vector<std::string>{"green", "dark green"}));
  for (const McItem& item : b.items) {
    EXPECT_FALSE(item.multiple_choice());
    EXPECT_EQ(item.question_type, "free_form");
  }
}

TEST(BenchmarkOpen, TsvByNameWithListAnswersAndByColumns) {
  Benchmark t = read_benchmark(kDir / "textvqa_val_sample.tsv");
  EXPECT_EQ(t.kind, BenchKind::kTextVQA);  // read like open answers, scored by the TextVQA rules
  ASSERT_EQ(t.items.size(), 2u);
  ASSERT_EQ(t.items[0].answers.size(), 10u);
  EXPECT_EQ(t.items[0].answers[2], "stop sign");
  EXPECT_EQ(t.items[0].answer, "stop");
  EXPECT_EQ(t.items[1].answers, std::vector<std::string>{"acme"});

  Benchmark o = read_benchmark(kDir / "open_sample.tsv");
  EXPECT_EQ(o.kind, BenchKind::kOpen);  // no option columns, an answer column
  ASSERT_EQ(o.items.size(), 2u);
  EXPECT_EQ(o.items[1].answer, "t-shirt");
  EXPECT_EQ(o.items[1].image_bytes, o.items[0].image_bytes);  // "0": the image of row 0
  EXPECT_EQ(o.items[0].category, "ankle boot");

  // Multiple-choice layouts keep their kinds; an explicit kind wins over detection.
  EXPECT_EQ(read_benchmark(kDir / "mc_sample.jsonl").kind, BenchKind::kGeneric);
  EXPECT_EQ(read_benchmark(kDir / "easy_vqa_test_40.tsv").kind, BenchKind::kGeneric);
  ReadOptions generic;
  generic.kind = BenchKind::kGeneric;
  Benchmark g = read_benchmark(kDir / "open_sample.tsv", generic);
  EXPECT_EQ(g.kind, BenchKind::kGeneric);
  EXPECT_TRUE(g.items[0].answers.empty());
  ReadOptions open;
  open.kind = BenchKind::kOpen;
  EXPECT_NE(error_of(kDir / "mc_sample.jsonl", open)
                .find("mc_sample.jsonl: line 1: an open-answer question with options"),
            std::string::npos);
}

TEST(BenchmarkOpen, MalformedFilesNameFileAndLine) {
  const fs::path bad = kDir / "malformed";
  std::string e = error_of(bad / "open_bad_answers.jsonl");
  EXPECT_NE(e.find("open_bad_answers.jsonl: line 2: 'answers' is not a list"), std::string::npos) << e;
  e = error_of(bad / "open_no_answer.tsv");
  EXPECT_NE(e.find("open_no_answer.tsv: line 3: no answer"), std::string::npos) << e;
  // A long image string that is not an image, and a bad answer list literal.
  const std::string jsonl = "{\"id\": 1, \"question\": \"q\", \"answer\": \"a\", \"image\": \"" +
                            std::string(80, 'A') + "\"}\n";
  try {
    read_jsonl_benchmark(jsonl, "x_open.jsonl");
    FAIL();
  } catch (const oqvl::Error& e2) {
    EXPECT_STREQ(e2.what(), "x_open.jsonl: line 1: 'image' is neither base64 image data nor an image file");
  }
  std::vector<std::uint8_t> pixels(4 * 4, 10);
  const std::string image = oqvl::data::base64_encode(oqvl::data::encode_png(pixels, 4, 4, 1));
  const std::string tsv = "index\tquestion\tanswer\timage\n1\tq\t['a' 'b']\t" + image + "\n";
  try {
    read_tsv_benchmark(tsv, "y.tsv");
    FAIL();
  } catch (const oqvl::Error& e2) {
    EXPECT_NE(std::string(e2.what()).find("y.tsv: line 2: answers:"), std::string::npos) << e2.what();
  }
  ReadOptions skip;
  skip.skip_malformed = true;
  Benchmark b = read_benchmark(bad / "open_bad_answers.jsonl", skip);
  EXPECT_EQ(b.items.size(), 1u);
  EXPECT_EQ(b.skipped, 1);
}

TEST(BenchKinds, OpenNames) {
  EXPECT_EQ(parse_bench_kind("open"), BenchKind::kOpen);
  EXPECT_EQ(parse_bench_kind("VQAv2"), BenchKind::kOpen);
  EXPECT_EQ(parse_bench_kind("textvqa"), BenchKind::kTextVQA);
  EXPECT_EQ(bench_kind_name(BenchKind::kOpen), "open");
  EXPECT_EQ(detect_bench_kind("TextVQA_VAL.tsv"), BenchKind::kTextVQA);
  EXPECT_EQ(detect_bench_kind("/d/GQA_TestDev_Balanced.tsv"), BenchKind::kOpen);
  EXPECT_EQ(detect_bench_kind("vqav2_val.jsonl"), BenchKind::kOpen);
}
