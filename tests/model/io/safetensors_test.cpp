#include "oqvl/model/io/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "test_util.h"

namespace {
namespace fs = std::filesystem;
using oqvl::model::StateDict;

const fs::path kDir = fs::path(OQVL_FIXTURES_DIR) / "model" / "safetensors";

// The values tools/make_safetensors_fixtures.py stores: arange * scale - 3, cast.
torch::Tensor expected(std::vector<std::int64_t> shape, torch::ScalarType type, double scale) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return (torch::arange(n, torch::kFloat64) * scale - 3).reshape(shape).to(type);
}

void expect_fixture_values(const StateDict& d, bool all) {
  EXPECT_TRUE(torch::equal(d.at("f32"), expected({3, 4}, torch::kFloat32, 0.25)));
  EXPECT_TRUE(torch::equal(d.at("f16"), expected({5}, torch::kFloat16, 0.5)));
  EXPECT_TRUE(torch::equal(d.at("bf16"), expected({2, 3, 2}, torch::kBFloat16, 0.125)));
  EXPECT_TRUE(torch::equal(d.at("i64"), expected({4}, torch::kInt64, 7)));
  if (all) {
    EXPECT_EQ(d.at("scalar").dim(), 0);
    EXPECT_EQ(d.at("scalar").item<float>(), -3.0f);
    EXPECT_EQ(d.at("empty").sizes(), (std::vector<std::int64_t>{0, 3}));
  }
}

fs::path temp_path(const std::string& name) {
  return fs::temp_directory_path() / fmt::format("oqvl_st_{}_{}", ::getpid(), name);
}

TEST(Safetensors, ReadsTheReferenceLibrarysFile) {
  oqvl::model::SafetensorsFile f(kDir / "single.safetensors");
  EXPECT_EQ(f.entries().size(), 6u);
  EXPECT_EQ(f.metadata().at("format"), "pt");
  EXPECT_EQ(f.entry("bf16").dtype, "BF16");
  expect_fixture_values(f.load_all(), true);
}

TEST(Safetensors, FollowsAShardedIndexAndFolders) {
  expect_fixture_values(oqvl::model::load_safetensors(kDir / "model.safetensors.index.json"), false);
  auto d = oqvl::model::load_safetensors(kDir);  // folder: the index wins over single files
  EXPECT_EQ(d.size(), 4u);
}

TEST(Safetensors, WritesWhatTheReferenceLibraryReads) {
  StateDict d;
  d["a.weight"] = torch::arange(6, torch::kFloat32).reshape({2, 3}) / 4;
  d["b.bias"] = torch::tensor({1.5, -2.0}).to(torch::kBFloat16);
  d["c.half"] = torch::empty({0}, torch::kFloat16);
  fs::path p = temp_path("w.safetensors");
  oqvl::model::save_safetensors(p, d, {{"made_by", "oqvl"}});
  auto back = oqvl::model::load_safetensors(p);
  ASSERT_EQ(back.size(), 3u);
  for (const auto& [k, v] : d) EXPECT_TRUE(torch::equal(back.at(k), v)) << k;
  // The header is padded to 8 bytes, as the reference writer does.
  std::string bytes = oqvl::read_file(p);
  std::uint64_t len = 0;
  for (int i = 7; i >= 0; --i) len = (len << 8) | static_cast<unsigned char>(bytes[i]);
  EXPECT_EQ(len % 8, 0u);
  std::string cmd = fmt::format("{} {}/tests/model/io/safetensors_check.py {}", oqvl::test::python(),
                                OQVL_SOURCE_DIR, p.string());
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  fs::remove(p);
}

TEST(Safetensors, BadFilesAreClearErrors) {
  std::string good = oqvl::read_file(kDir / "single.safetensors");
  struct Case {
    std::string name, bytes, needle;
  };
  std::string huge_len = good;
  huge_len[5] = 0x7f;  // header length far beyond the file
  std::string bad_json = good;
  bad_json[9] = '#';
  std::vector<Case> cases = {
      {"short", "abc", "shorter than 8 bytes"},
      {"huge_len", huge_len, "header length"},
      {"bad_json", bad_json, "not valid JSON"},
      {"truncated", good.substr(0, good.size() - 10), "truncated"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    fs::path p = temp_path(c.name);
    oqvl::write_file_atomic(p, c.bytes);
    try {
      oqvl::model::SafetensorsFile f(p);
      FAIL() << "no error";
    } catch (const oqvl::Error& e) {
      EXPECT_NE(std::string(e.what()).find(c.needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
    }
    fs::remove(p);
  }
  EXPECT_THROW(oqvl::model::load_safetensors("/nonexistent/model.safetensors"), oqvl::Error);
  oqvl::model::SafetensorsFile f(kDir / "single.safetensors");
  try {
    f.tensor("missing.weight");
    FAIL() << "no error";
  } catch (const oqvl::Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.weight"), std::string::npos);
  }
}

TEST(Safetensors, DtypeNames) {
  EXPECT_EQ(oqvl::model::safetensors_dtype(torch::kBFloat16), "BF16");
  EXPECT_EQ(oqvl::model::torch_dtype("F16"), torch::kFloat16);
  EXPECT_THROW(oqvl::model::torch_dtype("F8_E4M3"), oqvl::Error);
}

}  // namespace
