// Packing: the per-sample ids and lengths (the reference's layout and quirks), the packed
// shard contents, every sample packed once or counted as dropped, determinism across thread
// counts, resume, and bad input.
#include "oqvl/data/pack/pack.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <set>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/random.h"
#include "oqvl/data/image/image.h"
#include "oqvl/data/image/image_encode.h"
#include "oqvl/data/text/qwen2vl_tokenizer.h"
#include "oqvl/data/io/tar_reader.h"
#include "oqvl/data/io/tar_writer.h"
#include "pack_test_util.h"

namespace oqvl::data {
namespace {
namespace fs = std::filesystem;
using namespace pack_test;

std::vector<std::uint32_t> ids_of(std::string_view bytes) {
  std::vector<std::uint32_t> ids(bytes.size() / 4);
  std::memcpy(ids.data(), bytes.data(), ids.size() * 4);
  return ids;
}

TEST(PackItem, LayoutAndLength) {
  PackOptions options;
  PackItem item = make_pack_item(tokenizer(), "k", "a red shirt", options);
  std::vector<std::int32_t> caption = tokenizer().encode("\na red shirt");
  ASSERT_EQ(item.ids.size(), caption.size() + 3);
  EXPECT_EQ(item.ids[0], static_cast<std::uint32_t>(kBosId));
  EXPECT_EQ(item.ids[1], kPackedImagePlaceholder);
  EXPECT_EQ(static_cast<std::int32_t>(item.ids[1]), -200);
  EXPECT_EQ(item.ids[2], 198u);  // "\n"
  for (std::size_t i = 0; i < caption.size(); ++i)
    EXPECT_EQ(item.ids[2 + i], static_cast<std::uint32_t>(caption[i]));
  EXPECT_EQ(item.ids.back(), static_cast<std::uint32_t>(kImEndId));
  EXPECT_EQ(item.length, 143 + item.ids.size());
  EXPECT_FALSE(item.truncated);
}

TEST(PackItem, ReferenceQuirks) {
  PackOptions options;
  // "<image>" in a caption becomes "<image-placeholder>" text, never a second image.
  PackItem a = make_pack_item(tokenizer(), "k", "see <image> here", options);
  EXPECT_EQ(std::count(a.ids.begin(), a.ids.end(), kPackedImagePlaceholder), 1);
  std::vector<std::int32_t> want = tokenizer().encode("\nsee <image-placeholder> here");
  EXPECT_EQ(a.ids.size(), want.size() + 3);
  // A caption ending in <|im_end|> gets no second one (the reference checks the last id).
  PackItem b = make_pack_item(tokenizer(), "k", "done<|im_end|>", options);
  std::vector<std::int32_t> done = tokenizer().encode("\ndone<|im_end|>");
  EXPECT_EQ(b.ids.size(), done.size() + 2);
  EXPECT_EQ(b.ids.back(), static_cast<std::uint32_t>(kImEndId));
}

TEST(PackItem, TruncatesToContextKeepingImEnd) {
  PackOptions options;
  options.context = 160;
  std::string caption;
  for (int i = 0; i < 100; ++i) caption += " word";
  PackItem item = make_pack_item(tokenizer(), "k", caption, options);
  EXPECT_TRUE(item.truncated);
  EXPECT_EQ(item.length, 160u);
  EXPECT_EQ(item.ids.size() + 143, 160u);
  EXPECT_EQ(item.ids.back(), static_cast<std::uint32_t>(kImEndId));
  EXPECT_EQ(item.ids[1], kPackedImagePlaceholder);
}

TEST(PackShards, EverySamplePackedOnceOrDropped) {
  TempDir dir;
  std::vector<std::string> shards = {write_shard(dir.path / "in" / "00000.tar", 300, 1, true),
                                     write_shard(dir.path / "in" / "00001.tar", 250, 2, false)};
  PackOptions options;
  options.context = 360;  // the 200-word captions need truncating
  options.threads = 2;
  PackRunResult r = pack_shards(shards, dir.path / "out", tokenizer(), options);
  EXPECT_EQ(r.stats.input_samples, 554u);
  EXPECT_EQ(r.stats.packed_samples, 550u);
  std::map<std::string, std::uint64_t> dropped = {
      {"image side of 1 px", 1}, {"no caption", 1}, {"no image", 1}, {"undecodable image", 1}};
  EXPECT_EQ(r.stats.dropped, dropped);
  EXPECT_GT(r.stats.truncated, 0u);
  EXPECT_TRUE(fs::exists(dir.path / "out" / "pack-job-0000-of-0001.summary.json"));

  std::set<std::string> keys;
  std::uint64_t sequences = 0, tokens = 0;
  for (const char* stem : {"00000", "00001"}) {
    TarReader reader(dir.path / "out" / (std::string(stem) + ".tar"));
    while (auto s = reader.next()) {
      ++sequences;
      auto meta = nlohmann::json::parse(s->text("json"));
      std::vector<std::uint32_t> ids = ids_of(s->bytes("ids.u32"));
      auto lengths = meta["lengths"].get<std::vector<std::uint32_t>>();
      auto text_lengths = meta["text_lengths"].get<std::vector<std::uint32_t>>();
      std::uint64_t sum = 0, text_sum = 0;
      for (std::size_t i = 0; i < lengths.size(); ++i) {
        sum += lengths[i];
        text_sum += text_lengths[i];
        EXPECT_EQ(lengths[i], text_lengths[i] + 143);
        if (i > 0) {
          EXPECT_LE(lengths[i], lengths[i - 1]);  // descending placement order
        }
        EXPECT_NE(s->find(fmt::format("{}.jpg", i)), nullptr);
      }
      EXPECT_LE(sum, 360u);
      EXPECT_EQ(meta["length"].get<std::uint64_t>(), sum);
      EXPECT_EQ(text_sum, ids.size());
      EXPECT_EQ(static_cast<std::size_t>(std::count(ids.begin(), ids.end(), kPackedImagePlaceholder)),
                lengths.size());
      EXPECT_EQ(s->fields.size(), 2 + lengths.size());
      tokens += sum;
      for (const auto& k : meta["keys"])
        EXPECT_TRUE(keys.insert(stem + std::string("/") + k.get<std::string>()).second);
    }
  }
  EXPECT_EQ(keys.size(), 550u);
  EXPECT_EQ(sequences, r.stats.sequences);
  EXPECT_EQ(tokens, r.stats.tokens);
}

TEST(PackShards, SameBytesWhateverTheThreadCountAndResumes) {
  TempDir dir;
  std::vector<std::string> shards;
  for (int i = 0; i < 4; ++i) {
    shards.push_back(write_shard(dir.path / "in" / fmt::format("{:05d}.tar", i), 120, 10 + i, false));
  }
  PackOptions options;
  options.context = 2048;
  options.window = 2;
  options.threads = 1;
  pack_shards(shards, dir.path / "a", tokenizer(), options);
  options.threads = 3;
  PackRunResult b = pack_shards(shards, dir.path / "b", tokenizer(), options);
  EXPECT_EQ(b.stats.windows, 2u);
  for (const char* name : {"00000.tar", "00002.tar", "00000.stats.json", "00002.stats.json"}) {
    EXPECT_EQ(read_file(dir.path / "a" / name), read_file(dir.path / "b" / name)) << name;
  }
  EXPECT_FALSE(fs::exists(dir.path / "a" / "00001.tar"));
  // With two shards per window, each sample says which of the window's inputs it came from.
  std::map<std::uint32_t, int> from;
  TarReader reader(dir.path / "a" / "00002.tar");
  while (auto s = reader.next()) {
    nlohmann::json meta = nlohmann::json::parse(s->text("json"));
    for (const auto& i : meta["shards"]) from[i.get<std::uint32_t>()] += 1;
  }
  EXPECT_EQ(from.size(), 2u);
  EXPECT_EQ(from[0] + from[1], 240);
  // A rerun skips complete windows and reports the same totals.
  auto before = fs::last_write_time(dir.path / "b" / "00000.tar");
  PackRunResult again = pack_shards(shards, dir.path / "b", tokenizer(), options);
  EXPECT_EQ(again.windows_skipped, 2u);
  EXPECT_EQ(again.stats.to_json(), b.stats.to_json());
  EXPECT_EQ(fs::last_write_time(dir.path / "b" / "00000.tar"), before);
  // A window whose stats file is missing (interrupted before it) is packed again.
  fs::remove(dir.path / "b" / "00002.stats.json");
  PackRunResult redo = pack_shards(shards, dir.path / "b", tokenizer(), options);
  EXPECT_EQ(redo.windows_skipped, 1u);
  EXPECT_EQ(read_file(dir.path / "a" / "00002.tar"), read_file(dir.path / "b" / "00002.tar"));
}

TEST(PackShards, ResizedStoreWrites384Jpegs) {
  TempDir dir;
  std::vector<std::string> shards = {write_shard(dir.path / "in" / "00000.tar", 20, 3, false)};
  PackOptions options;
  options.store = PackImageStore::kResized;
  pack_shards(shards, dir.path / "out", tokenizer(), options);
  TarReader reader(dir.path / "out" / "00000.tar");
  auto s = reader.next();
  ASSERT_TRUE(s.has_value());
  ImageInfo info = probe_image(as_bytes(s->bytes("0.jpg")));
  EXPECT_EQ(info.width, 384);
  EXPECT_EQ(info.height, 384);
}

TEST(PackShards, CorruptShardFailsCleanlyOrIsCounted) {
  TempDir dir;
  std::string good = write_shard(dir.path / "in" / "00000.tar", 50, 4, false);
  std::string data = read_file(good);
  write_file_atomic(dir.path / "in" / "00001.tar", data.substr(0, data.size() / 2 + 100));
  std::vector<std::string> shards = {good, (dir.path / "in" / "00001.tar").string()};
  PackOptions options;
  options.threads = 1;
  EXPECT_THROW(pack_shards(shards, dir.path / "out", tokenizer(), options), Error);
  // Nothing of the bad window, no summary, no temporary files.
  EXPECT_FALSE(fs::exists(dir.path / "out" / "00001.tar"));
  EXPECT_FALSE(fs::exists(dir.path / "out" / "pack-job-0000-of-0001.summary.json"));
  for (const auto& e : fs::directory_iterator(dir.path / "out")) {
    std::string name = e.path().filename().string();
    EXPECT_TRUE(name == "00000.tar" || name == "00000.stats.json" || name == "pack-options.json") << name;
  }
  options.skip_bad_shards = true;
  PackRunResult r = pack_shards(shards, dir.path / "out", tokenizer(), options);
  EXPECT_EQ(r.stats.dropped.at("truncated tar"), 1u);
  EXPECT_GT(r.stats.packed_samples, 50u);
}

TEST(PackShards, BadOptionsAndUnwritableOutput) {
  TempDir dir;
  std::vector<std::string> shards = {write_shard(dir.path / "in" / "00000.tar", 5, 5, false)};
  PackOptions options;
  options.context = 100;
  EXPECT_THROW(pack_shards(shards, dir.path / "out", tokenizer(), options), Error);
  options = PackOptions{};
  options.window = 0;
  EXPECT_THROW(pack_shards(shards, dir.path / "out", tokenizer(), options), Error);
  options = PackOptions{};
  write_file_atomic(dir.path / "file", "x");
  EXPECT_THROW(pack_shards(shards, dir.path / "file" / "out", tokenizer(), options), Error);
}

}  // namespace
}  // namespace oqvl::data
