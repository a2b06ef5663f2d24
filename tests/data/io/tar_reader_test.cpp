// The tar reader against goldens from Python's webdataset (tests/fixtures/tar, made by
// tools/make_tar_fixtures.py), plus bad input: truncation, bad checksums, non-tar and empty
// files, duplicate fields, and a bounded fuzz loop of bit flips and truncations.
#include "oqvl/data/io/tar_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "oqvl/core/files.h"
#include "oqvl/core/log.h"
#include "oqvl/data/io/tar_format.h"
#include "test_util.h"

namespace oqvl::data {
namespace {
namespace fs = std::filesystem;

const fs::path kTarDir = fs::path(OQVL_FIXTURES_DIR) / "tar";

std::string unhex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

using oqvl::test::TempDir;

std::vector<Sample> read_all(const fs::path& shard, TarReaderOptions options = {}) {
  TarReader reader(shard, options);
  std::vector<Sample> out;
  while (auto s = reader.next()) out.push_back(std::move(*s));
  return out;
}

// A tar member made by our own header writer, for hand-built bad inputs.
std::string member(const std::string& name, const std::string& data, char type = tar::kRegular) {
  std::string out(tar::kBlock, '\0');
  tar::format_header(reinterpret_cast<unsigned char*>(out.data()), name, data.size(), type);
  out += data;
  out.append(tar::padded(data.size()) - data.size(), '\0');
  return out;
}
const std::string kEnd(2 * tar::kBlock, '\0');

TEST(TarReader, MatchesPythonWebdatasetOnFixtures) {
  auto expected = nlohmann::json::parse(read_file(kTarDir / "expected.json"));
  for (const auto& [shard, samples] : expected["shards"].items()) {
    SCOPED_TRACE(shard);
    SkipCounter skipped;
    auto got = read_all(kTarDir / shard, {.skipped = &skipped});
    ASSERT_EQ(got.size(), samples.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      const auto& want = samples[i];
      EXPECT_EQ(got[i].key, want["key"].get<std::string>());
      EXPECT_EQ(got[i].shard, (kTarDir / shard).string());
      ASSERT_EQ(got[i].fields.size(), want["fields"].size()) << got[i].key;
      for (std::size_t f = 0; f < got[i].fields.size(); ++f) {
        EXPECT_EQ(got[i].fields[f].ext, want["fields"][f][0].get<std::string>());
        EXPECT_EQ(got[i].fields[f].bytes, unhex(want["fields"][f][1].get<std::string>()));
      }
    }
  }
}

TEST(TarReader, CountsKeylessMembersAndSkipsSpecialEntries) {
  SkipCounter skipped;
  auto got = read_all(kTarDir / "ustar.tar", {.skipped = &skipped});
  // "README" (no dot) and ".hidden.txt" (leading dot); the folder, symlink and __index__
  // are skipped silently as webdataset does.
  EXPECT_EQ(skipped.by_reason()["tar member without key"], 2u);
  EXPECT_EQ(skipped.total(), 2u);
  ASSERT_GE(got.size(), 2u);
  EXPECT_EQ(got[0].offset, 512u);  // after the folder entry's header
  EXPECT_EQ(got[1].text("txt"), "");
  EXPECT_NE(got[1].find("0.jpg"), nullptr);
}

TEST(TarReader, SplitMemberNameMatchesWebdatasetBasePlusExt) {
  auto expected = nlohmann::json::parse(read_file(kTarDir / "expected.json"));
  for (const auto& row : expected["split"]) {
    auto name = row[0].get<std::string>();
    auto got = split_member_name(name);
    if (row[1].is_null()) {
      EXPECT_FALSE(got.has_value()) << name;
    } else {
      ASSERT_TRUE(got.has_value()) << name;
      EXPECT_EQ(got->first, row[1].get<std::string>()) << name;
      EXPECT_EQ(got->second, row[2].get<std::string>()) << name;
    }
  }
}

TEST(TarReader, MetaMembers) {
  EXPECT_TRUE(is_meta_member("__index__"));
  EXPECT_TRUE(is_meta_member("__meta__/x.txt"));
  EXPECT_FALSE(is_meta_member("__key__.jpg"));
  EXPECT_FALSE(is_meta_member("a/__x__"));
}

TEST(TarReader, EmptyArchiveHasNoSamples) {
  TempDir dir;
  // Only end-of-archive blocks (what `tar cf x.tar -T /dev/null` writes): valid, no samples.
  EXPECT_TRUE(read_all(dir.write("none.tar", std::string(10240, '\0'))).empty());
}

TEST(TarReader, Base256SizeAndNoEndBlocks) {
  std::string m = member("a.txt", "hello");
  // Rewrite the size as GNU base-256 and fix the checksum.
  auto* b = reinterpret_cast<unsigned char*>(m.data());
  std::memset(b + 124, 0, 12);
  b[124] = 0x80;
  b[135] = 5;
  std::memset(b + 148, ' ', 8);
  unsigned sum = 0;
  for (int i = 0; i < 512; ++i) sum += b[i];
  std::snprintf(reinterpret_cast<char*>(b + 148), 8, "%06o", sum);
  TempDir dir;
  auto got = read_all(dir.write("b.tar", m));  // no end-of-archive blocks: tolerated
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].text(), "hello");
}

