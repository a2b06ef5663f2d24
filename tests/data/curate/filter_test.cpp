#include "oqvl/data/curate/filter.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/data/image/image_encode.h"
#include "oqvl/data/io/tar_reader.h"
#include "oqvl/data/io/tar_writer.h"
#include "oqvl/data/curate/uid_list.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace oqvl::data;

namespace {

std::string png(int w, int h, int seed) {
  std::vector<std::uint8_t> px(static_cast<std::size_t>(w) * h, static_cast<std::uint8_t>(seed));
  return encode_png(px, w, h, 1);
}

struct SampleSpec {
  std::string uid;  // 32 hex digits
  int image;        // image seed (same seed = same bytes); -1 = corrupt image bytes
  std::string caption;
  std::string url;
  int width = 8, height = 8;
};

std::string uid_hex(int n) { return fmt::format("{:032x}", n); }

// A temp folder with shards written from specs (one shard per inner vector).
class FilterTest : public ::testing::Test {
 protected:
  std::vector<std::string> write_shards(const std::vector<std::vector<SampleSpec>>& shards) {
    std::vector<std::string> paths;
    int key = 0;
    for (std::size_t s = 0; s < shards.size(); ++s) {
      ShardWriterOptions wo;
      wo.first_index = s;
      ShardWriter writer((dir_ / "in-{:03d}.tar").string(), wo);
      for (const SampleSpec& spec : shards[s]) {
        Sample sample;
        sample.key = fmt::format("{:06d}", key++);
        sample.add("jpg",
                   spec.image < 0 ? std::string("not an image") : png(spec.width, spec.height, spec.image));
        sample.add("txt", spec.caption);
        sample.add("json", nlohmann::json{{"uid", spec.uid}, {"url", spec.url}, {"key", sample.key}}.dump());
        writer.write(sample);
      }
      paths.push_back(writer.close().shards.at(0).path);
    }
    return paths;
  }

  FilterOptions options(const std::string& out) {
    FilterOptions o;
    o.out = dir_ / out;
    o.threads = 1;
    return o;
  }

  // Keys and captions of the output, in order.
  std::vector<std::pair<std::string, std::string>> read_output(const FilterReport& r, const fs::path& out) {
    std::vector<std::pair<std::string, std::string>> got;
    for (const auto& s : r.output) {
      TarReader reader(out / s.path);
      while (auto sample = reader.next()) got.emplace_back(sample->key, std::string(sample->text()));
    }
    return got;
  }

  oqvl::test::TempDir tmp_{"oqvl_filter"};
  fs::path dir_ = tmp_.path;
};

TEST_F(FilterTest, DedupFirstOccurrenceWinsByKind) {
  auto shards = write_shards({
      {{uid_hex(1), 1, "a cat", "u1"}, {uid_hex(2), 2, "a dog", "u2"}, {uid_hex(1), 3, "x", "u3"}},
      {{uid_hex(3), 2, "b", "u4"}, {uid_hex(4), 4, "a dog", "u2"}, {uid_hex(5), 5, "a dog", "u5"}},
  });
  FilterOptions o = options("out");
  o.dedup = {DedupKind::kUid, DedupKind::kImage, DedupKind::kUrlCaption};
  FilterReport r = run_filter(shards, o);
  EXPECT_EQ(r.input_samples, 6u);
  EXPECT_EQ(r.kept, 3u);
  EXPECT_EQ(r.duplicates.at("uid"), 1u);          // sample 2 repeats uid 1
  EXPECT_EQ(r.duplicates.at("image"), 1u);        // sample 3 repeats sample 1's image
  EXPECT_EQ(r.duplicates.at("url_caption"), 1u);  // sample 4 repeats (u2, "a dog")
  auto got = read_output(r, o.out);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].first, "000000");
  EXPECT_EQ(got[1].first, "000001");
  EXPECT_EQ(got[2].first, "000005");
}

