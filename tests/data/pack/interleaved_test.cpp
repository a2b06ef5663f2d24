// Interleaved documents: the reference's rules one by one (ids, images, drops), truncation to
// the context, the version-2 packed sequence read back, and malformed documents as errors that
// name the sample and the json key. tests/cli/pack_interleaved.sh checks whole shards against a
// Python reimplementation.
#include "oqvl/data/pack/interleaved.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "oqvl/core/error.h"
#include "oqvl/data/io/base64.h"
#include "oqvl/data/pack/packed_reader.h"
#include "pack_test_util.h"

namespace oqvl::data {
namespace {
using namespace pack_test;
using nlohmann::json;

constexpr std::uint32_t kImg = kPackedImagePlaceholder;
constexpr auto u32 = [](std::int32_t id) { return static_cast<std::uint32_t>(id); };

json image(int w = 8, int h = 8) { return {{"image_base64", base64_encode(jpeg(w, h, 90))}}; }

Sample doc(const json& texts, const json& images, const char* images_key = "image_info") {
  Sample s;
  s.key = "doc";
  s.shard = "in/shard_0.tar";
  s.add("json", json{{"texts", texts}, {images_key, images}}.dump());
  return s;
}

std::vector<std::uint32_t> tok(std::string_view text) {
  std::vector<std::uint32_t> out;
  for (std::int32_t id : tokenizer().encode(text)) out.push_back(u32(id));
  return out;
}

std::vector<std::uint32_t> cat(std::initializer_list<std::vector<std::uint32_t>> parts) {
  std::vector<std::uint32_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(Interleaved, IdsImagesAndLength) {
  PackOptions o;
  auto r = make_interleaved_item(
      doc({nullptr, "A cat.", nullptr, "It sleeps <image> here."}, {image(), nullptr, image(16, 9), nullptr}),
      tokenizer(), o);
  ASSERT_TRUE(r.item) << r.dropped;
  const PackItem& item = *r.item;
  // <s> IMG "\nA cat.<|endofchunk|>" IMG "\nIt sleeps <image-placeholder> here.<|endofchunk|>" <|im_end|>
  auto want = cat({{u32(kBosId), kImg},
                   tok("\nA cat.<|endofchunk|>"),
                   {kImg},
                   tok("\nIt sleeps <image-placeholder> here.<|endofchunk|>"),
                   {u32(kImEndId)}});
  EXPECT_EQ(item.ids, want);
  EXPECT_EQ(item.ids[item.ids.size() - 2], u32(kEndOfChunkId));
  ASSERT_EQ(item.images.size(), 2u);
  EXPECT_EQ(item.images[0].ext, "jpg");
  EXPECT_EQ(item.length, item.ids.size() + 2 * 143);
  EXPECT_FALSE(item.truncated);
}

TEST(Interleaved, TextFirstAndObelicsNames) {
  PackOptions o;
  // OBELICS' `images` with plain base64 strings; a document starting with text.
  auto r = make_interleaved_item(
      doc({"Intro", nullptr, "after"}, {nullptr, image()["image_base64"], nullptr}, "images"), tokenizer(),
      o);
  ASSERT_TRUE(r.item) << r.dropped;
  EXPECT_EQ(r.item->ids, cat({{u32(kBosId)},
                              tok("Intro<|endofchunk|>"),
                              {kImg},
                              tok("\nafter<|endofchunk|>"),
                              {u32(kImEndId)}}));
}

TEST(Interleaved, Drops) {
  PackOptions o;
  auto dropped = [&](const Sample& s) {
    auto r = make_interleaved_item(s, tokenizer(), o);
    return r.item ? std::string("packed") : r.dropped;
  };
  EXPECT_EQ(dropped(doc({"only text"}, {nullptr})), "no image");
  json texts = json::array(), images = json::array();
  for (int i = 0; i < 10; ++i) {
    texts.push_back(nullptr), images.push_back(image());
    texts.push_back("t"), images.push_back(nullptr);
  }
  EXPECT_EQ(dropped(doc(texts, images)), "10 or more images");
  texts.erase(0), images.erase(0);  // 9 images: packed
  texts.erase(0), images.erase(0);
  EXPECT_EQ(dropped(doc(texts, images)), "packed");
  // A 1-px image's position is skipped: only text left.
  EXPECT_EQ(dropped(doc({nullptr, "t"}, {image(1, 8), nullptr})), "no image");
  EXPECT_EQ(dropped(doc({nullptr, "t"}, {json{{"image_base64", base64_encode("not an image")}}, nullptr})),
            "undecodable image");
  EXPECT_EQ(dropped(doc({"text first", nullptr, nullptr}, {nullptr, image(), image()})),
            "no image before the last text");
  std::string long_text;
  for (int i = 0; i < 6100; ++i) long_text += " a";
  EXPECT_EQ(dropped(doc({nullptr, long_text}, {image(), nullptr})), "over 6000 ids");
}

TEST(Interleaved, TrailingImagesGo) {
  PackOptions o;
  auto r = make_interleaved_item(doc({nullptr, "t", nullptr, nullptr}, {image(), nullptr, image(), image()}),
                                 tokenizer(), o);
  ASSERT_TRUE(r.item) << r.dropped;
  EXPECT_EQ(r.item->images.size(), 1u);
  EXPECT_EQ(r.item->ids, cat({{u32(kBosId), kImg}, tok("\nt<|endofchunk|>"), {u32(kImEndId)}}));
}

TEST(Interleaved, CutToTheContextNeverInsideAnImage) {
  PackOptions o;
  o.context = 400;  // two images (288) fit, a third does not
  std::string text;
  for (int i = 0; i < 30; ++i) text += " word";
  auto r = make_interleaved_item(doc({nullptr, text, nullptr, text, nullptr, text},
                                     {image(), nullptr, image(), nullptr, image(), nullptr}),
                                 tokenizer(), o);
  ASSERT_TRUE(r.item) << r.dropped;
  const PackItem& item = *r.item;
  EXPECT_TRUE(item.truncated);
  EXPECT_LE(item.length, o.context);
  EXPECT_EQ(item.ids.back(), u32(kImEndId));
  EXPECT_EQ(item.images.size(), static_cast<std::size_t>(std::count(item.ids.begin(), item.ids.end(), kImg)));
  EXPECT_EQ(item.images.size(), 2u);
  EXPECT_EQ(item.length, item.ids.size() + 2 * 143);
  EXPECT_NE(item.ids[item.ids.size() - 2], kImg);
}

TEST(Interleaved, PackedSequenceIsVersionTwoAndReadsBack) {
  PackOptions o;
  o.interleaved = true;
  std::vector<PackItem> items;
  for (int n = 1; n <= 3; ++n) {
    json texts = json::array(), images = json::array();
    for (int i = 0; i < n; ++i) {
      texts.push_back(nullptr), images.push_back(image(8 + i, 8));
      texts.push_back(fmt::format("piece {} of {}", i, n)), images.push_back(nullptr);
    }
    Sample s = doc(texts, images);
    s.key = fmt::format("doc{}", n);
    items.push_back(*make_interleaved_item(s, tokenizer(), o).item);
  }
  PackStats stats;
  auto packed = pack_window("shard_0", items, o, stats);
  ASSERT_EQ(packed.size(), 1u);
  EXPECT_EQ(stats.images, 6u);
  EXPECT_EQ(stats.packed_samples, 3u);
  PackedSequence seq = parse_packed_sequence(Sample(packed[0]));
  EXPECT_EQ(seq.version, kPackedMultiImageFormatVersion);
  // Placement order is by length, longest first: 3, 2, 1 images.
  EXPECT_EQ(seq.keys, (std::vector<std::string>{"doc3", "doc2", "doc1"}));
  EXPECT_EQ(seq.sample_images, (std::vector<std::uint32_t>{3, 2, 1}));
  ASSERT_EQ(seq.images.size(), 6u);
  EXPECT_EQ(seq.images[0].bytes, items[2].images[0].bytes);
  EXPECT_EQ(seq.images[5].bytes, items[0].images[0].bytes);
  for (std::size_t j = 0; j < 3; ++j) {
    auto ids = seq.sample_ids(j);
    EXPECT_EQ(std::vector<std::uint32_t>(ids.begin(), ids.end()), items[2 - j].ids);
  }
}

TEST(Interleaved, MalformedDocumentsNameSampleAndKey) {
  PackOptions o;
  auto error = [&](const Sample& s) {
    try {
      make_interleaved_item(s, tokenizer(), o);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto with_json = [](std::string text) {
    Sample s;
    s.key = "doc";
    s.shard = "in/shard_0.tar";
    s.add("json", std::move(text));
    return s;
  };
  Sample no_json;
  no_json.key = "doc";
  no_json.shard = "in/shard_0.tar";
  no_json.add("txt", "x");
  struct Case {
    Sample sample;
    std::string says;
  };
  std::vector<Case> cases = {
      {no_json, "no json member"},
      {with_json("[1]"), "its json is not a JSON object"},
      {with_json("{not json"), "its json is not a JSON object"},
      {with_json(R"({"image_info": []})"), "json 'texts' is missing"},
      {with_json(R"({"texts": "a", "image_info": []})"), "json 'texts' must be a list, got string"},
      {with_json(R"({"texts": ["a"]})"), "neither 'image_info' nor 'images'"},
      {with_json(R"({"texts": ["a"], "image_info": {}})"), "json 'image_info' must be a list"},
      {with_json(R"({"texts": ["a", null], "image_info": [null]})"), "'texts' has 2 entries, 'image_info' 1"},
      {with_json(R"({"texts": [3], "image_info": [null]})"), "json 'texts[0]' must be a string or null"},
      {with_json(R"({"texts": [null], "images": [5]})"), "json 'images[0]' must be an object"},
      {with_json(R"({"texts": [null], "image_info": [{"image_base64": 7}]})"),
       "json 'image_info[0].image_base64' must be a string"},
      {with_json(R"({"texts": ["a"], "image_info": [{"image_base64": "AAAA"}]})"),
       "position 0 has both a text and an image"},
      {with_json(R"({"texts": ["a", null], "image_info": [null, null]})"),
       "position 1 has neither a text nor an image"},
      {with_json(R"({"texts": [null], "images": ["https://example.com/a.jpg"]})"),
       "json 'images[0]' is not base64"},
  };
  for (const auto& c : cases) {
    std::string e = error(c.sample);
    EXPECT_NE(e.find(c.says), std::string::npos) << e;
    EXPECT_NE(e.find("shard_0.tar"), std::string::npos) << e;
    EXPECT_NE(e.find("doc"), std::string::npos) << e;
  }
}

}  // namespace
}  // namespace oqvl::data
