// The pack output folder: window names (unique basenames unchanged, shared basenames from two
// folders disambiguated the same way in every job), and reruns that resume with the same
// options but refuse, naming the difference and writing nothing, when anything differs.
#include "oqvl/data/pack/pack_outputs.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/hash.h"
#include "oqvl/data/pack/packed_reader.h"
#include "pack_test_util.h"
#include "test_util.h"

namespace oqvl::data {
namespace {
namespace fs = std::filesystem;
using namespace pack_test;

using Names = std::vector<std::string>;

TEST(PackOutputStems, UniqueBasenamesKeepTheirNames) {
  EXPECT_EQ(pack_output_stems({"in/00000.tar", "in/00001.tar", "other/00002.tar"}),
            (Names{"00000", "00001", "00002"}));
  EXPECT_EQ(pack_output_stems({"in/part.a.tar", "in/noext"}), (Names{"part_a", "noext"}));
  EXPECT_EQ(pack_output_stems({"-"}), (Names{"stdin"}));
  EXPECT_TRUE(pack_output_stems({}).empty());
}

TEST(PackOutputStems, SharedBasenamesTakeTheirFolders) {
  // img2dataset output of two sources: the colliding shards get their folder, the rest not.
  EXPECT_EQ(pack_output_stems({"d/cc3m/00000.tar", "d/cc3m/00001.tar", "d/cc12m/00000.tar"}),
            (Names{"cc3m_00000", "00001", "cc12m_00000"}));
  // As many folders as it takes; dots in folder names become '_'.
  EXPECT_EQ(pack_output_stems({"a/data/00000.tar", "b/data/00000.tar"}),
            (Names{"a_data_00000", "b_data_00000"}));
  EXPECT_EQ(pack_output_stems({"cc3m.v2/00000.tar", "cc12m/00000.tar"}),
            (Names{"cc3m_v2_00000", "cc12m_00000"}));
  // A disambiguated name that meets a real one goes on until all differ.
  Names tricky = pack_output_stems({"x/cc3m/00000.tar", "x/cc12m/00000.tar", "y/cc3m_00000.tar"});
  EXPECT_EQ(std::set<std::string>(tricky.begin(), tricky.end()).size(), 3u);
  EXPECT_EQ(tricky[1], "cc12m_00000");
  EXPECT_EQ(tricky[0], "x_cc3m_00000");
  EXPECT_EQ(tricky[2], "y_cc3m_00000");
  // Relative and absolute spellings of the folders give the same names.
  fs::path abs = fs::current_path();
  EXPECT_EQ(pack_output_stems({(abs / "cc3m/00000.tar").string(), "cc12m/00000.tar"}),
            (Names{"cc3m_00000", "cc12m_00000"}));
}

TEST(PackOutputStems, TheSameShardTwiceIsAnError) {
  for (const Names& twice : {Names{"in/00000.tar", "in/00000.tar"}, Names{"in/00000.tar", "in/./00000.tar"},
                             Names{"in/00000.tar", "x/../in/00000.tar"}}) {
    try {
      pack_output_stems(twice);
      ADD_FAILURE() << "no error for " << twice[1];
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("listed twice"), std::string::npos) << e.what();
    }
  }
}

std::set<std::string> files_in(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

TEST(PackOutputs, TwoFoldersWithTheSameShardNames) {
  TempDir dir;
  std::vector<std::string> shards = {write_shard(dir.path / "cc3m" / "00000.tar", 40, 31, false),
                                     write_shard(dir.path / "cc3m" / "00001.tar", 40, 32, false),
                                     write_shard(dir.path / "cc12m" / "00000.tar", 50, 33, false)};
  PackOptions options;
  options.context = 1024;
  PackRunResult run = pack_shards(shards, dir.path / "out", tokenizer(), options);
  EXPECT_EQ(run.stats.packed_samples, 130u);
  std::set<std::string> want = {
      "cc3m_00000.tar",  "cc3m_00000.stats.json",  "00001.tar",         "00001.stats.json",
      "cc12m_00000.tar", "cc12m_00000.stats.json", "pack-options.json", "pack-job-0000-of-0001.summary.json"};
  EXPECT_EQ(files_in(dir.path / "out"), want);
  // Each output holds its own input's samples, keyed by its name.
  std::map<std::string, std::uint64_t> samples;
  for (const char* stem : {"cc3m_00000", "00001", "cc12m_00000"}) {
    PackedShardReader reader(dir.path / "out" / (std::string(stem) + ".tar"));
    while (auto seq = reader.next()) {
      EXPECT_TRUE(seq->key.starts_with(std::string(stem) + "_")) << seq->key;
      samples[stem] += seq->samples();
    }
    auto stats = nlohmann::json::parse(read_file(dir.path / "out" / (std::string(stem) + ".stats.json")));
    EXPECT_EQ(stats["output"], std::string(stem) + ".tar");
  }
  EXPECT_EQ(samples,
            (std::map<std::string, std::uint64_t>{{"cc3m_00000", 40}, {"00001", 40}, {"cc12m_00000", 50}}));
  // Jobs share the folder: names are chosen over all jobs' inputs, so two jobs (job 0 packs
  // cc3m/00000 and cc12m/00000, job 1 cc3m/00001) write the same files as one.
  for (int j = 0; j < 2; ++j) {
    options.job = {j, 2};
    pack_shards(shards, dir.path / "jobs", tokenizer(), options);
  }
  for (const char* name : {"cc3m_00000.tar", "00001.tar", "cc12m_00000.tar", "cc12m_00000.stats.json"}) {
    EXPECT_EQ(read_file(dir.path / "out" / name), read_file(dir.path / "jobs" / name)) << name;
  }
  // With three jobs no job holds both 00000s, and still no job writes a bare 00000.tar.
  for (int j = 0; j < 3; ++j) {
    options.job = {j, 3};
    pack_shards(shards, dir.path / "three", tokenizer(), options);
  }
  EXPECT_FALSE(fs::exists(dir.path / "three" / "00000.tar"));
  EXPECT_EQ(read_file(dir.path / "out" / "cc12m_00000.tar"),
            read_file(dir.path / "three" / "cc12m_00000.tar"));
}

using oqvl::test::error_of;
struct RerunTest : ::testing::Test {
  TempDir dir;
  std::vector<std::string> shards;
  PackOptions options;
  fs::path out;
  void SetUp() override {
    for (int i = 0; i < 4; ++i) {
      shards.push_back(write_shard(dir.path / "in" / fmt::format("{:05d}.tar", i), 30, 40 + i, false));
    }
    options.context = 1024;
    options.window = 2;
    options.tokenizer_fingerprint = file_fingerprint(fs::path(OQVL_SOURCE_DIR) /
                                                     "assets/qwen2-tokenizer/tokenizer.json");
    out = dir.path / "out";
    pack_shards(shards, out, tokenizer(), options);
  }
  // Runs pack with `changed` and checks it is refused with `says`, writing nothing.
  void expect_refused(const PackOptions& changed, const std::string& says,
                      const std::vector<std::string>& inputs = {}) {
    std::map<std::string, std::string> before;
    for (const auto& name : files_in(out)) before[name] = read_file(out / name);
    std::string error = error_of(
        [&] { pack_shards(inputs.empty() ? shards : inputs, out, tokenizer(), changed); });
    EXPECT_NE(error.find(says), std::string::npos) << error;
    EXPECT_NE(error.find("use a fresh --out"), std::string::npos) << error;
    std::map<std::string, std::string> after;
    for (const auto& name : files_in(out)) after[name] = read_file(out / name);
    EXPECT_EQ(after, before) << "a refused run changed the folder";
  }
};

TEST_F(RerunTest, SameOptionsResume) {
  auto record = nlohmann::json::parse(read_file(out / "pack-options.json"));
  EXPECT_EQ(record, pack_fingerprint(options));
  EXPECT_EQ(record["tokenizer"].get<std::string>().substr(0, 8), "fnv1a64:");
  auto stats = nlohmann::json::parse(read_file(out / "00000.stats.json"));
  EXPECT_EQ(stats["options"], record);
  EXPECT_EQ(stats["input_bytes"].size(), 2u);
  EXPECT_EQ(stats["input_bytes"][1].get<std::uint64_t>(), fs::file_size(shards[1]));
  // Threads and --skip-bad do not change a complete window: the rerun resumes.
  PackOptions same = options;
  same.threads = 3;
  same.skip_bad_shards = true;
  PackRunResult again = pack_shards(shards, out, tokenizer(), same);
  EXPECT_EQ(again.windows_skipped, 2u);
  // Inputs spelled differently are the same files.
  std::vector<std::string> spelled;
  for (const auto& s : shards)
    spelled.push_back((fs::path(s).parent_path() / "." / fs::path(s).filename()).string());
  EXPECT_EQ(pack_shards(spelled, out, tokenizer(), options).windows_skipped, 2u);
  // An interrupted window (no stats) is packed again with the same options.
  fs::remove(out / "00002.stats.json");
  EXPECT_EQ(pack_shards(shards, out, tokenizer(), options).windows_skipped, 1u);
}

TEST_F(RerunTest, AnotherOptionIsRefusedNamingIt) {
  PackOptions o = options;
  o.context = 2048;
  expect_refused(o, "--context: 1024 before, 2048 now");
  o = options;
  o.image_tokens = 64;
  expect_refused(o, "--image-tokens: 144 before, 64 now");
  o = options;
  o.store = PackImageStore::kResized;
  expect_refused(o, "--store: \"original\" before, \"resized\" now");
  o = options;
  o.decode_check = true;
  expect_refused(o, "--decode-check: false before, true now");
  o = options;
  o.tokenizer_fingerprint = "fnv1a64:0000000000000000";
  expect_refused(o, "--tokenizer (file content)");
  o = options;
  o.window = 1;
  expect_refused(o, "--window: 2 before, 1 now");
  // Several at once are all named.
  o = options;
  o.context = 4096;
  o.image_tokens = 729;
  expect_refused(o, "--context: 1024 before, 4096 now; --image-tokens: 144 before, 729 now");
}

TEST_F(RerunTest, OtherInputsOfACompleteWindowAreRefused) {
  // --num-shards 2 with --window 2 pairs shards 0 and 2 into window 00000: not what it holds.
  PackOptions o = options;
  o.job = {0, 2};
  expect_refused(o, "00000.tar was packed from");
  // An input replaced by another file of the same name.
  write_shard(dir.path / "in" / "00001.tar", 31, 99, false);
  expect_refused(options, fmt::format("input {} had", shards[1]));
}

TEST_F(RerunTest, OtherOptionsForOtherInputsInTheSameFolderAreRefused) {
  // No window in common: the folder's record catches it.
  std::vector<std::string> more = {write_shard(dir.path / "more" / "00010.tar", 10, 50, false)};
  PackOptions o = options;
  o.context = 512;
  expect_refused(o, "--context: 1024 before, 512 now", more);
  // A folder from an oqvl that recorded no options (no pack-options.json, stats without them).
  fs::remove(out / "pack-options.json");
  auto stats = nlohmann::json::parse(read_file(out / "00000.stats.json"));
  stats.erase("options");
  write_file_atomic(out / "00000.stats.json", stats.dump());
  expect_refused(options, "did not record its options");
}

TEST(PackOutputs, RecordThatIsNotJsonIsAnError) {
  TempDir dir;
  write_file_atomic(dir.path / "pack-options.json", "{ oops");
  EXPECT_THROW(claim_pack_folder(dir.path, pack_fingerprint(PackOptions{}), true), Error);
  // An absent record is created once; the same fingerprint then passes.
  TempDir fresh;
  claim_pack_folder(fresh.path, pack_fingerprint(PackOptions{}), true);
  claim_pack_folder(fresh.path, pack_fingerprint(PackOptions{}), true);
  EXPECT_EQ(nlohmann::json::parse(read_file(fresh.path / "pack-options.json")),
            pack_fingerprint(PackOptions{}));
}

}  // namespace
}  // namespace oqvl::data
