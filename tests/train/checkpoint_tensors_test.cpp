// CheckpointTensors: element ranges of sharded checkpoints (chunks across files, in any order),
// plain files, and clear errors for an index whose chunks do not cover a tensor.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "oqvl/core/error.h"
#include "oqvl/model/io/safetensors.h"
#include "oqvl/train/checkpoint.h"
#include "test_util.h"

namespace oqvl::train {
namespace {

namespace fs = std::filesystem;

void write_index(const fs::path& dir, const std::string& chunks_of_w) {
  std::ofstream(dir / "shards.json")
      << R"({"format": "oqvl-sharded-checkpoint", "version": 1, "strategy": "zero2",
    "optimizer_step": 4, "tensors": {"optimizer": {"w.exp_avg": {"shape": [2, 3], "dtype": "F32", "chunks": [)"
      << chunks_of_w << "]}}}}";
}

TEST(CheckpointTensors, ReadsRangesAcrossShardFiles) {
  test::TempDir t;
  auto w = torch::arange(6, torch::kFloat32);
  model::save_safetensors(t.path / "optimizer-00000-of-00002.safetensors",
                          {{"w.exp_avg", w.narrow(0, 0, 4).clone()}});
  model::save_safetensors(t.path / "optimizer-00001-of-00002.safetensors",
                          {{"w.exp_avg", w.narrow(0, 4, 2).clone()}});
  model::save_safetensors(t.path / "model.safetensors", {{"w", w.view({2, 3}) * 10}});
  write_index(
      t.path,
      R"({"file": "optimizer-00001-of-00002.safetensors", "key": "w.exp_avg", "start": 4, "length": 2},
                         {"file": "optimizer-00000-of-00002.safetensors", "key": "w.exp_avg", "start": 0, "length": 4})");
  CheckpointTensors ckpt(t.path);
  EXPECT_TRUE(ckpt.sharded());
  EXPECT_EQ(ckpt.optimizer_steps(), 4);
  EXPECT_TRUE(torch::equal(ckpt.range("optimizer", "w.exp_avg", 3, 3), w.narrow(0, 3, 3)));
  EXPECT_TRUE(torch::equal(ckpt.full("optimizer", "w.exp_avg"), w.view({2, 3})));
  EXPECT_TRUE(torch::equal(ckpt.full("model", "w"), w.view({2, 3}) * 10));  // the plain model file
  EXPECT_EQ(ckpt.shape("model", "w"), (std::vector<std::int64_t>{2, 3}));
  EXPECT_THROW(ckpt.range("optimizer", "w.exp_avg", 5, 2), Error);  // past the end
  EXPECT_THROW(ckpt.full("optimizer", "v.exp_avg"), Error);
}

TEST(CheckpointTensors, RefusesAnIndexWithAGap) {
  test::TempDir t;
  model::save_safetensors(t.path / "model.safetensors", {{"w", torch::zeros({2, 3})}});
  write_index(
      t.path,
      R"({"file": "optimizer-00000-of-00002.safetensors", "key": "w.exp_avg", "start": 0, "length": 4})");
  try {
    CheckpointTensors ckpt(t.path);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("chunks cover 4 of 6 elements"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace oqvl::train
