// The LLaVA importer against the tiny checkpoint of tools/make_llava_fixture.py: every tensor equals
// its LLaVA-named source, and the imported folder, run by oqvl's model, reproduces the fixture's
// LLaVA-style reference forward (HF SiglipVisionModel hidden_states[select_layer] -> Linear-GELU-
// Linear -> spliced at the -200 placeholder -> Qwen2ForCausalLM).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <unistd.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/model/io/llava_import.h"
#include "oqvl/model/vlm.h"
#include "oqvl/model/io/vlm_folder.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace oqvl::model;

namespace {

const fs::path kDir = fs::path(OQVL_FIXTURES_DIR) / "model" / "llava";

LlavaImportOptions options(const std::string& variant) {
  LlavaImportOptions o;
  o.folder = kDir / variant;
  if (variant == "no_vision") o.vision = kDir / "siglip";
  o.vision_config = kDir / "siglip" / "config.json";
  o.bos_id = 2;
  o.pad_id = 0;
  o.eos_id = 1;
  return o;
}

fs::path temp_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("oqvl_llava_test_" + name + "_" + std::to_string(::getpid()));
  oqvl::remove_tree(dir);
  fs::create_directories(dir);
  return dir;
}

using oqvl::test::error_of;

// The LLaVA name each folder tensor must come from (written out here, independent of the importer).
std::string source_name(const std::string& name, bool vision_inside) {
  if (name.starts_with("language_model.")) return name.substr(std::string("language_model.").size());
  if (name.starts_with("projector.mlp_projector."))
    return "model.mm_projector." + name.substr(std::string("projector.mlp_projector.").size());
  const std::string v = "vision_tower.vision_model.";
  EXPECT_TRUE(name.starts_with(v)) << name;
  return (vision_inside ? "model.vision_tower.vision_tower.vision_model." : "vision_model.") +
         name.substr(v.size());
}

void check_import(const std::string& variant) {
  const bool inside = variant == "with_vision";
  const auto imported = load_llava(options(variant));
  const auto& c = imported.checkpoint.config;
  EXPECT_EQ(c.vision.gelu, GeluKind::kTanh);
  EXPECT_EQ(c.vision.feature_layer, -2);
  EXPECT_EQ(c.image_tokens, c.vision.num_patches());
  EXPECT_EQ(c.arch_specifier, "llava-mlp2x_gelu");
  EXPECT_EQ(c.llm.vocab_size, 128);
  const StateDict src = load_safetensors(kDir / variant / "model.safetensors");
  const StateDict vis = load_safetensors(kDir / "siglip" / "model.safetensors");
  const auto& t = imported.checkpoint.tensors;
  EXPECT_EQ(t.count("language_model.lm_head.weight"), 0u);  // tied: dropped
  // Vision: embeddings + the 2 blocks up to layer -2 of 3 (post_layernorm/head/last block dropped).
  std::size_t vision = 0;
  for (const auto& [name, tensor] : t) {
    const auto from = source_name(name, inside);
    const auto& pool = (!inside && name.starts_with("vision_tower.")) ? vis : src;
    auto it = pool.find(from);
    ASSERT_NE(it, pool.end()) << name << " <- " << from;
    EXPECT_TRUE(torch::equal(tensor, it->second)) << name;
    vision += name.starts_with("vision_tower.");
  }
  EXPECT_EQ(vision, 3u + 2u * 16u);  // patch w/b, position; per block 16 tensors
  // Everything else in the LLaVA file was used (the LLM, the projector, and lm_head compared).
  std::size_t used = 0;
  for (const auto& [name, tensor] : src) used += !name.starts_with("model.vision_tower.");
  EXPECT_EQ(t.size() - vision + (src.count("lm_head.weight") ? 1 : 0), used);
  EXPECT_TRUE(imported.warnings.size() >= 1);  // image_aspect_ratio "pad"
}

// A copy of no_vision/ with its config edited and/or a tensor removed.
fs::path edited_copy(const std::string& name, const std::function<void(nlohmann::json&)>& edit,
                     const std::string& drop = "") {
  const fs::path dir = temp_dir(name);
  auto config = nlohmann::json::parse(oqvl::read_file(kDir / "no_vision" / "config.json"));
  edit(config);
  oqvl::write_file_atomic(dir / "config.json", config.dump(2));
  StateDict sd = load_safetensors(kDir / "no_vision" / "model.safetensors");
  if (!drop.empty()) sd.erase(drop);
  save_safetensors(dir / "model.safetensors", sd, {{"format", "pt"}});
  return dir;
}

}  // namespace

TEST(LlavaImport, VisionInsideEveryTensorFromItsSource) { check_import("with_vision"); }