TEST(TarReader, BadInputIsAnErrorNamingShardAndOffset) {
  TempDir dir;
  std::string good = read_file(kTarDir / "wds.tar");
  struct Case {
    std::string name, bytes, reason, needle;
  };
  std::uint64_t second = read_all(kTarDir / "wds.tar").at(1).offset;
  std::string bad_sum = good;
  bad_sum[second + 10] ^= 0x40;  // the second sample's first header
  std::string dup = member("a.txt", "1") + member("a.txt", "2") + kEnd;
  // Corrupt size fields: 8 GiB in a small file, and a base-256 value near 2^64.
  auto with_size = [](std::string m, const unsigned char* field) {
    auto* b = reinterpret_cast<unsigned char*>(m.data());
    std::memcpy(b + 124, field, 12);
    std::memset(b + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; ++i) sum += b[i];
    std::snprintf(reinterpret_cast<char*>(b + 148), 8, "%06o", sum);
    return m;
  };
  const unsigned char octal_8g[12] = {'7', '7', '7', '7', '7', '7', '7', '7', '7', '7', '7', 0};
  unsigned char huge[12];
  std::memset(huge, 0xff, 12);
  huge[0] = 0x80;
  std::string big = with_size(member("a.txt", "x"), octal_8g) + kEnd;
  std::string giant = with_size(member("a.txt", "x"), huge) + kEnd;
  std::vector<Case> cases = {
      {"big.tar", big, "truncated tar", "byte 512"},
      {"giant.tar", giant, "bad tar header", "byte 0"},
      {"empty.tar", "", "empty shard", "byte 0"},
      {"text.tar", std::string(2000, 'x'), "not a tar file", "byte 0"},
      {"short.tar", "abc", "not a tar file", "byte 0"},
      {"cut_data.tar", good.substr(0, 700), "truncated tar", "byte"},
      {"cut_header.tar", good.substr(0, 512 * 3 + 100), "truncated tar", "byte"},
      // Cut inside (or right before) the zero padding after a member's data: Python's tarfile
      // and webdataset raise "unexpected end of data" there as well.
      {"cut_padding.tar", member("a.txt", std::string(100, 'x')).substr(0, 512 + 150), "truncated tar",
       "padding"},
      {"cut_at_data_end.tar", member("a.txt", std::string(100, 'x')).substr(0, 512 + 100), "truncated tar",
       "padding"},
      {"dup.tar", dup, "duplicate field", "byte 1024"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto path = dir.write(c.name, c.bytes);
    try {
      read_all(path);
      ADD_FAILURE() << "no error";
    } catch (const BadShardError& e) {
      EXPECT_EQ(e.reason, c.reason) << e.what();
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.needle), std::string::npos) << e.what();
    }
  }
  // The bad checksum: samples before it are read, then the error.
  auto path = dir.write("bad_sum.tar", bad_sum);
  TarReader reader(path);
  std::size_t n = 0;
  try {
    while (reader.next()) ++n;
    ADD_FAILURE() << "no error";
  } catch (const BadShardError& e) {
    EXPECT_EQ(e.reason, "bad tar header");
    // Sample 0 is not handed out: the broken header might have been one of its members.
    EXPECT_EQ(n, 0u);
    EXPECT_NE(std::string(e.what()).find(fmt::format("byte {}", second)), std::string::npos) << e.what();
  }
}

