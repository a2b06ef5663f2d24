#include "oqvl/data/demo/demo_data.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/data/demo/demo_sft.h"
#include "oqvl/data/io/tar_reader.h"
#include "oqvl/data/sft/conversation_file.h"
#include "test_util.h"

namespace fs = std::filesystem;
using oqvl::data::DemoOptions;

namespace {

using oqvl::test::TempDir;

DemoOptions small(const fs::path& out, int threads) {
  DemoOptions o;
  o.out = out;
  o.train_samples = 120;
  o.test_samples = 30;
  o.shard_size = 50;
  o.threads = threads;
  return o;
}

TEST(DemoData, WritesCaptionedImageSamplesWithLabels) {
  TempDir tmp("oqvl_demo");
  fs::path out = tmp / "basic";
  auto summary = oqvl::data::make_demo_dataset(small(out, 2));
  ASSERT_EQ(summary.splits.size(), 2u);
  EXPECT_EQ(summary.splits[0].samples, 120u);
  EXPECT_EQ(summary.splits[0].shards.size(), 3u);  // 50 + 50 + 20
  EXPECT_EQ(summary.splits[1].samples, 30u);
  EXPECT_TRUE(fs::exists(out / "demo.json"));

  oqvl::data::TarReader reader(out / "train" / "00002.tar");
  int n = 0;
  while (auto sample = reader.next()) {
    ++n;
    EXPECT_EQ(sample->key, fmt::format("{:09d}", 100 + n - 1));
    ASSERT_NE(sample->find("jpg"), nullptr);
    std::string_view jpg = sample->bytes("jpg");
    EXPECT_EQ(static_cast<unsigned char>(jpg[0]), 0xFF);  // JPEG SOI
    auto meta = nlohmann::json::parse(sample->bytes("json"));
    std::string caption(sample->text());
    EXPECT_EQ(meta["caption"], caption);
    std::string cls = meta["class"];
    EXPECT_NE(caption.find(cls), std::string::npos) << caption;
    EXPECT_EQ(meta["uid"].get<std::string>().size(), 32u);
  }
  EXPECT_EQ(n, 20);
}

TEST(DemoData, WritesOneSftConversationPerTrainSample) {
  TempDir tmp("oqvl_demo");
  fs::path out = tmp / "sft";
  auto summary = oqvl::data::make_demo_dataset(small(out, 2));
  EXPECT_EQ(summary.sft, "sft/train.jsonl");
  oqvl::data::ConversationFile sft(out / summary.sft);
  ASSERT_EQ(sft.size(), 120u);
  // Each conversation names its sample's key and answers with the class the shard's json gives.
  oqvl::data::TarReader reader(out / "train" / "00001.tar");
  for (std::size_t i = 50; auto sample = reader.next(); ++i) {
    const auto c = sft.at(i);
    EXPECT_EQ(c.id, sample->key);
    EXPECT_EQ(c.image, sample->key);
    ASSERT_EQ(c.turns.size(), 2u);
    EXPECT_EQ(c.turns[0].value, oqvl::data::kDemoSftPrompt);
    EXPECT_EQ(c.turns[1].value, nlohmann::json::parse(sample->bytes("json"))["class"].get<std::string>());
  }
  // A set made before the SFT file existed is not reused.
  fs::remove(out / summary.sft);
  EXPECT_FALSE(oqvl::data::make_demo_dataset(small(out, 1)).reused);
  EXPECT_TRUE(fs::exists(out / summary.sft));
}

TEST(DemoData, SameBytesWhateverTheThreadCount) {
  TempDir tmp("oqvl_demo");
  fs::path a = tmp / "t1", b = tmp / "t2";
  oqvl::data::make_demo_dataset(small(a, 1));
  oqvl::data::make_demo_dataset(small(b, 2));
  for (const char* shard : {"train/00000.tar", "train/00002.tar", "test/00000.tar", "sft/train.jsonl"}) {
    EXPECT_EQ(oqvl::read_file(a / shard), oqvl::read_file(b / shard)) << shard;
  }
}

TEST(DemoData, ReusesACompleteSetAndRebuildsAChangedOne) {
  TempDir tmp("oqvl_demo");
  fs::path out = tmp / "reuse";
  oqvl::data::make_demo_dataset(small(out, 2));
  EXPECT_TRUE(oqvl::data::make_demo_dataset(small(out, 1)).reused);
  DemoOptions more = small(out, 2);
  more.train_samples = 60;
  auto summary = oqvl::data::make_demo_dataset(more);
  EXPECT_FALSE(summary.reused);
  EXPECT_EQ(summary.splits[0].shards.size(), 2u);
  EXPECT_FALSE(fs::exists(out / "train" / "00002.tar"));  // stale shard of the larger set removed
}

TEST(DemoData, RefusesAForeignNonEmptyFolder) {
  TempDir tmp("oqvl_demo");
  fs::path out = tmp / "foreign";
  fs::create_directories(out);
  oqvl::write_file_atomic(out / "notes.txt", "mine");
  EXPECT_THROW(oqvl::data::make_demo_dataset(small(out, 1)), oqvl::Error);
  EXPECT_EQ(oqvl::read_file(out / "notes.txt"), "mine");
}

TEST(DemoData, MissingSourceIsAClearError) {
  TempDir tmp("oqvl_demo");
  DemoOptions o = small(tmp / "nosrc", 1);
  o.source = "/nonexistent/fashion-mnist";
  try {
    oqvl::data::make_demo_dataset(o);
    FAIL() << "no error";
  } catch (const oqvl::Error& e) {
    EXPECT_NE(std::string(e.what()).find("dataset-fashion-mnist"), std::string::npos) << e.what();
  }
}

}  // namespace