TEST(LlavaImport, VisionFromSeparateSiglipFolder) { check_import("no_vision"); }

TEST(LlavaImport, ImportedFolderMatchesLlavaReferenceForward) {
  const auto expected = nlohmann::json::parse(oqvl::read_file(kDir / "expected.json"));
  const auto ids = expected["input_ids"].get<std::vector<std::int64_t>>();
  const auto want = torch::tensor(expected["last_logits"].get<std::vector<float>>());
  for (const std::string variant : {"with_vision", "no_vision"}) {
    oqvl::test::TempDir tmp("oqvl_llava_test_fwd_" + variant);
    const fs::path out = tmp / "model";
    VlmWriteOptions w;
    w.safetensors.dtype = torch::kFloat32;
    import_llava(options(variant), out, w);
    auto model = load_vlm(out);
    model->eval();
    torch::NoGradGuard no_grad;
    VlmBatch batch;
    batch.input_ids = torch::tensor(ids).unsqueeze(0);
    const std::int64_t s = model->config().vision.image_size;
    batch.pixels = torch::cos(torch::arange(3 * s * s, torch::kFloat32) * 0.29).reshape({1, 3, s, s});
    const auto output = model->forward(batch);
    const std::int64_t n = expected["image_tokens"].get<std::int64_t>();
    ASSERT_EQ(output.logits.size(1), static_cast<std::int64_t>(ids.size()) - 1 + n);
    const auto got = output.logits[0][-1].to(torch::kFloat32);
    const double rel = (got - want).abs().max().item<double>() / want.abs().max().item<double>();
    EXPECT_LE(rel, 1e-5) << variant;
  }
}

TEST(LlavaImport, RejectsOtherProjectorTypes) {
  for (const std::string type : {"mlp3x_gelu", "linear"}) {
    const auto dir = edited_copy("proj_" + type, [&](nlohmann::json& j) { j["mm_projector_type"] = type; });
    auto o = options("no_vision");
    o.folder = dir;
    const auto err = error_of([&] { load_llava(o); });
    EXPECT_NE(err.find("mm_projector_type '" + type + "'"), std::string::npos) << err;
    oqvl::remove_tree(dir);
  }
  // LLaVA's default when the key is absent is "linear".
  const auto dir = edited_copy("proj_absent", [](nlohmann::json& j) { j.erase("mm_projector_type"); });
  auto o = options("no_vision");
  o.folder = dir;
  EXPECT_NE(error_of([&] { load_llava(o); }).find("'linear'"), std::string::npos);
  oqvl::remove_tree(dir);
}

TEST(LlavaImport, RejectsClsPatchFeature) {
  const auto dir = edited_copy("cls", [](nlohmann::json& j) { j["mm_vision_select_feature"] = "cls_patch"; });
  auto o = options("no_vision");
  o.folder = dir;
  EXPECT_NE(error_of([&] { load_llava(o); }).find("mm_vision_select_feature 'cls_patch'"), std::string::npos);
  oqvl::remove_tree(dir);
}

TEST(LlavaImport, MissingProjectorTensorIsNamed) {
  const auto dir = edited_copy(
      "noproj", [](nlohmann::json&) {}, "model.mm_projector.2.bias");
  auto o = options("no_vision");
  o.folder = dir;
  const auto err = error_of([&] { load_llava(o); });
  EXPECT_NE(err.find("model.mm_projector.2.bias"), std::string::npos) << err;
  oqvl::remove_tree(dir);
}

TEST(LlavaImport, NoVisionWeightsAndNoVisionOption) {
  auto o = options("no_vision");
  o.vision.reset();
  const auto err = error_of([&] { load_llava(o); });
  EXPECT_NE(err.find("--vision"), std::string::npos) << err;
}

TEST(LlavaImport, SelectLayerFromConfig) {
  const auto dir = edited_copy("layer", [](nlohmann::json& j) { j["mm_vision_select_layer"] = -1; });
  auto o = options("no_vision");
  o.folder = dir;
  const auto imported = load_llava(o);
  EXPECT_EQ(imported.checkpoint.config.vision.feature_layer, -1);
  EXPECT_EQ(imported.checkpoint.config.vision.blocks_to_run(), 3);
  oqvl::remove_tree(dir);
}

TEST(LlavaImport, DefaultVisionConfigIsSo400m) {
  // Without --vision-config the tower is so400m (width 1152): the tiny folder's mm_hidden_size
  // contradicts it, which must be reported rather than accepted.
  auto o = options("with_vision");
  o.vision_config.reset();
  const auto err = error_of([&] { load_llava(o); });
  EXPECT_NE(err.find("mm_hidden_size 8"), std::string::npos) << err;
}
