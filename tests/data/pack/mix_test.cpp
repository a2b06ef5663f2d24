// Mixtures: source spec parsing, determinism, epochs and weights respected, bad specs.
#include "oqvl/data/pack/mix.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "test_util.h"

namespace oqvl::data {
namespace {
namespace fs = std::filesystem;

// Shards named ".../N-<count>.tar" hold <count> sequences (no file reading in these tests).
std::uint64_t count_from_name(const std::string& shard) {
  std::string stem = fs::path(shard).stem().string();
  return std::stoull(stem.substr(stem.find('-') + 1));
}

struct MixTest : ::testing::Test {
  oqvl::test::TempDir tmp{"oqvl_mix_test"};
  fs::path dir = tmp.path;
  void SetUp() override {
    // Source a: 10 shards of 100 sequences; source b: 20 shards of 50.
    for (int i = 0; i < 10; ++i) write_file_atomic(dir / "a" / fmt::format("{:02d}-100.tar", i), "");
    for (int i = 0; i < 20; ++i) write_file_atomic(dir / "b" / fmt::format("{:02d}-50.tar", i), "");
  }
  std::string src(const std::string& name, const std::string& opts) {
    return name + "=" + (dir / name / "*.tar").string() + opts;
  }
  Mixture mix(const std::vector<std::string>& specs, std::uint64_t seed, std::uint64_t sequences = 0) {
    std::vector<MixSourceSpec> parsed;
    for (const auto& s : specs) parsed.push_back(parse_mix_source(s));
    return make_mixture(parsed, {.seed = seed, .sequences = sequences}, count_from_name);
  }
};

std::map<std::string, std::uint64_t> per_source(const Mixture& m) {
  std::map<std::string, std::uint64_t> n;
  for (const auto& e : m.entries) n[e.source] += e.sequences;
  return n;
}

TEST(MixSpec, Parses) {
  MixSourceSpec s = parse_mix_source("ccs=out/ccs/*.tar:epochs=2.5");
  EXPECT_EQ(s.name, "ccs");
  EXPECT_EQ(s.shards, "out/ccs/*.tar");
  EXPECT_DOUBLE_EQ(*s.epochs, 2.5);
  EXPECT_FALSE(s.weight);
  s = parse_mix_source("dc=d/{000..009}.tar:weight=2");
  EXPECT_DOUBLE_EQ(*s.weight, 2.0);
  EXPECT_FALSE(s.epochs);
  s = parse_mix_source("x=plain.tar");
  EXPECT_DOUBLE_EQ(*s.epochs, 1.0);  // default: one epoch
  s = parse_mix_source("x=c:/odd:path.tar:weight=1");
  EXPECT_EQ(s.shards, "c:/odd:path.tar");
}

TEST(MixSpec, BadSpecsAreClearErrors) {
  for (const char* bad :
       {"noequals", "=x.tar", "a b=x.tar", "a=x.tar:epochs=0", "a=x.tar:epochs=-1", "a=x.tar:weight=abc",
        "a=x.tar:epochs=1:weight=2", "a=x.tar:epoch=1", "a=:weight=1", "a=x.tar:weight=1:weight=2"}) {
    EXPECT_THROW(parse_mix_source(bad), Error) << bad;
  }
  try {
    parse_mix_source("a=x.tar:epoch=1");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown option 'epoch'"), std::string::npos) << e.what();
  }
}

TEST_F(MixTest, EpochsRespected) {
  Mixture m = mix({src("a", ":epochs=2"), src("b", ":epochs=0.5")}, 7);
  auto n = per_source(m);
  EXPECT_EQ(n["a"], 2000u);
  EXPECT_EQ(n["b"], 500u);
  // Whole passes visit every shard once per pass.
  std::map<std::pair<std::string, std::uint64_t>, int> visits;
  for (const auto& e : m.entries) {
    if (e.source == "a") visits[{e.shard, e.pass}] += 1;
  }
  EXPECT_EQ(visits.size(), 20u);
  for (const auto& [k, v] : visits) EXPECT_EQ(v, 1);
  EXPECT_EQ(m.sequences, 2500u);
}

TEST_F(MixTest, WeightsRespected) {
  Mixture m = mix({src("a", ":weight=1"), src("b", ":weight=3")}, 7, 4000);
  auto n = per_source(m);
  EXPECT_EQ(n["a"], 1000u);
  EXPECT_EQ(n["b"], 3000u);
  // Epochs and weights together: b fills what a leaves of the budget (the paper's two sources).
  Mixture both = mix({src("a", ":epochs=1"), src("b", ":weight=2")}, 7, 3000);
  auto n2 = per_source(both);
  EXPECT_EQ(n2["a"], 1000u);
  EXPECT_EQ(n2["b"], 2000u);
  // Whole shards: the target can be passed by less than one shard.
  Mixture odd = mix({src("a", ":weight=1")}, 7, 250);
  EXPECT_EQ(per_source(odd)["a"], 300u);
  EXPECT_EQ(odd.sources[0].target, 250u);
}

TEST_F(MixTest, DeterministicAndSeeded) {
  std::vector<std::string> specs = {src("a", ":epochs=1"), src("b", ":weight=1")};
  EXPECT_EQ(mix(specs, 7).to_json(), mix(specs, 7).to_json());
  EXPECT_NE(mix(specs, 7).to_json()["entries"], mix(specs, 8).to_json()["entries"]);
  // A source's shard selection does not depend on the order of --source flags.
  auto shards_of = [](const Mixture& m, const std::string& s) {
    std::multiset<std::string> set;
    for (const auto& e : m.entries)
      if (e.source == s) set.insert(e.shard);
    return set;
  };
  Mixture x = mix({src("a", ":epochs=0.5"), src("b", ":epochs=0.3")}, 3);
  Mixture y = mix({src("b", ":epochs=0.3"), src("a", ":epochs=0.5")}, 3);
  EXPECT_EQ(shards_of(x, "a"), shards_of(y, "a"));
  // Both sources are spread over the order, not one after the other.
  int switches = 0;
  for (std::size_t i = 1; i < x.entries.size(); ++i)
    switches += x.entries[i].source != x.entries[i - 1].source;
  EXPECT_GT(switches, 3);
}

TEST_F(MixTest, BadMixturesAreClearErrors) {
  EXPECT_THROW(mix({}, 1), Error);
  EXPECT_THROW(mix({src("a", ""), src("a", "")}, 1), Error);                          // duplicate name
  EXPECT_THROW(mix({src("a", ":epochs=5"), src("b", ":weight=1")}, 1, 2000), Error);  // no budget
  EXPECT_THROW(mix({"c=" + (dir / "missing" / "*.tar").string()}, 1), Error);
}

TEST_F(MixTest, ManifestRoundTrips) {
  Mixture m = mix({src("a", ":epochs=1.5"), src("b", ":weight=2")}, 11, 3000);
  Mixture back = Mixture::from_json(m.to_json());
  EXPECT_EQ(back.to_json(), m.to_json());
  EXPECT_EQ(back.seed, 11u);
  EXPECT_EQ(back.sequences, m.sequences);
  ASSERT_EQ(back.sources.size(), 2u);
  EXPECT_DOUBLE_EQ(*back.sources[0].spec.epochs, 1.5);
  EXPECT_FALSE(back.sources[0].spec.weight);
  EXPECT_DOUBLE_EQ(*back.sources[1].spec.weight, 2.0);
  ASSERT_EQ(back.entries.size(), m.entries.size());
  for (std::size_t i = 0; i < m.entries.size(); ++i) {
    EXPECT_EQ(back.entries[i].shard, m.entries[i].shard);
    EXPECT_EQ(back.entries[i].source, m.entries[i].source);
    EXPECT_EQ(back.entries[i].sequences, m.entries[i].sequences);
    EXPECT_EQ(back.entries[i].pass, m.entries[i].pass);
  }
  // Through a file, as `oqvl data mix` writes it.
  write_file_atomic(dir / "m.json", m.to_json().dump(2) + "\n");
  EXPECT_EQ(Mixture::load(dir / "m.json").to_json(), m.to_json());
}

// The error of from_json on `j`, or "" if it did not throw.
std::string manifest_error(const nlohmann::json& j) {
  try {
    Mixture::from_json(j);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST_F(MixTest, BadManifestsAreClearErrors) {
  const nlohmann::json good = mix({src("a", ":epochs=1"), src("b", ":weight=1")}, 5, 2000).to_json();
  ASSERT_EQ(manifest_error(good), "");
  struct Case {
    std::function<void(nlohmann::json&)> edit;
    std::string says;
  };
  std::vector<Case> cases = {
      {[](nlohmann::json& j) { j = nlohmann::json::array(); }, "expected a JSON object"},
      {[](nlohmann::json& j) { j["format"] = "oqvl-other"; }, "format is 'oqvl-other'"},
      {[](nlohmann::json& j) { j["version"] = 2; }, "version 2 is not one this oqvl reads (1)"},
      {[](nlohmann::json& j) { j["version"] = "1"; }, "version \"1\""},
      {[](nlohmann::json& j) { j.erase("version"); }, "missing key 'version'"},
      {[](nlohmann::json& j) { j.erase("seed"); }, "missing key 'seed'"},
      {[](nlohmann::json& j) { j["seed"] = -1; }, "seed: expected a non-negative integer, got -1"},
      {[](nlohmann::json& j) { j["sequences"] = 1.5; }, "sequences: expected a non-negative integer"},
      {[](nlohmann::json& j) { j["sources"] = nlohmann::json::object(); }, "sources: expected an array"},
      {[](nlohmann::json& j) { j["sources"] = nlohmann::json::array(); }, "no source"},
      {[](nlohmann::json& j) { j["sources"][1].erase("name"); }, "sources[1]: missing key 'name'"},
      {[](nlohmann::json& j) { j["sources"][1]["name"] = 3; }, "sources[1].name: expected a string"},
      {[](nlohmann::json& j) { j["sources"][1]["name"] = "a"; }, "second source named 'a'"},
      {[](nlohmann::json& j) { j["sources"][0]["available_sequences"] = -5; },
       "sources[0].available_sequences: expected a non-negative integer, got -5"},
      {[](nlohmann::json& j) { j["sources"][0]["weight"] = 1; }, "sources[0]: needs exactly one of"},
      {[](nlohmann::json& j) { j["sources"][1].erase("weight"); }, "sources[1]: needs exactly one of"},
      {[](nlohmann::json& j) { j["sources"][1]["weight"] = -2; },
       "sources[1].weight: expected a positive number"},
      {[](nlohmann::json& j) { j["sources"][0]["epochs"] = "1"; },
       "sources[0].epochs: expected a positive number"},
      {[](nlohmann::json& j) { j["entries"][3]["sequences"] = -1; },
       "entries[3].sequences: expected a non-negative integer"},
      {[](nlohmann::json& j) { j["entries"][0]["source"] = "c"; }, "entries[0].source: 'c' is not one of"},
      {[](nlohmann::json& j) { j["entries"][2].erase("pass"); }, "entries[2]: missing key 'pass'"},
      {[](nlohmann::json& j) { j["entries"][2]["shard"] = nullptr; }, "entries[2].shard: expected a string"},
      {[](nlohmann::json& j) { j["entries"][0] = 7; }, "entries[0]: expected an object"},
      {[](nlohmann::json& j) { j["entries"].erase(0); }, "its entries hold"},
      {[](nlohmann::json& j) { j["sequences"] = j["sequences"].get<std::uint64_t>() + 1; }, "sequences: "},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    nlohmann::json j = good;
    cases[i].edit(j);
    std::string error = manifest_error(j);
    EXPECT_NE(error.find(cases[i].says), std::string::npos) << "case " << i << ": " << error;
  }
  // Files: the path is named, and a file that is not JSON is an Error too.
  write_file_atomic(dir / "bad.json", "{ not json");
  try {
    Mixture::load(dir / "bad.json");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json: not JSON"), std::string::npos) << e.what();
  }
  nlohmann::json v2 = good;
  v2["version"] = 2;
  write_file_atomic(dir / "v2.json", v2.dump());
  try {
    Mixture::load(dir / "v2.json");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("v2.json: mixture manifest version 2"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(Mixture::load(dir / "missing.json"), Error);
}

TEST(MixCount, ReadsPackStatsOrCountsSamples) {
  oqvl::test::TempDir tmp("oqvl_mix_count");
  const fs::path& dir = tmp.path;
  write_file_atomic(dir / "00000.tar", std::string(1024, '\0'));
  write_file_atomic(dir / "00000.stats.json", R"({"sequences": 42})");
  EXPECT_EQ(packed_shard_sequences((dir / "00000.tar").string()), 42u);
  write_file_atomic(dir / "00001.tar", std::string(1024, '\0'));
  EXPECT_EQ(packed_shard_sequences((dir / "00001.tar").string()), 0u);
  write_file_atomic(dir / "00002.tar", std::string(1024, '\0'));
  write_file_atomic(dir / "00002.stats.json", R"({"nope": 1})");
  EXPECT_THROW(packed_shard_sequences((dir / "00002.tar").string()), Error);
}

}  // namespace
}  // namespace oqvl::data
