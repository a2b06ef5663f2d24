// SFT images from a folder and from tar shards (key index, jump to the sample, extensions).
#include "oqvl/data/sft/sft_images.h"

#include <gtest/gtest.h>

#include "oqvl/data/io/tar_writer.h"
#include "test_util.h"

namespace oqvl::data {
namespace {

using oqvl::test::error_of;
using oqvl::test::TempDir;

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

Sample sample(std::string key, std::string ext, std::string bytes) {
  Sample s;
  s.key = std::move(key);
  s.add("txt", "caption of " + s.key);
  s.add(std::move(ext), std::move(bytes));
  return s;
}

TEST(SftImages, ReadsFromAFolder) {
  TempDir dir;
  dir.write("imgs/coco/a.jpg", "JPEGBYTES");
  SftImages images((dir / "imgs").string(), dir.path);
  EXPECT_FALSE(images.from_shards());
  EXPECT_EQ(images.read("coco/a.jpg"), "JPEGBYTES");
  EXPECT_TRUE(contains(error_of([&] { images.read("coco/b.jpg"); }), "image 'coco/b.jpg' not found"));
  // "" = the default folder (the conversation file's).
  SftImages by_default("", dir / "imgs");
  EXPECT_EQ(by_default.read("coco/a.jpg"), "JPEGBYTES");
  EXPECT_TRUE(contains(error_of([&] { SftImages x("", dir / "none"); }), "does not exist"));
}

TEST(SftImages, IndexesShardsAndJumpsToTheSample) {
  TempDir dir;
  ShardWriterOptions wo;
  wo.max_samples = 2;
  ShardWriter w((dir / "s-{:03d}.tar").string(), wo);
  w.write(sample("k0", "jpg", "zero"));
  w.write(sample("dir/k1", "png", "one"));
  w.write(sample("k2", "webp", "two"));
  w.close();
  SftImages images((dir / "s-{000..001}.tar").string(), dir.path);
  EXPECT_TRUE(images.from_shards());
  EXPECT_EQ(images.shard_keys(), 3u);
  EXPECT_EQ(images.read("k2"), "two");  // second shard
  EXPECT_EQ(images.read("dir/k1"), "one");
  EXPECT_EQ(images.read("k0"), "zero");
  EXPECT_EQ(images.read("dir/k1.png"), "one");  // "key.ext" names the key and the field
  const auto wrong_ext = error_of([&] { images.read("k0.png"); });
  EXPECT_TRUE(contains(wrong_ext, "k0.png") && contains(wrong_ext, "no png field")) << wrong_ext;
  EXPECT_TRUE(contains(error_of([&] { images.read("k9"); }), "'k9' is not a sample key"));
}

TEST(SftImages, RejectsAKeyInTwoShards) {
  TempDir dir;
  for (const char* name : {"a-{}.tar", "b-{}.tar"}) {
    ShardWriter w((dir / name).string());
    w.write(sample("same", "jpg", "x"));
    w.close();
  }
  const auto e = error_of([&] { SftImages x((dir / "*.tar").string(), dir.path); });
  EXPECT_TRUE(contains(e, "'same' is in both")) << e;
  EXPECT_TRUE(contains(error_of([&] { SftImages x((dir / "none-*.tar").string(), dir.path); }), "none-"));
}

}  // namespace
}  // namespace oqvl::data