TEST_F(FilterTest, RulesScoresAndUidListWithCounts) {
  auto shards = write_shards({
      {{uid_hex(1), 1, "one two", "a"}, {uid_hex(2), 2, "one", "b"}, {uid_hex(3), 3, "one two three", "c"}},
      {{uid_hex(4), 4, "  ", "d"}, {uid_hex(5), 5, "w w", "e", 40, 8}, {uid_hex(6), -1, "w w", "f"}},
  });
  std::ofstream(dir_ / "s.jsonl") << R"({"uid": ")" << uid_hex(1) << R"(", "su": 90})"
                                  << "\n"
                                  << R"({"uid": ")" << uid_hex(3) << R"(", "su": 10})"
                                  << "\n"
                                  << R"({"uid": ")" << uid_hex(5) << R"(", "su": 85})"
                                  << "\n";
  // uid list: 3 and 6
  std::string npy = "\x93NUMPY\x01";
  npy += '\0';
  std::string header = "{'descr': [('f0', '<u8'), ('f1', '<u8')], 'fortran_order': False, 'shape': (2,), }";
  header.resize(118 - 1, ' ');
  header += '\n';
  npy += static_cast<char>(header.size());
  npy += '\0';
  npy += header;
  for (int u : {3, 6}) {
    npy.append(8, '\0');
    npy += static_cast<char>(u);
    npy.append(7, '\0');
  }
  oqvl::write_file_atomic(dir_ / "dfn.npy", npy);
  ASSERT_EQ(UidSet::load_npy(dir_ / "dfn.npy").size(), 2u);

  FilterOptions o = options("out");
  o.scores = {(dir_ / "s.jsonl").string()};
  o.keep = {"su >= 85 or uid in " + (dir_ / "dfn.npy").string(),
            "caption_words >= 2 and image_aspect_ratio <= 4"};
  FilterReport r = run_filter(shards, o);
  // 1: su 90, 2 words        kept
  // 2: no score, not in dfn  rule 0
  // 3: su 10 but in dfn      kept
  // 4: no score              rule 0
  // 5: su 85, 40x8 = ratio 5 rule 2
  // 6: corrupt image         undecodable
  EXPECT_EQ(r.kept, 2u);
  ASSERT_EQ(r.rules.size(), 3u);
  EXPECT_EQ(r.rules[0].dropped, 2u);
  EXPECT_EQ(r.rules[1].dropped, 0u);
  EXPECT_EQ(r.rules[2].dropped, 1u);
  EXPECT_EQ(r.rules[2].failed, 1u);
  EXPECT_EQ(r.undecodable, 1u);
  EXPECT_EQ(r.without_score_row.at((dir_ / "s.jsonl").string()), 2u);  // 2, 4 (6 stops at the image)
  auto got = read_output(r, o.out);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, "000000");
  EXPECT_EQ(got[1].first, "000002");

  // A rule naming a column no table has: a clear error before anything is written.
  FilterOptions bad = options("out2");
  bad.scores = o.scores;
  bad.keep = {"clip_score >= 0.3"};
  EXPECT_THROW(run_filter(shards, bad), oqvl::Error);
  EXPECT_FALSE(fs::exists(filter_report_path(bad)));
}

TEST_F(FilterTest, DeterministicAcrossThreadsAndResharded) {
  std::vector<std::vector<SampleSpec>> specs(5);
  for (int i = 0; i < 100; ++i) {
    specs[i % 5 == 0 ? i / 20 : (i * 7) % 5].push_back(
        {uid_hex(i % 70), i % 45, fmt::format("cap {}", i % 60), "u"});
  }
  auto shards = write_shards(specs);
  std::vector<std::string> bytes[2];
  for (int t : {1, 3}) {
    FilterOptions o = options(fmt::format("out{}", t));
    o.threads = t;
    o.shard_size = 7;
    o.dedup = {DedupKind::kUid, DedupKind::kImage};
    o.clean_captions = true;
    FilterReport r = run_filter(shards, o);
    EXPECT_GT(r.kept, 10u);
    EXPECT_EQ(r.output.size(), (r.kept + 6) / 7);
    for (const auto& s : r.output) bytes[t == 3].push_back(oqvl::read_file(o.out / s.path));
  }
  EXPECT_EQ(bytes[0], bytes[1]);
}

TEST_F(FilterTest, CleansCaptionsAndCopiesOtherBytes) {
  auto shards = write_shards({{{uid_hex(1), 1, "  a\u3000cat \n", "u"}}});
  FilterOptions o = options("out");
  o.clean_captions = true;
  FilterReport r = run_filter(shards, o);
  EXPECT_EQ(r.captions_cleaned, 1u);
  TarReader in(shards[0]), out(o.out / r.output.at(0).path);
  auto a = in.next(), b = out.next();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(b->text(), "a cat");
  EXPECT_EQ(a->bytes("jpg"), b->bytes("jpg"));
  EXPECT_EQ(a->bytes("json"), b->bytes("json"));
}

