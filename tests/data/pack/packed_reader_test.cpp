// Reading packed shards back: round trips against what pack_shards writes (ids, boundaries,
// images, metadata), resuming at a sequence's offset, and every check of the format failing
// with an Error that names the shard, offset and sequence.
#include "oqvl/data/pack/packed_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <set>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/data/io/tar_reader.h"
#include "oqvl/data/pack/pack.h"
#include "pack_test_util.h"

namespace oqvl::data {
namespace {
namespace fs = std::filesystem;
using namespace pack_test;

struct Source {
  std::string caption;
  std::string image;
};

// key -> caption and image of the raw shards (keys are unique within one shard: "{shard}/{key}").
std::map<std::string, Source> read_sources(const std::vector<std::string>& shards) {
  std::map<std::string, Source> out;
  for (std::size_t s = 0; s < shards.size(); ++s) {
    TarReader reader(shards[s]);
    while (auto sample = reader.next()) {
      out[fmt::format("{}/{}", s, sample->key)] = {std::string(sample->text("txt")),
                                                   std::string(sample->bytes("jpg"))};
    }
  }
  return out;
}

std::vector<PackedSequence> read_packed(const fs::path& shard) {
  PackedShardReader reader(shard);
  std::vector<PackedSequence> out;
  while (auto s = reader.next()) out.push_back(std::move(*s));
  return out;
}

TEST(PackedReader, RoundTripsWhatPackWrites) {
  TempDir dir;
  std::vector<std::string> shards = {write_shard(dir.path / "in" / "00000.tar", 150, 21, false),
                                     write_shard(dir.path / "in" / "00001.tar", 90, 22, false)};
  std::map<std::string, Source> sources = read_sources(shards);
  PackOptions options;
  options.context = 360;  // the 200-word captions are truncated
  options.window = 2;
  options.threads = 1;
  PackRunResult run = pack_shards(shards, dir.path / "out", tokenizer(), options);

  std::set<std::string> seen;
  std::uint64_t tokens = 0, truncated = 0;
  std::vector<PackedSequence> sequences = read_packed(dir.path / "out" / "00000.tar");
  ASSERT_EQ(sequences.size(), run.stats.sequences);
  for (std::size_t b = 0; b < sequences.size(); ++b) {
    const PackedSequence& seq = sequences[b];
    SCOPED_TRACE(seq.key);
    EXPECT_EQ(seq.key, fmt::format("00000_{:06d}", b));
    EXPECT_EQ(seq.shard, (dir.path / "out" / "00000.tar").string());
    EXPECT_EQ(seq.version, kPackedFormatVersion);
    EXPECT_EQ(seq.context, 360u);
    EXPECT_EQ(seq.image_tokens, 144u);
    EXPECT_EQ(seq.image_placeholder_id, kPackedImagePlaceholder);
    EXPECT_EQ(seq.pad_id, static_cast<std::uint32_t>(kPadId));
    ASSERT_GT(seq.samples(), 0u);
    ASSERT_EQ(seq.images.size(), seq.samples());
    std::uint64_t text = 0, position = 0;
    for (std::size_t j = 0; j < seq.samples(); ++j) {
      // Each sample is exactly what make_pack_item makes of its source caption.
      std::string id = fmt::format("{}/{}", seq.shards[j], seq.keys[j]);
      ASSERT_TRUE(sources.count(id)) << id;
      EXPECT_TRUE(seen.insert(id).second) << id;
      PackItem want = make_pack_item(tokenizer(), seq.keys[j], sources[id].caption, options);
      auto ids = seq.sample_ids(j);
      EXPECT_EQ(std::vector<std::uint32_t>(ids.begin(), ids.end()), want.ids) << id;
      EXPECT_EQ(seq.lengths[j], want.length);
      EXPECT_EQ(seq.text_offsets[j], text);
      EXPECT_EQ(seq.offsets[j], position);
      text += seq.text_lengths[j];
      position += seq.lengths[j];
      bool cut = std::find(seq.truncated.begin(), seq.truncated.end(), j) != seq.truncated.end();
      EXPECT_EQ(cut, want.truncated);
      truncated += cut;
      // The original image bytes, in sample order.
      EXPECT_EQ(seq.images[j].ext, "jpg");
      EXPECT_EQ(seq.images[j].bytes, sources[id].image);
    }
    EXPECT_EQ(text, seq.ids.size());
    EXPECT_EQ(position, seq.length);
    EXPECT_LE(seq.length, seq.context);
    tokens += seq.length;
  }
  EXPECT_EQ(seen.size(), sources.size());
  EXPECT_EQ(tokens, run.stats.tokens);
  EXPECT_EQ(truncated, run.stats.truncated);
  EXPECT_GT(truncated, 0u);
}

TEST(PackedReader, ResizedImagesAndResumeAtAnOffset) {
  TempDir dir;
  std::vector<std::string> shards = {write_shard(dir.path / "in" / "00000.tar", 60, 23, false)};
  PackOptions options;
  options.context = 1024;
  options.store = PackImageStore::kResized;
  pack_shards(shards, dir.path / "out", tokenizer(), options);
  fs::path packed = dir.path / "out" / "00000.tar";
  std::vector<PackedSequence> all = read_packed(packed);
  ASSERT_GE(all.size(), 3u);
  for (const auto& seq : all) {
    for (const auto& image : seq.images) EXPECT_EQ(image.ext, "jpg");
  }
  // A trainer that stopped after sequence k resumes at sequence k + 1's offset.
  for (std::size_t k = 0; k < all.size(); ++k) {
    PackedShardReader reader(packed);
    reader.start_at(all[k].offset);
    std::size_t i = k;
    while (auto seq = reader.next()) {
      ASSERT_LT(i, all.size());
      EXPECT_EQ(seq->key, all[i].key);
      EXPECT_EQ(seq->ids, all[i].ids);
      EXPECT_EQ(seq->images.back().bytes, all[i].images.back().bytes);
      ++i;
    }
    EXPECT_EQ(i, all.size());
  }
  PackedShardReader reader(packed);
  EXPECT_THROW(reader.start_at(all[1].offset + 512), Error);
}

// The first sequence of a small packed shard, as its raw sample.
struct PackedFixture {
  TempDir dir;
  Sample sample;
  PackedFixture() {
    std::vector<std::string> shards = {write_shard(dir.path / "in" / "00000.tar", 30, 24, false)};
    PackOptions options;
    options.context = 1024;
    pack_shards(shards, dir.path / "out", tokenizer(), options);
    TarReader reader(dir.path / "out" / "00000.tar");
    sample = *reader.next();
  }
  nlohmann::json meta() const { return nlohmann::json::parse(sample.text("json")); }
};

// The Error of parsing `sample`, or "" if it parsed.
std::string parse_error(Sample sample) {
  try {
    parse_packed_sequence(std::move(sample));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(PackedReader, BadSequencesAreErrorsNamingShardAndKey) {
  PackedFixture fx;
  ASSERT_EQ(parse_error(fx.sample), "");
  ASSERT_GE(fx.meta()["lengths"].size(), 2u);
  struct Case {
    std::string name;
    std::function<void(Sample&, nlohmann::json&)> edit;  // edits the sample or the json
    std::string says;
  };
  auto ids_field = [](Sample& s) -> std::string& {
    for (Field& f : s.fields) {
      if (f.ext == "ids.u32") return f.bytes;
    }
    throw std::runtime_error("no ids");
  };
  std::vector<Case> cases = {
      {"newer version", [](Sample&, nlohmann::json& j) { j["version"] = 3; },
       "format version 3 is not one this oqvl reads (1 or 2)"},
      {"version 2 without images", [](Sample&, nlohmann::json& j) { j["version"] = 2; },
       "json 'images' is missing"},
      {"version 2, images one short",
       [](Sample&, nlohmann::json& j) {
         j["version"] = 2;
         j["images"] = std::vector<int>(j["lengths"].size() - 1, 1);
       },
       "images (one each per sample)"},
      {"version 2, a sample said to have 2 images",
       [](Sample&, nlohmann::json& j) {
         j["version"] = 2;
         std::vector<int> images(j["lengths"].size(), 1);
         images[0] = 2;
         j["images"] = images;
       },
       "with 2 images of 144 tokens"},
      {"version not a number", [](Sample&, nlohmann::json& j) { j["version"] = "1"; },
       "format version \"1\""},
      {"no lengths", [](Sample&, nlohmann::json& j) { j.erase("lengths"); }, "json 'lengths' is missing"},
      {"negative length", [](Sample&, nlohmann::json& j) { j["lengths"][0] = -3; },
       "json 'lengths' must hold integers"},
      {"context a string", [](Sample&, nlohmann::json& j) { j["context"] = "4096"; },
       "json 'context' must be an integer"},
      {"keys not strings", [](Sample&, nlohmann::json& j) { j["keys"][0] = 5; },
       "json 'keys' must hold strings"},
      {"one key too few", [](Sample&, nlohmann::json& j) { j["keys"].erase(0); }, "one each per sample"},
      {"no samples",
       [](Sample&, nlohmann::json& j) {
         for (const char* k : {"keys", "shards", "lengths", "text_lengths"}) j[k] = nlohmann::json::array();
       },
       "no samples"},
      {"length off", [](Sample&, nlohmann::json& j) { j["lengths"][1] = j["lengths"][1].get<int>() + 1; },
       "sample 1"},
      {"total off", [](Sample&, nlohmann::json& j) { j["length"] = j["length"].get<int>() + 1; },
       "the lengths add up to"},
      {"over the context", [](Sample&, nlohmann::json& j) { j["context"] = 200; }, "is over the context 200"},
      {"truncated out of range", [](Sample&, nlohmann::json& j) { j["truncated"] = {99}; },
       "truncated names sample 99"},
      {"ids cut by one", [&](Sample& s, nlohmann::json&) { ids_field(s).resize(ids_field(s).size() - 4); },
       "ids.u32 holds"},
      {"ids not whole", [&](Sample& s, nlohmann::json&) { ids_field(s).resize(ids_field(s).size() - 1); },
       "not a whole number of uint32"},
      {"a second placeholder",
       [&](Sample& s, nlohmann::json&) {
         std::uint32_t img = kPackedImagePlaceholder;
         std::memcpy(ids_field(s).data() + 8, &img, 4);  // sample 0's first caption id
       },
       "sample 0 ('"},
      {"image missing",
       [](Sample& s, nlohmann::json&) {
         std::erase_if(s.fields, [](const Field& f) { return f.ext == "1.jpg"; });
       },
       "images (none numbered 1)"},
      {"image out of range", [](Sample& s, nlohmann::json&) { s.add("99.png", "x"); },
       "image member '99.png'"},
      {"image twice", [](Sample& s, nlohmann::json&) { s.add("0.png", "x"); }, "two images numbered 0"},
      {"no json",
       [](Sample& s, nlohmann::json&) {
         std::erase_if(s.fields, [](const Field& f) { return f.ext == "json"; });
       },
       "no json member"},
      {"json not an object", [](Sample&, nlohmann::json& j) { j = nlohmann::json::array(); },
       "not a JSON object"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Sample s = fx.sample;
    nlohmann::json j = fx.meta();
    c.edit(s, j);
    for (Field& f : s.fields) {
      if (f.ext == "json" && j != fx.meta()) f.bytes = j.dump();
    }
    std::string error = parse_error(s);
    EXPECT_NE(error.find(c.says), std::string::npos) << error;
    // Named: the sequence key, the shard and the byte offset.
    EXPECT_NE(
        error.find(fmt::format("'{}' ({} @ byte {})", fx.sample.key, fx.sample.shard, fx.sample.offset)),
        std::string::npos)
        << error;
  }
  // Shards packed before the version key was written read as version 1.
  Sample old = fx.sample;
  nlohmann::json j = fx.meta();
  j.erase("version");
  for (Field& f : old.fields) {
    if (f.ext == "json") f.bytes = j.dump();
  }
  EXPECT_EQ(parse_packed_sequence(std::move(old)).version, 1);
}

TEST(PackedReader, ShardThatIsNotPackedIsAnError) {
  // A raw caption shard (no json/ids.u32): the error says what the reader expected.
  TempDir dir;
  std::string raw = write_shard(dir.path / "in" / "00000.tar", 3, 25, false);
  PackedShardReader reader(raw);
  try {
    reader.next();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("oqvl data pack"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace oqvl::data