TEST(TarReader, SkipPolicyCountsAndGoesOn) {
  TempDir dir;
  std::string good = read_file(kTarDir / "wds.tar");
  std::string dup = member("a.txt", "1") + member("a.txt", "2") + member("b.txt", "3") + kEnd;
  std::vector<std::string> shards = {
      dir.write("empty.tar", "").string(),
      dir.write("dup.tar", dup).string(),
      dir.write("cut.tar", good.substr(0, good.size() - 11000)).string(),
      (kTarDir / "wds.tar").string(),
      (dir.path / "missing.tar").string(),
  };
  SkipCounter skipped;
  ShardReader reader(shards, {.on_bad = OnBadInput::kSkip, .skipped = &skipped});
  std::vector<std::string> keys;
  while (auto s = reader.next()) keys.push_back(s->key);
  auto by = skipped.by_reason();
  EXPECT_EQ(by["empty shard"], 1u);
  EXPECT_EQ(by["duplicate field"], 1u);
  EXPECT_EQ(by["truncated tar"], 1u);
  EXPECT_EQ(by["cannot open shard"], 1u);
  // b from dup.tar, the complete samples of cut.tar, all five of wds.tar.
  ASSERT_GE(keys.size(), 6u);
  EXPECT_EQ(keys[0], "b");
  EXPECT_EQ(keys.back(), "000000004");
  EXPECT_LT(keys.size(), 11u);
}

bool same_samples(const std::vector<Sample>& a, const std::vector<Sample>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key || a[i].offset != b[i].offset || a[i].fields.size() != b[i].fields.size())
      return false;
    for (std::size_t f = 0; f < a[i].fields.size(); ++f) {
      if (a[i].fields[f].ext != b[i].fields[f].ext || a[i].fields[f].bytes != b[i].fields[f].bytes)
        return false;
    }
  }
  return true;
}

TEST(TarReader, StartsAtAnySampleOffsetItReported) {
  // Every fixture dialect (ustar prefixes, GNU long names, pax headers before the member).
  for (const char* name : {"wds.tar", "ustar.tar", "gnu.tar", "pax.tar"}) {
    SCOPED_TRACE(name);
    std::vector<Sample> all = read_all(kTarDir / name);
    ASSERT_FALSE(all.empty());
    for (std::size_t i = 0; i < all.size(); ++i) {
      TarReader reader(kTarDir / name);
      reader.start_at(all[i].offset);
      std::vector<Sample> rest;
      while (auto s = reader.next()) rest.push_back(std::move(*s));
      EXPECT_TRUE(same_samples(rest, std::vector<Sample>(all.begin() + i, all.end()))) << "from sample " << i;
    }
  }
  // Mid-read: start_at drops what was read ahead and goes back (or forward).
  std::vector<Sample> all = read_all(kTarDir / "wds.tar");
  TarReader reader(kTarDir / "wds.tar");
  reader.next();
  reader.next();
  reader.start_at(all[1].offset);
  EXPECT_EQ(reader.next()->key, all[1].key);
  reader.start_at(all[4].offset);
  EXPECT_EQ(reader.next()->key, all[4].key);
  EXPECT_FALSE(reader.next());
  // After the end too.
  reader.start_at(all[0].offset);
  EXPECT_EQ(reader.next()->key, all[0].key);
}

