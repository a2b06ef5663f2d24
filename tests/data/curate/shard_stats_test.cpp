#include "oqvl/data/curate/shard_stats.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/data/text/qwen2vl_tokenizer.h"
#include "oqvl/data/io/tar_writer.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace {

const oqvl::data::Tokenizer& tokenizer() {
  static auto t = oqvl::data::load_qwen2vl_tokenizer(fs::path(OQVL_SOURCE_DIR) /
                                                     "assets/qwen2-tokenizer/tokenizer.json");
  return t;
}

TEST(ShardStats, CountsFieldsAndCaptionTokens) {
  oqvl::test::TempDir tmp("oqvl_stats");
  const fs::path& dir = tmp.path;
  const std::vector<std::string> captions = {"a photo of a sneaker", "a dress", "hello world", ""};
  oqvl::data::ShardWriterOptions wo;
  wo.max_samples = 3;
  oqvl::data::ShardWriter writer((dir / "%02d.tar").string(), wo);
  for (std::size_t i = 0; i < captions.size(); ++i) {
    oqvl::data::Sample s;
    s.key = fmt::format("k{}", i);
    s.add("jpg", std::string(100 + i, 'x'));
    s.add("txt", captions[i]);
    writer.write(s);
  }
  oqvl::data::Sample no_caption;
  no_caption.key = "k9";
  no_caption.add("json", "{}");
  writer.write(no_caption);
  auto written = writer.close();
  ASSERT_EQ(written.shards.size(), 2u);

  std::vector<std::string> shards;
  for (const auto& w : written.shards) shards.push_back(w.path);
  oqvl::data::ShardStatsOptions options;
  options.threads = 2;
  auto stats = oqvl::data::compute_shard_stats(shards, tokenizer(), options);
  EXPECT_EQ(stats.shards, 2u);
  EXPECT_EQ(stats.samples, 5u);
  EXPECT_EQ(stats.with_image, 4u);
  EXPECT_EQ(stats.with_caption, 4u);
  EXPECT_EQ(stats.fields.at("jpg").count, 4u);
  EXPECT_EQ(stats.fields.at("jpg").bytes, 100u + 101 + 102 + 103);
  EXPECT_EQ(stats.file_bytes, fs::file_size(shards[0]) + fs::file_size(shards[1]));
  // Token counts from the real tokenizer, one caption each.
  std::vector<std::uint64_t> lengths;
  for (const auto& c : captions) lengths.push_back(tokenizer().encode(c).size());
  EXPECT_EQ(lengths[0], 6u);  // "a", " photo", " of", " a", " sne", "aker" (HF tokenizers)
  EXPECT_EQ(lengths[3], 0u);
  EXPECT_EQ(stats.captions(), 4u);
  EXPECT_EQ(stats.max_tokens(), 6u);
  EXPECT_EQ(stats.token_quantile(0.5), 2u);  // sorted lengths 0, 2, 2, 6
  EXPECT_DOUBLE_EQ(stats.mean_tokens(), (0.0 + 2 + 2 + 6) / 4);
}

TEST(ShardStats, BadShardFailsOrIsSkipped) {
  oqvl::test::TempDir tmp("oqvl_stats_bad");
  const fs::path& dir = tmp.path;
  oqvl::write_file_atomic(dir / "bad.tar", std::string(1000, 'z'));
  std::vector<std::string> shards = {(dir / "bad.tar").string()};
  oqvl::data::ShardStatsOptions options;
  EXPECT_THROW(oqvl::data::compute_shard_stats(shards, tokenizer(), options), oqvl::Error);
  options.skip_bad = true;
  auto stats = oqvl::data::compute_shard_stats(shards, tokenizer(), options);
  EXPECT_EQ(stats.samples, 0u);
  EXPECT_FALSE(stats.skipped.empty());
}

}  // namespace
