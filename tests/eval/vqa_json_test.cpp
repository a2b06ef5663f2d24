// The public VQA question-file layouts (eval/vqa_json.h): VQAv2 / OK-VQA questions + annotations,
// GQA, VizWiz, TextVQA; detection from a .json file's content; errors that name file and entry.
#include "oqvl/eval/vqa_json.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/eval/answer.h"

using namespace oqvl::eval;
namespace fs = std::filesystem;

namespace {

const fs::path kImage = fs::path(OQVL_FIXTURES_DIR) / "eval" / "images" / "red.png";

// A scratch folder with images/ holding red.png under the given names.
struct Scratch {
  fs::path dir;
  explicit Scratch(std::initializer_list<const char*> images) {
    dir = fs::temp_directory_path() / ("oqvl_vqa_json_" + std::to_string(::getpid()) + "_" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir / "images");
    for (const char* name : images)
      fs::copy_file(kImage, dir / "images" / name, fs::copy_options::overwrite_existing);
  }
  ~Scratch() { oqvl::remove_tree(dir); }  // not fs::remove_all (core/files.h)
  fs::path write(const char* name, const std::string& text) const {
    oqvl::write_file_atomic(dir / name, text);
    return dir / name;
  }
  ReadOptions options() const {
    ReadOptions o;
    o.images = dir / "images";
    return o;
  }
};

std::string error_of(const fs::path& file, const ReadOptions& options) {
  try {
    read_benchmark(file, options);
  } catch (const oqvl::Error& e) {
    return e.what();
  }
  return "(no error)";
}

const char* kVqaQuestions = R"({"info": {}, "task_type": "Open-Ended", "data_type": "mscoco",
  "data_subtype": "val2014", "questions": [
  {"image_id": 42, "question": "How many dogs?", "question_id": 42000},
  {"image_id": 7, "question": "What color is it?", "question_id": 7001}]})";

std::string ten(const char* a, const char* b, int first) {
  std::string out = "[";
  for (int i = 0; i < 10; ++i)
    out += std::string(i ? "," : "") + R"({"answer": ")" + (i < first ? a : b) +
           R"(", "answer_confidence": "yes", "answer_id": )" + std::to_string(i + 1) + "}";
  return out + "]";
}

}  // namespace

TEST(VqaJson, Vqav2QuestionsWithAnnotations) {
  Scratch s({"COCO_val2014_000000000042.jpg", "000000000007.jpg"});
  auto q = s.write("v2_OpenEnded_mscoco_val2014_questions.json", kVqaQuestions);
  auto a = s.write(
      "v2_mscoco_val2014_annotations.json",
      std::string(R"({"annotations": [{"question_id": 7001, "image_id": 7, "answer_type": "other",
      "question_type": "what color is", "multiple_choice_answer": "red", "answers": )") +
          ten("red", "dark red", 7) +
          R"(}, {"question_id": 42000, "image_id": 42, "answer_type": "number",
      "question_type": "how many", "multiple_choice_answer": "2", "answers": )" +
          ten("2", "two", 6) + "}]}");
  EXPECT_EQ(detect_bench_format(q), BenchFormat::kVqaJson);
  auto o = s.options();
  o.annotations = a;
  Benchmark b = read_benchmark(q, o);
  EXPECT_EQ(b.kind, BenchKind::kOpen);
  ASSERT_EQ(b.items.size(), 2u);
  const McItem& first = b.items[0];
  EXPECT_EQ(first.index, "42000");
  EXPECT_EQ(first.question, "How many dogs?");
  EXPECT_EQ(fs::path(first.image_path).filename(), "COCO_val2014_000000000042.jpg");
  EXPECT_EQ(first.answer, "2");
  ASSERT_EQ(first.answers.size(), 10u);
  EXPECT_EQ(first.answers[9], "two");
  EXPECT_EQ(first.category, "number");
  EXPECT_EQ(first.l2_category, "how many");
  // COCO name missing -> the plain 12-digit name.
  EXPECT_EQ(fs::path(b.items[1].image_path).filename(), "000000000007.jpg");
  // "two" normalises to "2": all 10 annotators agree after normalisation; 7 x "red" of 10 -> 1.
  EXPECT_DOUBLE_EQ(judge(first, b.kind, "two").score, 1.0);
  EXPECT_DOUBLE_EQ(judge(b.items[1], b.kind, "Red").score, 1.0);
  EXPECT_NEAR(judge(b.items[1], b.kind, "dark red").score, 0.9, 1e-12);  // 3 of 10: (7 * 1 + 3 * 2/3) / 10
}

