// ShardWriter: deterministic bytes, shard limits, round trips through our reader, and Python's
// tarfile + webdataset reading what we write (tests/data/io/tar_interop_check.py).
#include "oqvl/data/io/tar_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/data/io/tar_reader.h"
#include "test_util.h"

namespace oqvl::data {
namespace {
namespace fs = std::filesystem;

using oqvl::test::TempDir;

std::vector<Sample> make_samples(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Sample> out;
  for (std::size_t i = 0; i < n; ++i) {
    Sample s;
    s.key = fmt::format("{:09d}", i);
    std::string img(rng() % 3000, '\0');
    for (auto& c : img) c = static_cast<char>(rng());
    s.add("jpg", img);
    s.add("txt", fmt::format("caption {} \xc3\xa9", i));
    s.add("json", fmt::format("{{\"uid\": \"{:016x}\"}}", rng()));
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Sample> read_shards(const ShardWriterResult& r) {
  std::vector<std::string> paths;
  for (const auto& s : r.shards) paths.push_back(s.path);
  ShardReader reader(paths);
  std::vector<Sample> out;
  while (auto s = reader.next()) out.push_back(std::move(*s));
  return out;
}

void expect_same(const std::vector<Sample>& got, const std::vector<Sample>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].key, want[i].key);
    ASSERT_EQ(got[i].fields.size(), want[i].fields.size());
    for (std::size_t f = 0; f < got[i].fields.size(); ++f) {
      EXPECT_EQ(got[i].fields[f].ext, want[i].fields[f].ext);
      EXPECT_EQ(got[i].fields[f].bytes, want[i].fields[f].bytes);
    }
  }
}

TEST(ShardWriter, FormatsShardNames) {
  EXPECT_EQ(format_shard_name("out/%06d.tar", 12), "out/000012.tar");
  EXPECT_EQ(format_shard_name("out/%d.tar", 12), "out/12.tar");
  EXPECT_EQ(format_shard_name("out/{:05d}.tar", 7), "out/00007.tar");
  EXPECT_EQ(format_shard_name("shard_{}.tar", 3), "shard_3.tar");
  EXPECT_EQ(format_shard_name("100%%/%03d.tar", 3), "100%/003.tar");
  EXPECT_THROW(format_shard_name("out/fixed.tar", 0), Error);
  EXPECT_THROW(format_shard_name("out/%s.tar", 0), Error);
  EXPECT_THROW(format_shard_name("out/{:q}.tar", 0), Error);
}

TEST(ShardWriter, RoundTripsAndSplitsBySampleCount) {
  TempDir dir;
  auto samples = make_samples(25, 1);
  ShardWriter writer((dir.path / "%05d.tar").string(), {.max_samples = 10});
  for (const auto& s : samples) writer.write(s);
  auto r = writer.close();
  ASSERT_EQ(r.shards.size(), 3u);
  EXPECT_EQ(r.shards[0].path, (dir.path / "00000.tar").string());
  EXPECT_EQ(r.shards[2].samples, 5u);
  EXPECT_EQ(r.samples, 25u);
  EXPECT_EQ(r.shards[1].bytes, fs::file_size(r.shards[1].path));
  expect_same(read_shards(r), samples);
  // Only the shards: no temporary files left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()), 3);
}

TEST(ShardWriter, SplitsByBytesAndKeepsOversizedSamples) {
  TempDir dir;
  auto samples = make_samples(40, 2);
  ShardWriter writer((dir.path / "{:03d}.tar").string(), {.max_samples = 0, .max_bytes = 20000});
  for (const auto& s : samples) writer.write(s);
  auto r = writer.close();
  EXPECT_GT(r.shards.size(), 3u);
  for (const auto& s : r.shards) {
    // A shard may exceed the limit only when one sample alone is larger.
    if (s.samples > 1) {
      EXPECT_LE(s.bytes, 20000u) << s.path;
    }
  }
  expect_same(read_shards(r), samples);
}

TEST(ShardWriter, SameSamplesGiveSameBytes) {
  TempDir a, b;
  auto samples = make_samples(12, 3);
  for (auto* d : {&a, &b}) {
    ShardWriter w((d->path / "%02d.tar").string(), {.max_samples = 5});
    for (const auto& s : samples) w.write(s);
    w.close();
  }
  for (const char* name : {"00.tar", "01.tar", "02.tar"}) {
    EXPECT_EQ(read_file(a.path / name), read_file(b.path / name)) << name;
  }
  std::string bytes = read_file(a.path / "00.tar");
  EXPECT_EQ(bytes.size() % 512, 0u);
  EXPECT_EQ(bytes.substr(257, 6), std::string("ustar\0", 6));
}

TEST(ShardWriter, LongNamesAndFoldersRoundTrip) {
  TempDir dir;
  std::vector<Sample> samples(3);
  samples[0].key = "folder/" + std::string(90, 'k');                            // prefix split
  samples[1].key = std::string(130, 'x');                                       // pax path record
  samples[2].key = "a/" + std::string(200, 'y') + "/" + std::string(120, 'z');  // pax too
  for (auto& s : samples) {
    s.add("txt", "t");
    s.add("0.jpg", std::string(512, 'j'));
  }
  ShardWriter writer((dir.path / "%d.tar").string());
  for (const auto& s : samples) writer.write(s);
  expect_same(read_shards(writer.close()), samples);
}

TEST(ShardWriter, RejectsSamplesThatWouldNotReadBack) {
  TempDir dir;
  ShardWriter writer((dir.path / "%d.tar").string());
  auto bad = [](std::string key, std::string ext) {
    Sample s;
    s.key = std::move(key);
    s.add(std::move(ext), "x");
    return s;
  };
  EXPECT_THROW(writer.write(bad("", "txt")), Error);
  EXPECT_THROW(writer.write(bad("a.b", "txt")), Error);  // would read as key "a"
  EXPECT_THROW(writer.write(bad("a", "")), Error);
  EXPECT_THROW(writer.write(bad("a", "x/y")), Error);
  EXPECT_THROW(writer.write(bad("__meta__/x", "txt")), Error);
  Sample dup = bad("a", "txt");
  dup.add("txt", "y");
  EXPECT_THROW(writer.write(dup), Error);
  EXPECT_TRUE(writer.close().shards.empty());
}

TEST(ShardWriter, RejectsTheSameKeyTwiceInARow) {
  TempDir dir;
  ShardWriterOptions options;
  options.max_samples = 3;
  ShardWriter writer((dir.path / "%d.tar").string(), options);
  auto sample = [](std::string key, std::string ext) {
    Sample s;
    s.key = std::move(key);
    s.add(std::move(ext), "x");
    return s;
  };
  writer.write(sample("a", "txt"));
  try {
    writer.write(sample("a", "jpg"));  // would read back as one sample {txt, jpg}
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("same key"), std::string::npos) << e.what();
  }
  writer.write(sample("b", "txt"));
  writer.write(sample("a", "txt"));  // not adjacent to the first "a": fine
  writer.write(sample("a", "jpg"));  // the first of the next shard: fine too
  auto written = writer.close();
  ASSERT_EQ(written.shards.size(), 2u);
  std::vector<std::string> keys;
  for (const auto& shard : written.shards) {
    TarReader reader(shard.path);
    while (auto s = reader.next()) keys.push_back(s->key);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b", "a", "a"}));
}

TEST(ShardWriter, UnclosedWriterLeavesNoShard) {
  TempDir dir;
  {
    ShardWriter writer((dir.path / "%d.tar").string());
    writer.write(make_samples(1, 4)[0]);
  }
  EXPECT_TRUE(fs::is_empty(dir.path));
}

TEST(ShardWriter, PythonTarfileAndWebdatasetReadOurShards) {
  TempDir dir;
  auto samples = make_samples(30, 5);
  Sample odd;
  odd.key = "sub/dir/" + std::string(150, 'l');
  odd.add("txt", "");
  odd.add("0.png", std::string(1, '\0'));
  samples.insert(samples.begin() + 11, odd);
  ShardWriter writer((dir.path / "shard-%06d.tar").string(), {.max_samples = 8});
  for (const auto& s : samples) writer.write(s);
  auto r = writer.close();

  nlohmann::json expected;
  std::size_t i = 0;
  for (const auto& shard : r.shards) {
    nlohmann::json js{{"path", shard.path}, {"samples", nlohmann::json::array()}};
    for (std::size_t k = 0; k < shard.samples; ++k, ++i) {
      nlohmann::json fields = nlohmann::json::array();
      for (const auto& f : samples[i].fields) {
        std::string hex;
        for (unsigned char c : f.bytes) hex += fmt::format("{:02x}", c);
        fields.push_back({f.ext, hex});
      }
      js["samples"].push_back({{"key", samples[i].key}, {"fields", fields}});
    }
    expected["shards"].push_back(js);
  }
  write_file_atomic(dir.path / "expected.json", expected.dump());
  std::string cmd = fmt::format("{} {}/tests/data/io/tar_interop_check.py {}", oqvl::test::python(),
                                OQVL_SOURCE_DIR, (dir.path / "expected.json").string());
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

}  // namespace
}  // namespace oqvl::data