TEST_F(FilterTest, RerunSkipsCompleteJobAndRedoesChangedOne) {
  auto shards = write_shards(
      {{{uid_hex(1), 1, "a", "u"}, {uid_hex(2), 2, "b", "u"}, {uid_hex(3), 3, "c", "u"}}});
  FilterOptions o = options("out");
  o.shard_size = 1;
  FilterReport first = run_filter(shards, o);
  EXPECT_FALSE(first.resumed);
  EXPECT_EQ(first.output.size(), 3u);
  FilterReport again = run_filter(shards, o);
  EXPECT_TRUE(again.resumed);
  EXPECT_EQ(again.kept, 3u);
  // Different options: redone, and the earlier run's extra shards are gone.
  o.shard_size = 2;
  FilterReport changed = run_filter(shards, o);
  EXPECT_FALSE(changed.resumed);
  EXPECT_EQ(changed.output.size(), 2u);
  EXPECT_FALSE(fs::exists(o.out / "job-0000-of-0001-000002.tar"));
}

TEST_F(FilterTest, ShardsWithTheSameNameInTwoFolders) {
  // img2dataset output of two sources: cc3m/00000.tar and cc12m/00000.tar, keys numbered alike.
  std::vector<std::string> shards;
  for (const char* source : {"cc3m", "cc12m"}) {
    ShardWriter writer((dir_ / source / "{:05d}.tar").string());
    for (int i = 0; i < 3; ++i) {
      Sample sample;
      sample.key = fmt::format("{:06d}", i);
      sample.add("jpg", png(8, 8, i + (source[2] == '3' ? 0 : 10)));
      sample.add("txt", fmt::format("{} {}", source, i));
      int uid = source[2] == '3' ? i : (i == 2 ? 0 : 10 + i);  // cc12m's third repeats cc3m's first
      sample.add("json", nlohmann::json{{"uid", uid_hex(uid)}}.dump());
      writer.write(sample);
    }
    shards.push_back(writer.close().shards.at(0).path);
  }
  EXPECT_EQ(fs::path(shards[0]).filename(), fs::path(shards[1]).filename());
  FilterOptions o = options("out");
  o.dedup = {DedupKind::kUid};
  FilterReport r = run_filter(shards, o);
  EXPECT_EQ(r.input_samples, 6u);
  EXPECT_EQ(r.kept, 5u);
  EXPECT_EQ(r.duplicates.at("uid"), 1u);
  // Outputs are named by job, not by input: nothing collides; keys are copied unchanged.
  ASSERT_EQ(r.output.size(), 1u);
  EXPECT_EQ(r.output[0].path, "job-0000-of-0001-000000.tar");
  std::vector<std::pair<std::string, std::string>> want = {{"000000", "cc3m 0"},
                                                           {"000001", "cc3m 1"},
                                                           {"000002", "cc3m 2"},
                                                           {"000000", "cc12m 0"},
                                                           {"000001", "cc12m 1"}};
  EXPECT_EQ(read_output(r, o.out), want);
  EXPECT_TRUE(run_filter(shards, o).resumed);
}

TEST_F(FilterTest, BadShardFailsOrIsCountedWithSkipBad) {
  auto shards = write_shards(
      {{{uid_hex(1), 1, "a", "u"}}, {{uid_hex(2), 2, "b", "u"}, {uid_hex(3), 3, "c", "u"}}});
  // Truncate the second shard in the middle of its second sample.
  std::string data = oqvl::read_file(shards[1]);
  oqvl::write_file_atomic(shards[1], data.substr(0, data.size() - 1800));
  FilterOptions o = options("out");
  EXPECT_THROW(run_filter(shards, o), BadShardError);
  EXPECT_FALSE(fs::exists(filter_report_path(o)));
  EXPECT_TRUE(!fs::exists(o.out) || fs::is_empty(o.out));
  o.skip_bad = true;
  FilterReport r = run_filter(shards, o);
  EXPECT_EQ(r.kept, r.input_samples);
  EXPECT_GE(r.input_samples, 1u);
  EXPECT_EQ(r.skipped.size(), 1u);
}

TEST_F(FilterTest, UnwritableOutputIsAClearError) {
  auto shards = write_shards({{{uid_hex(1), 1, "a", "u"}}});
  oqvl::write_file_atomic(dir_ / "file", "x");
  FilterOptions o = options("file/sub");
  EXPECT_THROW(run_filter(shards, o), oqvl::Error);
}

}  // namespace
