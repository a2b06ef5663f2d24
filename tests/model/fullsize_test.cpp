// Full-size SigLIP-so400m and Qwen2.5-1.5B forward passes vs Hugging Face on the same random
// weights. Skipped unless OQVL_FULLSIZE_DIR names a folder written by tools/check_fullsize.py
// (which also runs this test; ctest runs it through tests/cli/fullsize.sh).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "oqvl/core/files.h"
#include "oqvl/model/qwen2.h"
#include "oqvl/model/runtime.h"
#include "oqvl/model/io/safetensors.h"
#include "oqvl/model/siglip.h"
#include "oqvl/model/vlm.h"
#include "torch_test_util.h"

namespace oqvl::model {
namespace {

namespace fs = std::filesystem;

fs::path fullsize_dir() {
  const char* dir = std::getenv("OQVL_FULLSIZE_DIR");
  return dir ? fs::path(dir) : fs::path();
}

using oqvl::test::relative_error;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

TEST(FullSize, SiglipSo400mMatchesHF) {
  const auto dir = fullsize_dir();
  if (dir.empty()) GTEST_SKIP() << "set OQVL_FULLSIZE_DIR (tools/check_fullsize.py)";
  set_torch_threads(0);
  auto expected = load_safetensors(dir / "expected.safetensors");
  auto config = SiglipVisionConfig::from_hf_json_file(dir / "siglip" / "config.json");
  ASSERT_EQ(config.gelu, GeluKind::kErf);
  ASSERT_EQ(config.num_patches(), 729);
  SiglipVisionTower tower(config);
  tower->load_state(load_safetensors(dir / "siglip" / "model.safetensors"));
  tower->eval();
  VlmConfig vc;
  vc.vision = config;
  const auto bytes = read_file((dir / "image.jpg").string());
  auto pixels = preprocess_for_vlm(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), vc);
  torch::NoGradGuard no_grad;
  const auto t = std::chrono::steady_clock::now();
  auto features = tower->forward(pixels.unsqueeze(0))[0];  // [729, 1152]
  const double s = seconds_since(t);
  const double e = relative_error(features, expected.at("siglip_features"));
  std::cout << "so400m: features " << features.sizes() << ", rel err " << e << ", forward " << s << " s\n";
  EXPECT_LE(e, 1e-4);
}

TEST(FullSize, Qwen25_1_5BMatchesHF) {
  const auto dir = fullsize_dir();
  if (dir.empty()) GTEST_SKIP() << "set OQVL_FULLSIZE_DIR (tools/check_fullsize.py)";
  set_torch_threads(0);
  auto expected = load_safetensors(dir / "expected.safetensors");
  auto model = load_qwen2_pretrained(dir / "qwen2");
  model->eval();
  int64_t params = 0;
  for (const auto& p : model->parameters()) params += p.numel();
  EXPECT_EQ(params, 1543714304);  // docs/recipe.md §5.3
  auto ids = expected.at("qwen2_input_ids").to(torch::kInt64).unsqueeze(0);
  torch::NoGradGuard no_grad;
  const auto t = std::chrono::steady_clock::now();
  auto logits = model->forward(ids, AttentionSpec::causal(torch::full({1}, ids.size(1), torch::kInt64)))[0];
  const double s = seconds_since(t);
  const double e = relative_error(logits, expected.at("qwen2_logits"));
  std::cout << "qwen2.5-1.5b: " << params << " params, logits " << logits.sizes() << ", rel err " << e
            << ", forward " << s << " s\n";
  EXPECT_LE(e, 1e-4);
  EXPECT_TRUE(torch::equal(logits.argmax(-1), expected.at("qwen2_logits").argmax(-1)));
}

}  // namespace
}  // namespace oqvl::model
