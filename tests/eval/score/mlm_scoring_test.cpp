// The MLM-Filter scoring runner on a tiny random model over a real shard: one row per pair with
// uid/key and every metric, unscorable samples counted, batching that does not change scores,
// resume, --limit, the job summary. (Score values themselves are checked against an HF reference
// of MLM-Filter's script in tests/cli/score_mlm.sh.)
#include "oqvl/eval/score/mlm_scoring.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/data/image/image_encode.h"
#include "oqvl/data/io/tar_writer.h"
#include "oqvl/data/text/qwen2vl_tokenizer.h"
#include "oqvl/data/text/special_tokens.h"
#include "oqvl/model/io/vlm_folder.h"
#include "oqvl/model/vlm_config.h"

namespace oqvl::eval {
namespace {

namespace fs = std::filesystem;

struct Fixture {
  fs::path dir;
  std::string shard;
  model::OpenQwen2VL vlm{nullptr};
  data::Tokenizer tokenizer = data::load_qwen2vl_tokenizer(fs::path(OQVL_SOURCE_DIR) /
                                                           "assets/qwen2-tokenizer/tokenizer.json");

  Fixture() {
    dir = fs::temp_directory_path() / fmt::format("oqvl_mlm_scoring_{}", ::getpid());
    remove_tree(dir);
    fs::create_directories(dir);
    // The tiny fixture's shapes with Qwen2's vocabulary, so real prompts fit.
    auto config = model::VlmConfig::from_file(fs::path(OQVL_FIXTURES_DIR) / "model/vlm_tiny/config.json");
    config.llm.vocab_size = 151936;
    config.bos_id = data::kBosId;
    config.pad_id = data::kPadId;
    config.eos_id = data::kImEndId;
    torch::manual_seed(3);
    vlm = model::OpenQwen2VL(config);
    vlm->eval();

    data::ShardWriter writer((dir / "{:05d}.tar").string());
    const char* captions[] = {"a red square on a white table", "two dogs", nullptr,
                              "a long caption about a cat"};
    for (int i = 0; i < 4; ++i) {
      std::vector<std::uint8_t> pixels(20 * 16 * 3);
      for (std::size_t k = 0; k < pixels.size(); ++k)
        pixels[k] = static_cast<std::uint8_t>((k * (7 + i)) % 251);
      data::Sample s;
      s.key = fmt::format("{:04d}", i);
      s.add("png", data::encode_png(pixels, 20, 16, 3));
      if (captions[i]) s.add("txt", captions[i]);
      s.add("json", fmt::format(R"({{"uid": "{:032X}"}})", 0xABCDEFull + i));
      writer.write(s);
    }
    writer.close();
    shard = (dir / "00000.tar").string();
  }
  ~Fixture() { remove_tree(dir); }

  std::vector<nlohmann::json> rows(const fs::path& out) const {
    std::vector<nlohmann::json> r;
    std::istringstream in(read_file(mlm_score_table_path(out, shard)));
    for (std::string line; std::getline(in, line);) r.push_back(nlohmann::json::parse(line));
    return r;
  }
};

TEST(MlmScoring, ParsesMetricLists) {
  EXPECT_EQ(parse_mlm_metrics("all").size(), 4u);
  const auto two = parse_mlm_metrics("caption_text_quality,semantic_understanding");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0], MlmMetric::kCaptionTextQuality);
  EXPECT_THROW(parse_mlm_metrics("semantic_understanding,"), Error);
  EXPECT_THROW(parse_mlm_metrics("quality"), Error);
  EXPECT_EQ(mlm_score_table_path("out", "a/b/00012.tar"), fs::path("out") / "00012.mlm.jsonl");
}

TEST(MlmScoring, WritesOneRowPerPairAndResumes) {
  Fixture f;
  MlmScoreOptions o;
  o.out = f.dir / "scores";
  o.metrics = {MlmMetric::kSemanticUnderstanding, MlmMetric::kImageTextMatching};
  o.batch_size = 2;
  const auto r = run_mlm_scoring({f.shard}, f.vlm, f.tokenizer, o);
  EXPECT_EQ(r.pairs_scored, 3u);
  EXPECT_EQ(r.unscored.at("no caption"), 1u);
  EXPECT_EQ(r.shards_scored, 1u);
  EXPECT_EQ(r.new_tokens,
            3u * 2u * 2u);  // 2 metrics x at most 2 tokens, random weights never stop early here
  const auto rows = f.rows(o.out);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["key"], "0000");
  EXPECT_EQ(rows[2]["key"], "0003");
  EXPECT_EQ(rows[0]["uid"], fmt::format("{:032x}", 0xABCDEFull));  // one uid form: lower-case hex
  std::uint64_t nulls = 0;
  for (const auto& row : rows)
    for (const char* m : {"semantic_understanding", "image_text_matching"}) {
      ASSERT_TRUE(row.contains(m)) << row.dump();
      ASSERT_TRUE(row[std::string(m) + "_output"].is_string());
      nulls += row[m].is_null();
      if (!row[m].is_null()) {
        EXPECT_EQ(parse_mlm_score(row[std::string(m) + "_output"].get<std::string>()),
                  row[m].get<std::int64_t>());
      }
    }
  EXPECT_EQ(nulls, r.outputs_not_integer);

  const auto summary = nlohmann::json::parse(read_file(o.out / "score-mlm-job-0000-of-0001.summary.json"));
  EXPECT_EQ(summary["pairs_scored"], 3);
  EXPECT_EQ(summary["metrics"], nlohmann::json({"semantic_understanding", "image_text_matching"}));

  // Batch size 1 gives the same outputs (left padding is masked).
  MlmScoreOptions one = o;
  one.out = f.dir / "one";
  one.batch_size = 1;
  run_mlm_scoring({f.shard}, f.vlm, f.tokenizer, one);
  EXPECT_EQ(f.rows(one.out), rows);

  // A rerun skips the finished table.
  const auto again = run_mlm_scoring({f.shard}, f.vlm, f.tokenizer, o);
  EXPECT_EQ(again.shards_skipped_existing, 1u);
  EXPECT_EQ(again.pairs_scored, 0u);
  EXPECT_EQ(f.rows(o.out), rows);
}

TEST(MlmScoring, LimitAndBadOptions) {
  Fixture f;
  MlmScoreOptions o;
  o.out = f.dir / "limited";
  o.limit = 1;
  const auto r = run_mlm_scoring({f.shard}, f.vlm, f.tokenizer, o);
  EXPECT_EQ(r.pairs_scored, 1u);
  EXPECT_EQ(f.rows(o.out).size(), 1u);
  o.batch_size = 0;
  EXPECT_THROW(run_mlm_scoring({f.shard}, f.vlm, f.tokenizer, o), Error);
  o.batch_size = 1;
  o.out = f.dir / "missing";
  EXPECT_THROW(run_mlm_scoring({(f.dir / "nope.tar").string()}, f.vlm, f.tokenizer, o), Error);
  EXPECT_FALSE(fs::exists(mlm_score_table_path(o.out, (f.dir / "nope.tar").string())));
}

}  // namespace
}  // namespace oqvl::eval
