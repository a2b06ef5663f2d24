// SftSource: rows from a JSONL file with images from a folder and from a shard, the seeded
// per-epoch order, seek/position round trips, labels, and skip_bad.
#include "oqvl/train/sft_source.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "oqvl/data/io/tar_writer.h"
#include "oqvl/data/text/special_tokens.h"
#include "test_util.h"

namespace oqvl::train {
namespace {

namespace fs = std::filesystem;
using oqvl::test::error_of;
using oqvl::test::TempDir;

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

std::string line(const std::string& id, const std::string& image, const std::string& answer) {
  const std::string img = image.empty() ? "" : "\"image\": \"" + image + "\", ";
  const std::string q = image.empty() ? "Text only?" : "<image>\\nWhat is it?";
  return "{\"id\": \"" + id + "\", " + img + "\"conversations\": [{\"from\": \"human\", \"value\": \"" + q +
         "\"}, {\"from\": \"gpt\", \"value\": \"" + answer + "\"}]}\n";
}

struct SftSourceTest : ::testing::Test {
  TempDir dir;
  SftSourceOptions options;
  void SetUp() override {
    std::string jsonl;
    for (int i = 0; i < 6; ++i)
      jsonl += line("s" + std::to_string(i), "img/" + std::to_string(i) + ".jpg", "answer");
    jsonl += line("t", "", "text answer");
    options.file = dir.write("data/train.jsonl", jsonl);
    for (int i = 0; i < 6; ++i)
      dir.write("data/img/" + std::to_string(i) + ".jpg", "bytes of " + std::to_string(i));
    options.tokenizer = oqvl::test::source_path("assets/qwen2-tokenizer/tokenizer.json");
    options.seed = 3;
  }
};

TEST_F(SftSourceTest, EveryEpochIsASeededPermutationWithImagesAndLabels) {
  auto source = make_sft_source(options);  // images: the file's folder
  ASSERT_EQ(source->rows_per_epoch(), 7);
  std::vector<std::string> epoch0, epoch1;
  for (int i = 0; i < 14; ++i) {
    auto row = source->next();
    ASSERT_TRUE(row);
    (i < 7 ? epoch0 : epoch1).push_back(row->key);
    ASSERT_EQ(row->labels.size(), row->ids.size());
    const auto placeholders = std::count(row->ids.begin(), row->ids.end(),
                                         std::int64_t{data::kImagePlaceholderId});
    ASSERT_EQ(static_cast<std::size_t>(placeholders), row->images.size()) << row->key;
    EXPECT_EQ(row->ids.front(), data::kBosId);
    EXPECT_EQ(row->labels.front(), data::kIgnoreLabelId);
    EXPECT_EQ(row->labels.back(), 198);  // the assistant turn's "\n" is labelled
    EXPECT_EQ(row->sample_text_lengths,
              std::vector<std::int64_t>{static_cast<std::int64_t>(row->ids.size())});
    if (contains(row->key, "'t'")) {
      EXPECT_TRUE(row->images.empty());
    } else {
      ASSERT_EQ(row->images.size(), 1u);
      EXPECT_TRUE(row->images[0].starts_with("bytes of ")) << row->key;
    }
  }
  EXPECT_EQ(std::set<std::string>(epoch0.begin(), epoch0.end()).size(), 7u);  // each sample once
  EXPECT_EQ(std::set<std::string>(epoch1.begin(), epoch1.end()).size(), 7u);
  EXPECT_NE(epoch0, epoch1);  // a new order each epoch
  EXPECT_EQ(source->position(), (DataPosition{2, 0, 0, 0}));

  // Same seed, same order; another seed, another order.
  auto again = make_sft_source(options);
  for (const auto& key : epoch0) EXPECT_EQ(again->next()->key, key);
  options.seed = 4;
  auto other = make_sft_source(options);
  std::vector<std::string> other0;
  for (int i = 0; i < 7; ++i) other0.push_back(other->next()->key);
  EXPECT_NE(other0, epoch0);
}

TEST_F(SftSourceTest, SeekContinuesWherePositionWas) {
  auto a = make_sft_source(options);
  for (int i = 0; i < 9; ++i) a->next();
  const auto at = a->position();
  EXPECT_EQ(at, (DataPosition{1, 0, 2, 0}));
  const auto json = at.to_json();
  auto b = make_sft_source(options);
  b->seek(DataPosition::from_json(json));
  for (int i = 0; i < 8; ++i) {
    auto ra = a->next(), rb = b->next();
    EXPECT_EQ(ra->key, rb->key);
    EXPECT_EQ(ra->ids, rb->ids);
    EXPECT_EQ(ra->labels, rb->labels);
    EXPECT_EQ(ra->images, rb->images);
  }
  EXPECT_EQ(a->position(), b->position());
  EXPECT_TRUE(contains(error_of([&] { b->seek(DataPosition{0, 0, 8, 0}); }), "outside"));
}

TEST_F(SftSourceTest, ReadsImagesFromAShardByKey) {
  std::string jsonl;
  for (int i = 0; i < 3; ++i) jsonl += line("s" + std::to_string(i), "k" + std::to_string(i), "answer");
  options.file = dir.write("shard/train.jsonl", jsonl);
  data::ShardWriter w((dir / "shard/images-{:03d}.tar").string());
  for (int i = 0; i < 3; ++i) {
    data::Sample s;
    s.key = "k" + std::to_string(i);
    s.add(i == 1 ? "png" : "jpg", "shard bytes " + std::to_string(i));
    w.write(s);
  }
  w.close();
  options.images = (dir / "shard/images-*.tar").string();
  options.prompt_template = "plain";
  auto source = make_sft_source(options);
  std::set<std::string> images;
  for (int i = 0; i < 3; ++i) {
    auto row = source->next();
    ASSERT_EQ(row->images.size(), 1u);
    images.insert(row->images[0]);
    EXPECT_EQ(row->ids[0], data::kBosId);
    EXPECT_EQ(row->ids[1], data::kImagePlaceholderId);  // plain: "<s><image>\n..."
    EXPECT_EQ(row->labels.back(), data::kImEndId);
  }
  EXPECT_EQ(images, (std::set<std::string>{"shard bytes 0", "shard bytes 1", "shard bytes 2"}));
}

TEST_F(SftSourceTest, BadSamplesAreErrorsOrSkipped) {
  std::string jsonl = line("ok", "img/0.jpg", "a") + line("noimg", "img/missing.jpg", "b") +
                      "{\"conversations\": [{\"from\": \"gpt\", \"value\": \"x\"}]}\n";
  options.file = dir.write("data/bad.jsonl", jsonl);
  auto strict = make_sft_source(options);
  std::string first_error = "(no error)";
  for (int i = 0; i < 3 && first_error == "(no error)"; ++i) first_error = error_of([&] { strict->next(); });
  EXPECT_TRUE(contains(first_error, "bad.jsonl line")) << first_error;
  options.skip_bad = true;
  auto lenient = make_sft_source(options);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(contains(lenient->next()->key, "'ok'"));
  options.file = dir.write("data/allbad.jsonl", "{\"conversations\": []}\n");
  EXPECT_TRUE(contains(error_of([&] { make_sft_source(options)->next(); }), "every sample"));
  options.prompt_template = "chatml";
  EXPECT_TRUE(contains(error_of([&] { make_sft_source(options); }), "'qwen2' or 'plain'"));
}

}  // namespace
}  // namespace oqvl::train