TEST(VqaJson, Vqav2ErrorsNameFileAndEntry) {
  Scratch s({"COCO_val2014_000000000042.jpg", "COCO_val2014_000000000007.jpg"});
  auto q = s.write("questions.json", kVqaQuestions);
  EXPECT_NE(error_of(q, s.options()).find("needs its annotations file"), std::string::npos);
  auto a = s.write("annotations.json", std::string(R"({"annotations": [{"question_id": 7001, "answers": )") +
                                           ten("red", "red", 10) + "}]}");
  auto o = s.options();
  o.annotations = a;
  std::string e = error_of(q, o);
  EXPECT_NE(e.find("questions.json: questions[0]: question_id 42000 has no entry in"), std::string::npos)
      << e;
  o.skip_malformed = true;
  Benchmark b = read_benchmark(q, o);
  EXPECT_EQ(b.items.size(), 1u);
  EXPECT_EQ(b.skipped, 1);
  // Answers not required (a test split): no annotations needed.
  ReadOptions no_answers = s.options();
  no_answers.require_answer = false;
  EXPECT_EQ(read_benchmark(q, no_answers).items.size(), 2u);
  auto bad = s.write("bad.json",
                     R"({"data_subtype": "val2014", "questions": [{"image_id": 42, "question_id": 1}]})");
  e = error_of(bad, no_answers);
  EXPECT_NE(e.find("bad.json: questions[0]: no 'question'"), std::string::npos) << e;
  auto broken = s.write("broken.json", "{\"questions\": [\n{\"question_id\": 1,\n");
  ReadOptions forced = no_answers;
  forced.format = BenchFormat::kVqaJson;
  e = error_of(broken, forced);
  EXPECT_NE(e.find("broken.json: not valid JSON"), std::string::npos) << e;
  EXPECT_NE(e.find("line 3"), std::string::npos) << e;
  o.skip_malformed = false;
  o.annotations = s.dir / "missing.json";
  EXPECT_NE(error_of(q, o).find("missing.json: no such annotations file"), std::string::npos);
}

TEST(VqaJson, GqaVizWizTextVqa) {
  Scratch s({"n161313.jpg", "VizWiz_val_00000001.jpg", "0054c91397f2fe05.jpg"});
  auto gqa = s.write("testdev_balanced_questions.json", R"({"201307251": {"imageId": "n161313",
      "question": "Is it red?", "answer": "yes", "fullAnswer": "Yes, it is.",
      "types": {"structural": "verify", "semantic": "attr", "detailed": "verifyAttr"}}})");
  Benchmark g = read_benchmark(gqa, s.options());
  ASSERT_EQ(g.items.size(), 1u);
  EXPECT_EQ(g.items[0].index, "201307251");
  EXPECT_EQ(g.items[0].answers, std::vector<std::string>{"yes"});
  EXPECT_EQ(g.items[0].category, "verify");
  EXPECT_EQ(g.items[0].l2_category, "attr");
  EXPECT_TRUE(judge(g.items[0], g.kind, "Yes.").correct);

  auto viz = s.write("val.json",
                     std::string(R"([{"image": "VizWiz_val_00000001.jpg", "question": "What is this?",
      "answer_type": "other", "answerable": 1, "answers": )") +
                         ten("soup", "unanswerable", 4) + "}]");
  Benchmark v = read_benchmark(viz, s.options());
  ASSERT_EQ(v.items.size(), 1u);
  EXPECT_EQ(v.items[0].index, "VizWiz_val_00000001.jpg");
  EXPECT_EQ(v.items[0].answers.size(), 10u);
  EXPECT_EQ(v.items[0].category, "other");
  EXPECT_NEAR(judge(v.items[0], v.kind, "soup").score, 1.0, 1e-12);

  auto tv = s.write("TextVQA_0.5.1_val.json", R"({"dataset_name": "textvqa", "data": [
      {"question_id": 34602, "image_id": "0054c91397f2fe05", "question": "what is the brand?",
       "answers": ["nokia", "nokia", "nokia", "nokia", "toshiba", "nokia", "nokia", "nokia", "nokia", "nokia"],
       "ocr_tokens": ["NOKIA", "phone"]}]})");
  Benchmark t = read_benchmark(tv, s.options());
  ASSERT_EQ(t.items.size(), 1u);
  EXPECT_EQ(t.items[0].index, "34602");
  EXPECT_EQ(t.items[0].extra["ocr_tokens"], nlohmann::json::array({"NOKIA", "phone"}));
  EXPECT_NEAR(judge(t.items[0], t.kind, "toshiba").score, 0.3, 1e-12);

  // A missing image names the entry; a one-line JSONL .json file stays JSONL.
  auto missing = s.write("gqa2.json", R"({"7": {"imageId": "nope", "question": "q?", "answer": "a"}})");
  std::string e = error_of(missing, s.options());
  EXPECT_NE(e.find("gqa2.json: \"7\": image file"), std::string::npos) << e;
  auto jsonl = s.write("one.json",
                       R"({"id": 1, "image": "images/n161313.jpg", "question": "q?", "answer": "a"})");
  EXPECT_EQ(detect_bench_format(jsonl), BenchFormat::kJsonl);
  EXPECT_EQ(detect_vqa_json_layout(nlohmann::json::parse("[1, 2]")), VqaJsonLayout::kNone);
}
