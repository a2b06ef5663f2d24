#include "oqvl/model/siglip.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "oqvl/core/error.h"
#include "oqvl/model/runtime.h"
#include "oqvl/model/io/state_dict.h"
#include "torch_test_util.h"

namespace oqvl::model {
namespace {

const std::string kDir = std::string(OQVL_FIXTURES_DIR) + "/model/";

struct Golden {
  torch::Tensor pixels, expected;
  StateDict weights;  // the "w." entries, prefix removed
};

Golden load_golden(const std::string& name) {
  set_torch_threads(2);
  StateDict all = load_torch_pickle(kDir + name);
  Golden g;
  g.pixels = all.at("pixels");
  g.expected = all.at("expected");
  for (const auto& [k, v] : all) {
    if (k.rfind("w.", 0) == 0) g.weights.emplace(k.substr(2), v);
  }
  return g;
}

using oqvl::test::relative_error;

torch::Tensor run_tower(const std::string& config_file, const Golden& g) {
  auto config = SiglipVisionConfig::from_hf_json_file(kDir + config_file);
  SiglipVisionTower tower(config);
  tower->load_state(g.weights);
  tower->eval();
  torch::NoGradGuard no_grad;
  return tower->forward(g.pixels);
}

TEST(Siglip, ConfigSo400mDefaults) {
  auto c = SiglipVisionConfig::so400m();
  EXPECT_EQ(c.grid(), 27);
  EXPECT_EQ(c.num_patches(), 729);
  EXPECT_EQ(c.head_dim(), 72);
  EXPECT_EQ(c.blocks_to_run(), 26);  // blocks 0..25: the second-to-last block's output
  EXPECT_NO_THROW(c.validate());
  EXPECT_EQ(c.gelu, GeluKind::kErf);
}

TEST(Siglip, ConfigFromHfJson) {
  auto c = SiglipVisionConfig::from_hf_json_file(kDir + "siglip_tanh.config.json");
  EXPECT_EQ(c.image_size, 28);
  EXPECT_EQ(c.patch_size, 7);
  EXPECT_EQ(c.hidden_size, 32);
  EXPECT_EQ(c.intermediate_size, 37);
  EXPECT_EQ(c.num_layers, 3);
  EXPECT_EQ(c.num_heads, 4);
  EXPECT_EQ(c.gelu, GeluKind::kTanh);
  EXPECT_EQ(c.blocks_to_run(), 2);
  // A SiglipConfig nests the tower's config; missing keys take HF's defaults.
  auto nested = SiglipVisionConfig::from_hf_json(nlohmann::json::parse(
      R"({"model_type": "siglip", "vision_config": {"hidden_size": 1152, "image_size": 384,
          "intermediate_size": 4304, "num_attention_heads": 16, "num_hidden_layers": 27,
          "patch_size": 14}})"));
  EXPECT_EQ(nested.num_patches(), 729);
  EXPECT_EQ(nested.gelu, GeluKind::kTanh);
  EXPECT_DOUBLE_EQ(nested.layer_norm_eps, 1e-6);
  EXPECT_THROW(SiglipVisionConfig::from_hf_json(nlohmann::json::parse(R"({"hidden_act": "relu"})")),
               Error);
  EXPECT_THROW(SiglipVisionConfig::from_hf_json(
                   nlohmann::json::parse(R"({"image_size": 14, "patch_size": 15})")),
               Error);
}

TEST(Siglip, MatchesHfTanhGelu) {
  Golden g = load_golden("siglip_tanh.pt");
  auto out = run_tower("siglip_tanh.config.json", g);
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 16, 32}));
  EXPECT_LE(relative_error(out, g.expected), 1e-5);
}

TEST(Siglip, MatchesHfErfGelu) {
  Golden g = load_golden("siglip_erf.pt");
  auto out = run_tower("siglip_erf.config.json", g);
  EXPECT_LE(relative_error(out, g.expected), 1e-5);
}