TEST(TarReader, StartAtRefusesOffsetsThatAreNotSamples) {
  TempDir dir;
  // A member with 2 KiB of data: byte 1024 is block-aligned but inside the data.
  fs::path shard = dir.write("s.tar", member("a.txt", std::string(2048, 'x')) + member("b.txt", "y") + kEnd);
  std::uint64_t size = fs::file_size(shard);
  struct Case {
    std::uint64_t offset;
    std::string says;
  };
  std::vector<Case> cases = {
      {100, "not at a tar header boundary"},        {1024, "no valid tar header there"},
      {512 + 2048 + 1024, "end-of-archive marker"},  // after b.txt's header and data block
      {size, "at or past the end of the file"},     {size + 512, "at or past the end of the file"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.offset);
    // Not swallowed by kSkip: a wrong offset is the caller's mistake, not a bad shard.
    SkipCounter skipped;
    TarReader reader(shard, {.on_bad = OnBadInput::kSkip, .skipped = &skipped});
    try {
      reader.start_at(c.offset);
      ADD_FAILURE() << "no error";
    } catch (const BadShardError& e) {
      ADD_FAILURE() << "a BadShardError: " << e.what();
    } catch (const Error& e) {
      std::string what = e.what();
      EXPECT_NE(what.find(c.says), std::string::npos) << what;
      EXPECT_NE(what.find(shard.string()), std::string::npos) << what;
      EXPECT_NE(what.find(fmt::format("byte {}", c.offset)), std::string::npos) << what;
    }
    // The reader is left as it was: it still reads the shard from the start.
    auto first = reader.next();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->key, "a");
    EXPECT_EQ(skipped.total(), 0u);
  }
  // The valid offsets: 0 and b.txt's header.
  TarReader reader(shard);
  reader.start_at(512 + 2048);
  EXPECT_EQ(reader.next()->key, "b");
  // Something that cannot seek.
  TarReader device("/dev/null");
  EXPECT_THROW(device.start_at(0), Error);
  TarReader missing(dir.path / "missing.tar");
  EXPECT_THROW(missing.start_at(0), Error);
}

TEST(TarReader, ReadsFromStdinPipe) {
  // "-" reads standard input; swap a pipe in for it.
  std::string good = read_file(kTarDir / "wds.tar");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  int saved = ::dup(STDIN_FILENO);
  ::dup2(fds[0], STDIN_FILENO);
  ::close(fds[0]);
  std::thread writer([&] {
    std::size_t done = 0;
    while (done < good.size()) {
      ssize_t n = ::write(fds[1], good.data() + done, std::min<std::size_t>(4096, good.size() - done));
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(fds[1]);
  });
  auto got = read_all("-");
  writer.join();
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  auto want = read_all(kTarDir / "wds.tar");
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].key, want[i].key);
    EXPECT_EQ(got[i].fields.size(), want[i].fields.size());
    EXPECT_EQ(got[i].fields[0].bytes, want[i].fields[0].bytes);
  }
}

TEST(TarReader, FuzzedShardsNeverCrashOrHang) {
  // Bit flips and truncations of valid shards: every outcome is samples or a BadShardError,
  // and with kSkip no exception at all. The loop is bounded; the reader always advances.
  TempDir dir;
  log::set_level(log::Level::kError);  // thousands of "skipping" warnings otherwise
  std::mt19937_64 rng(42);
  std::vector<std::string> seeds = {read_file(kTarDir / "wds.tar"), read_file(kTarDir / "pax.tar"),
                                    read_file(kTarDir / "gnu.tar"), read_file(kTarDir / "ustar.tar")};
  int errors = 0;
  // OQVL_FUZZ_ITERS raises the count for a longer local run (e.g. under ASan).
  const char* env = std::getenv("OQVL_FUZZ_ITERS");
  int iters = env ? std::atoi(env) : 600;
  for (int iter = 0; iter < iters; ++iter) {
    std::string bytes = seeds[iter % seeds.size()];
    int flips = 1 + static_cast<int>(rng() % 8);
    for (int f = 0; f < flips; ++f) {
      // Mostly hit header blocks, where the interesting parsing is.
      std::size_t block = rng() % (bytes.size() / tar::kBlock);
      std::size_t pos = (rng() % 3 ? block * tar::kBlock + rng() % 160 : rng() % bytes.size());
      bytes[pos] = static_cast<char>(bytes[pos] ^ (1 << (rng() % 8)));
    }
    if (rng() % 3 == 0) bytes.resize(rng() % bytes.size());
    auto path = dir.write("fuzz.tar", bytes);
    try {
      read_all(path);
    } catch (const BadShardError&) {
      ++errors;
    }
    SkipCounter skipped;
    EXPECT_NO_THROW(read_all(path, {.on_bad = OnBadInput::kSkip, .skipped = &skipped}));
  }
  log::set_level(log::Level::kInfo);
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace oqvl::data
