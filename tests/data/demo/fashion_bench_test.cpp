#include "oqvl/data/demo/fashion_bench.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/data/io/base64.h"
#include "oqvl/data/image/image.h"
#include "oqvl/data/io/tsv.h"

namespace fs = std::filesystem;

namespace {
fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("oqvl_fashion_bench_" + std::to_string(::getpid()) + "_" + name);
}
}  // namespace

TEST(FashionBench, FourOptionQuestionsWithTheTrueClassAndBalancedLetters) {
  oqvl::data::FashionBenchOptions o;
  o.out = temp_file("a.tsv");
  o.count = 40;
  o.seed = 7;
  auto summary = oqvl::data::make_fashion_bench(o);
  EXPECT_EQ(summary.questions, 40);
  for (int n : summary.answers_per_letter) EXPECT_EQ(n, 10);

  std::string text = oqvl::read_file(o.out);
  auto records = oqvl::data::parse_tsv(text, o.out.string());
  ASSERT_EQ(records.size(), 41u);
  EXPECT_EQ(records[0].fields[0], "index");
  EXPECT_EQ(records[0].fields[11], "l2-category");
  auto test = oqvl::data::read_fashion_mnist(o.source, "test");
  std::set<std::string> sources;
  for (std::size_t k = 1; k < records.size(); ++k) {
    const auto& f = records[k].fields;
    ASSERT_EQ(f.size(), 13u);
    EXPECT_EQ(f[0], std::to_string(k - 1));
    std::set<std::string> options(f.begin() + 3, f.begin() + 7);
    EXPECT_EQ(options.size(), 4u);  // distinct classes
    int answer = f[7][0] - 'A';
    ASSERT_GE(answer, 0);
    ASSERT_LT(answer, 4);
    EXPECT_EQ(f[3 + answer], f[8]);  // the answer's text is the category (true class)
    // The image is the test image the source names, losslessly.
    int image_index = std::stoi(f[10].substr(f[10].find('#') + 1));
    EXPECT_TRUE(sources.insert(f[10]).second);
    EXPECT_EQ(
        std::string(oqvl::data::kFashionMnistClasses[test.labels[static_cast<std::size_t>(image_index)]]),
        f[8]);
    auto png = oqvl::data::base64_decode(f[9]);
    ASSERT_TRUE(png);
    auto img = oqvl::data::decode_image(oqvl::data::as_bytes(*png));
    ASSERT_EQ(img.width, 28);
    EXPECT_EQ(img.rgb[3 * 100], test.pixels[static_cast<std::size_t>(image_index) * 784 + 100]);
  }
  // Same options, same bytes; another seed, another benchmark.
  fs::path again = temp_file("b.tsv");
  o.out = again;
  oqvl::data::make_fashion_bench(o);
  EXPECT_EQ(oqvl::read_file(again), text);
  o.seed = 8;
  oqvl::data::make_fashion_bench(o);
  EXPECT_NE(oqvl::read_file(again), text);
  fs::remove(temp_file("a.tsv"));
  fs::remove(again);
}

TEST(FashionBench, RejectsABadCount) {
  oqvl::data::FashionBenchOptions o;
  o.out = temp_file("c.tsv");
  o.count = 0;
  EXPECT_THROW(oqvl::data::make_fashion_bench(o), oqvl::Error);
  o.count = 10001;
  EXPECT_THROW(oqvl::data::make_fashion_bench(o), oqvl::Error);
}

TEST(FashionBench, OpenQuestionsAnswerWithTheClassNameInTsvAndJsonl) {
  oqvl::data::FashionBenchOptions o;
  o.count = 24;
  o.seed = 5;
  o.out = temp_file("mc.tsv");
  oqvl::data::make_fashion_bench(o);
  auto mc = oqvl::data::parse_tsv(oqvl::read_file(o.out), o.out.string());
  o.open = true;
  o.out = temp_file("open.tsv");
  auto summary = oqvl::data::make_fashion_bench(o);
  EXPECT_EQ(summary.questions, 24);
  const std::string text = oqvl::read_file(o.out);
  auto records = oqvl::data::parse_tsv(text, o.out.string());
  ASSERT_EQ(records.size(), 25u);
  EXPECT_EQ(records[0].fields, (std::vector<std::string>{"index", "question", "answer", "category", "image",
                                                         "source", "split"}));
  auto test = oqvl::data::read_fashion_mnist(o.source, "test");
  for (std::size_t k = 1; k < records.size(); ++k) {
    const auto& f = records[k].fields;
    ASSERT_EQ(f.size(), 7u);
    EXPECT_EQ(f[1], "What item is shown?");
    EXPECT_EQ(f[5], mc[k].fields[10]);  // the same seeded images as the multiple-choice file
    const int image_index = std::stoi(f[5].substr(f[5].find('#') + 1));
    const std::string name(
        oqvl::data::kFashionMnistClasses[test.labels[static_cast<std::size_t>(image_index)]]);
    EXPECT_EQ(f[2], name);
    EXPECT_EQ(f[3], name);
    auto png = oqvl::data::base64_decode(f[4]);
    ASSERT_TRUE(png);
    auto img = oqvl::data::decode_image(oqvl::data::as_bytes(*png));
    EXPECT_EQ(img.rgb[3 * 200], test.pixels[static_cast<std::size_t>(image_index) * 784 + 200]);
  }
  oqvl::data::make_fashion_bench(o);
  EXPECT_EQ(oqvl::read_file(o.out), text);  // deterministic

  o.out = temp_file("open.jsonl");
  oqvl::data::make_fashion_bench(o);
  const std::string jsonl = oqvl::read_file(o.out);
  std::size_t pos = 0, k = 1;
  for (; pos < jsonl.size(); ++k) {
    const std::size_t nl = jsonl.find('\n', pos);
    const auto j = nlohmann::json::parse(jsonl.substr(pos, nl - pos));
    pos = nl + 1;
    EXPECT_EQ(j["index"], k - 1);
    EXPECT_EQ(j["answer"], records[k].fields[2]);
    EXPECT_EQ(j["category"], records[k].fields[3]);
    EXPECT_EQ(j["image"], records[k].fields[4]);
    EXPECT_EQ(j["source"], records[k].fields[5]);
  }
  EXPECT_EQ(k, 25u);
  for (const char* name : {"mc.tsv", "open.tsv", "open.jsonl"}) fs::remove(temp_file(name));
}