TEST(Siglip, GeluKindMatters) {
  // The erf golden run with tanh GELU must differ: the test above really checks the activation.
  Golden g = load_golden("siglip_erf.pt");
  auto config = SiglipVisionConfig::from_hf_json_file(kDir + "siglip_erf.config.json");
  config.gelu = GeluKind::kTanh;
  SiglipVisionTower tower(config);
  tower->load_state(g.weights);
  torch::NoGradGuard no_grad;
  EXPECT_GT((tower->forward(g.pixels) - g.expected).abs().max().item<double>(), 1e-6);
}

TEST(Siglip, TimmNamedWeightsGiveSameOutput) {
  Golden g = load_golden("siglip_erf_timm.pt");
  ASSERT_TRUE(g.weights.count("featurizer.blocks.0.attn.qkv.weight"));
  auto out = run_tower("siglip_erf.config.json", g);
  EXPECT_LE(relative_error(out, g.expected), 1e-5);
}

TEST(Siglip, LoadsUnprefixedHfNames) {
  Golden g = load_golden("siglip_tanh.pt");
  StateDict bare;
  for (const auto& [k, v] : g.weights)
    bare.emplace(k.substr(std::string("vision_model.").size()), v);
  auto out = run_tower("siglip_tanh.config.json", Golden{g.pixels, g.expected, bare});
  EXPECT_LE(relative_error(out, g.expected), 1e-5);
}

TEST(Siglip, FeatureLayerSelectsBlock) {
  // feature_layer -1 runs every block: a different (later) hidden state.
  Golden g = load_golden("siglip_tanh.pt");
  auto config = SiglipVisionConfig::from_hf_json_file(kDir + "siglip_tanh.config.json");
  config.feature_layer = -1;
  SiglipVisionTower tower(config);
  EXPECT_EQ(config.blocks_to_run(), 3);
  tower->load_state(g.weights);
  torch::NoGradGuard no_grad;
  EXPECT_GT((tower->forward(g.pixels) - g.expected).abs().max().item<double>(), 1e-3);
  config.feature_layer = 5;
  EXPECT_THROW(SiglipVisionTower{config}, Error);
}

TEST(Siglip, ParameterNamesAreHfNames) {
  auto config = SiglipVisionConfig::from_hf_json_file(kDir + "siglip_tanh.config.json");
  SiglipVisionTower tower(config);
  auto params = tower->named_parameters();
  EXPECT_TRUE(params.contains("embeddings.patch_embedding.weight"));
  EXPECT_TRUE(params.contains("embeddings.position_embedding.weight"));
  EXPECT_TRUE(params.contains("encoder.layers.1.self_attn.q_proj.bias"));
  EXPECT_TRUE(params.contains("encoder.layers.1.mlp.fc2.weight"));
  EXPECT_FALSE(params.contains("encoder.layers.2.layer_norm1.weight"));  // block 2 is never run
  // 2 blocks x 16 tensors + patch weight/bias + position embedding.
  EXPECT_EQ(params.size(), 2u * 16u + 3u);
}

TEST(Siglip, LoadErrorsNameTheTensor) {
  Golden g = load_golden("siglip_tanh.pt");
  auto config = SiglipVisionConfig::from_hf_json_file(kDir + "siglip_tanh.config.json");
  SiglipVisionTower tower(config);

  StateDict missing = g.weights;
  missing.erase("vision_model.encoder.layers.1.mlp.fc1.bias");
  try {
    tower->load_state(missing);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("vision_model.encoder.layers.1.mlp.fc1.bias"),
              std::string::npos)
        << e.what();
  }

  StateDict wrong = g.weights;
  wrong["vision_model.encoder.layers.0.self_attn.k_proj.weight"] = torch::zeros({32, 31});
  try {
    tower->load_state(wrong);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("vision_model.encoder.layers.0.self_attn.k_proj.weight"), std::string::npos);
    EXPECT_NE(msg.find("[32, 31]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[32, 32]"), std::string::npos) << msg;
  }

  EXPECT_THROW(tower->load_state(StateDict{}), Error);
  EXPECT_THROW(tower->forward(torch::zeros({1, 3, 27, 28})), Error);
}

// Loading is as strict as Qwen2's: an unknown tensor under the tower's prefix is named; what the
// tower knowingly does not run (post_layernorm, head, position_ids, blocks past the feature layer)
// is skipped; tensors outside its prefix (a text tower) are not its business.
TEST(Siglip, LoadNamesUnknownTensors) {
  Golden g = load_golden("siglip_tanh.pt");
  auto config = SiglipVisionConfig::from_hf_json_file(kDir + "siglip_tanh.config.json");
  SiglipVisionTower tower(config);

  StateDict unknown = g.weights;
  unknown["vision_model.encoder.layers.0.mlp.fc3.weight"] = torch::zeros({1});
  try {
    tower->load_state(unknown);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unexpected tensor 'vision_model.encoder.layers.0.mlp.fc3.weight'"),
              std::string::npos)
        << e.what();
  }

  StateDict known = g.weights;
  known["vision_model.post_layernorm.weight"] = torch::zeros({config.hidden_size});
  known["vision_model.head.probe"] = torch::zeros({1, 1, config.hidden_size});
  known["vision_model.embeddings.position_ids"] = torch::zeros({1, 4});
  known["text_model.final_layer_norm.weight"] = torch::zeros({4});
  if (config.blocks_to_run() < config.num_layers)
    known[fmt::format("vision_model.encoder.layers.{}.mlp.fc1.bias", config.blocks_to_run())] = torch::zeros(
        {1});
  EXPECT_NO_THROW(tower->load_state(known));

  StateDict deeper = g.weights;  // a block the config does not have: the config is wrong
  deeper[fmt::format("vision_model.encoder.layers.{}.mlp.fc1.bias", config.num_layers)] = torch::zeros({1});
  EXPECT_THROW(tower->load_state(deeper), Error);
}

TEST(Siglip, ImageSizeNotAMultipleOfPatchDropsTheRemainder) {
  // so400m is 384 px with patch 14: 27 patches per side, the last 6 pixels unused. Same here with
  // 30 px and patch 7: the output equals the 28 px tower's on the top-left 28x28 crop.
  Golden g = load_golden("siglip_tanh.pt");
  auto config = SiglipVisionConfig::from_hf_json_file(kDir + "siglip_tanh.config.json");
  config.image_size = 30;
  SiglipVisionTower tower(config);
  EXPECT_EQ(config.num_patches(), 16);
  tower->load_state(g.weights);
  auto big = torch::rand({2, 3, 30, 30}) * 2 - 1;
  big.narrow(2, 0, 28).narrow(3, 0, 28).copy_(g.pixels);
  torch::NoGradGuard no_grad;
  EXPECT_LE(relative_error(tower->forward(big), g.expected), 1e-5);
}

TEST(Siglip, RunsInBfloat16) {
  // Open-Qwen2VL runs the frozen tower in bf16: same module, weights cast after loading.
  Golden g = load_golden("siglip_erf.pt");
  auto config = SiglipVisionConfig::from_hf_json_file(kDir + "siglip_erf.config.json");
  SiglipVisionTower tower(config);
  tower->load_state(g.weights);
  tower->to(torch::kBFloat16);
  torch::NoGradGuard no_grad;
  auto out = tower->forward(g.pixels);  // fp32 pixels are cast to the weights' dtype
  EXPECT_EQ(out.scalar_type(), torch::kBFloat16);
  EXPECT_LE(relative_error(out.to(torch::kFloat32), g.expected), 5e-2);
}

TEST(Siglip, CudaMatchesGolden) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  Golden g = load_golden("siglip_erf.pt");
  auto config = SiglipVisionConfig::from_hf_json_file(kDir + "siglip_erf.config.json");
  SiglipVisionTower tower(config);
  tower->load_state(g.weights);
  tower->to(torch::kCUDA);
  torch::NoGradGuard no_grad;
  auto out = tower->forward(g.pixels.to(torch::kCUDA)).cpu();
  EXPECT_LE(relative_error(out, g.expected), 1e-4);  // different kernels (and possibly TF32)
}

}  // namespace
}  // namespace oqvl::model
