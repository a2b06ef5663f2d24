// oqvl model folder I/O, the torch.save reader and the Prismatic importer, against the tiny
// checkpoint of tools/make_prismatic_fixture.py (reference.safetensors holds every tensor as the
// folder must store it, written by Python from the same HF modules).
#include <gtest/gtest.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/torch.h>

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/model/io/hf_export.h"
#include "oqvl/model/io/prismatic_import.h"
#include "oqvl/model/projector.h"
#include "oqvl/model/qwen2.h"
#include "oqvl/model/siglip.h"
#include "oqvl/model/io/torch_save.h"
#include "oqvl/model/io/vlm_folder.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace oqvl::model;

namespace {

const fs::path kDir = fs::path(OQVL_FIXTURES_DIR) / "model" / "prismatic";

PrismaticImportOptions fixture_options(const std::string& checkpoint = "checkpoint.pt",
                                       bool with_vision = true) {
  PrismaticImportOptions o;
  o.checkpoint = kDir / checkpoint;
  o.run_config = kDir / "run_config.json";
  if (with_vision) o.vision = kDir / "vision_timm.safetensors";
  o.llm_config = kDir / "llm_config.json";
  o.vision_config = kDir / "vision_config.json";
  o.bos_id = 1;
  o.pad_id = 0;
  o.eos_id = 2;
  return o;
}

using oqvl::test::TempDir;

// Reference tensors the folder must hold: blocks past the feature layer and post_layernorm left out.
StateDict reference_for_folder(const VlmConfig& config) {
  StateDict ref = load_safetensors(kDir / "reference.safetensors");
  StateDict out;
  for (const auto& spec : expected_vlm_tensors(config))
    if (ref.count(spec.name)) out[spec.name] = ref[spec.name];
  return out;
}

void expect_same_tensors(const StateDict& expected, const StateDict& actual) {
  ASSERT_EQ(expected.size(), actual.size());
  for (const auto& [name, t] : expected) {
    auto it = actual.find(name);
    ASSERT_NE(it, actual.end()) << name;
    ASSERT_EQ(t.sizes(), it->second.sizes()) << name;
    EXPECT_TRUE(torch::equal(t, it->second.to(t.scalar_type()))) << name;
  }
}

using oqvl::test::error_of;
// Siblings of `dir` whose name starts with dir's name + ".tmp-" (left-over temporary output).
int temp_leftovers(const fs::path& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir.parent_path()))
    if (e.path().filename().string().rfind(dir.filename().string() + ".tmp-", 0) == 0) ++n;
  return n;
}

}  // namespace

TEST(TorchSave, ReadsNestedOrderedDictsAsDottedNames) {
  auto pt = load_torch_save(kDir / "checkpoint.pt");
  EXPECT_TRUE(pt.skipped.empty());
  ASSERT_TRUE(pt.tensors.count("model.projector.mlp_projector.0.weight"));
  ASSERT_TRUE(pt.tensors.count("model.llm_backbone.llm.lm_head.weight"));
  ASSERT_TRUE(pt.tensors.count("model.llm_backbone.llm.model.embed_tokens.weight"));
  EXPECT_EQ(pt.tensors.size(), 4u + 27u);
  StateDict ref = load_safetensors(kDir / "reference.safetensors");
  EXPECT_TRUE(torch::equal(pt.tensors["model.projector.mlp_projector.2.bias"],
                           ref["projector.mlp_projector.2.bias"]));
  EXPECT_TRUE(torch::equal(pt.tensors["model.llm_backbone.llm.lm_head.weight"],
                           ref["language_model.model.embed_tokens.weight"]));
  EXPECT_EQ(pt.tensors["model.llm_backbone.llm.model.norm.weight"].scalar_type(), torch::kFloat32);
}

TEST(TorchSave, ReadsWhatLibtorchPickleSaveWrites) {
  c10::Dict<std::string, torch::Tensor> d;
  d.insert("a", torch::arange(6, torch::kFloat32).reshape({2, 3}));
  d.insert("b", torch::tensor({1, 2, 3}, torch::kInt64));
  auto bytes = torch::pickle_save(c10::IValue(d));
  TempDir tmp("oqvl_vlm_folder_test_pickle_save");
  const fs::path& dir = tmp.path;
  oqvl::write_file_atomic(dir / "d.pt", std::string_view(bytes.data(), bytes.size()));
  auto pt = load_torch_save(dir / "d.pt");
  ASSERT_EQ(pt.tensors.size(), 2u);
  EXPECT_TRUE(torch::equal(pt.tensors["a"], d.at("a")));
  EXPECT_TRUE(torch::equal(pt.tensors["b"], d.at("b")));
}

TEST(TorchSave, ErrorsNameTheProblem) {
  TempDir tmp("oqvl_vlm_folder_test_torch_save_errors");
  const fs::path& dir = tmp.path;
  const std::string full = oqvl::read_file(kDir / "checkpoint.pt");
  oqvl::write_file_atomic(dir / "truncated.pt", std::string_view(full).substr(0, full.size() / 2));
  auto e = error_of([&] { load_torch_save(dir / "truncated.pt"); });
  EXPECT_NE(e.find("truncated.pt"), std::string::npos) << e;
  EXPECT_NE(e.find("truncated or corrupt"), std::string::npos) << e;

  auto list = torch::pickle_save(c10::IValue(c10::List<int64_t>({1, 2, 3})));
  oqvl::write_file_atomic(dir / "list.pt", std::string_view(list.data(), list.size()));
  e = error_of([&] { load_torch_save(dir / "list.pt"); });
  EXPECT_NE(e.find("does not hold a dict"), std::string::npos) << e;

  oqvl::write_file_atomic(dir / "legacy.pt", std::string("\x80\x02\x8a\x0a", 4) + "rest");
  e = error_of([&] { load_torch_save(dir / "legacy.pt"); });
  EXPECT_NE(e.find("legacy"), std::string::npos) << e;

  e = error_of([&] { load_torch_save(dir / "absent.pt"); });
  EXPECT_NE(e.find("absent.pt"), std::string::npos) << e;
}

TEST(VlmFolder, ExpectedTensorsMatchTheModules) {
  VlmConfig config;
  config.llm = Qwen2Config::from_json_file((kDir / "llm_config.json").string());
  config.vision = SiglipVisionConfig::from_hf_json_file(kDir / "vision_config.json");
  std::map<std::string, std::vector<int64_t>> modules;
  SiglipVisionTower vision(config.vision);
  for (auto& p : vision->named_parameters()) modules[kVisionPrefix + p.key()] = p.value().sizes().vec();
  PoolingProjector projector(config.vision.hidden_size, config.llm.hidden_size);
  for (auto& p : projector->named_parameters()) modules[kProjectorPrefix + p.key()] = p.value().sizes().vec();
  Qwen2ForCausalLM llm(config.llm);
  for (auto& p : llm->named_parameters()) modules[kLanguageModelPrefix + p.key()] = p.value().sizes().vec();
  std::map<std::string, std::vector<int64_t>> spec;
  for (const auto& s : expected_vlm_tensors(config))
    if (!s.optional) spec[s.name] = s.shape;
  EXPECT_EQ(spec, modules);
}

TEST(PrismaticImport, EveryTensorEqualsTheSource) {
  auto imported = load_prismatic(fixture_options());
  const auto& c = imported.checkpoint.config;
  EXPECT_TRUE(imported.warnings.empty()) << imported.warnings.front();
  EXPECT_EQ(c.image_tokens, 144);
  EXPECT_EQ(c.arch_specifier, "no-align+avgpool");
  EXPECT_EQ(c.vision.blocks_to_run(), 2);
  EXPECT_EQ(c.llm.hidden_size, 16);
  const auto ref = reference_for_folder(c);
  ASSERT_FALSE(ref.count("language_model.lm_head.weight"));
  expect_same_tensors(ref, imported.checkpoint.tensors);

  // The .pt's own vision_backbone (timm names under featurizer.) gives the same tensors.
  auto with_vision = load_prismatic(fixture_options("checkpoint_with_vision.pt", /*with_vision=*/false));
  expect_same_tensors(ref, with_vision.checkpoint.tensors);
}

TEST(PrismaticImport, FolderRoundTripAndShards) {
  TempDir tmp("oqvl_vlm_folder_test_roundtrip");
  const fs::path& dir = tmp.path;
  VlmWriteOptions w;
  w.safetensors.max_shard_bytes = 20'000;  // several shards for this tiny model
  import_prismatic(fixture_options(), dir / "f32", w);
  EXPECT_TRUE(fs::exists(dir / "f32" / "model.safetensors.index.json"));
  EXPECT_TRUE(fs::exists(dir / "f32" / "model-00001-of-00003.safetensors") ||
              fs::exists(dir / "f32" / "model-00001-of-00004.safetensors") ||
              fs::exists(dir / "f32" / "model-00001-of-00005.safetensors"));
  auto back = read_vlm_folder(dir / "f32");
  const auto ref = reference_for_folder(back.config);
  expect_same_tensors(ref, back.tensors);
  EXPECT_EQ(back.config.to_json(), load_prismatic(fixture_options()).checkpoint.config.to_json());
  auto report = check_vlm_tensors(back.config, back.tensors);
  EXPECT_TRUE(report.unexpected.empty());
  EXPECT_TRUE(report.ignored.empty());

  VlmWriteOptions bf16;
  bf16.safetensors.dtype = torch::kBFloat16;
  import_prismatic(fixture_options(), dir / "bf16", bf16);
  EXPECT_TRUE(fs::exists(dir / "bf16" / "model.safetensors"));
  auto half = read_vlm_folder(dir / "bf16");
  for (const auto& [name, t] : ref) {
    ASSERT_EQ(half.tensors.at(name).scalar_type(), torch::kBFloat16) << name;
    EXPECT_TRUE(torch::equal(half.tensors.at(name), t.to(torch::kBFloat16))) << name;
  }

  // An existing non-empty folder is refused unless overwrite; overwrite replaces it.
  auto e = error_of([&] { import_prismatic(fixture_options(), dir / "f32"); });
  EXPECT_NE(e.find("not empty"), std::string::npos) << e;
  VlmWriteOptions again;
  again.overwrite = true;
  import_prismatic(fixture_options(), dir / "f32", again);
  EXPECT_TRUE(fs::exists(dir / "f32" / "model.safetensors"));
  EXPECT_FALSE(fs::exists(dir / "f32" / "model.safetensors.index.json"));
  EXPECT_EQ(temp_leftovers(dir / "f32"), 0);
}

TEST(VlmFolder, ErrorsNameTheTensorAndLeaveNoOutput) {
  auto imported = load_prismatic(fixture_options());
  const auto& config = imported.checkpoint.config;
  TempDir tmp("oqvl_vlm_folder_test_errors");
  const fs::path& dir = tmp.path;

  StateDict missing = imported.checkpoint.tensors;
  missing.erase("projector.mlp_projector.2.weight");
  auto e = error_of([&] { write_vlm_folder(dir / "out", config, missing); });
  EXPECT_NE(e.find("missing tensor 'projector.mlp_projector.2.weight'"), std::string::npos) << e;
  EXPECT_FALSE(fs::exists(dir / "out"));

  StateDict wrong = imported.checkpoint.tensors;
  wrong["language_model.model.layers.1.mlp.up_proj.weight"] = torch::zeros({31, 16});
  e = error_of([&] { write_vlm_folder(dir / "out", config, wrong); });
  EXPECT_NE(
      e.find("'language_model.model.layers.1.mlp.up_proj.weight' has shape [31, 16], expected [32, 16]"),
      std::string::npos)
      << e;

  StateDict extra = imported.checkpoint.tensors;
  extra["language_model.model.layers.9.mlp.up_proj.weight"] = torch::zeros({1});
  e = error_of([&] { write_vlm_folder(dir / "out", config, extra); });
  EXPECT_NE(e.find("unexpected tensor 'language_model.model.layers.9.mlp.up_proj.weight'"), std::string::npos)
      << e;

  // A failure while writing (a tokenizer path that is a folder) leaves neither output nor temp.
  VlmWriteOptions w;
  w.tokenizer_json = dir;
  e = error_of([&] { write_vlm_folder(dir / "out", config, imported.checkpoint.tensors, w); });
  EXPECT_NE(e, "(no error)");
  EXPECT_FALSE(fs::exists(dir / "out"));
  EXPECT_EQ(temp_leftovers(dir / "out"), 0);

  // The importer names what is missing.
  e = error_of([&] { load_prismatic(fixture_options("checkpoint.pt", /*with_vision=*/false)); });
  EXPECT_NE(e.find("--vision"), std::string::npos) << e;
  auto bad_llm = fixture_options();
  bad_llm.llm_config = std::nullopt;  // Qwen2.5-1.5B shapes for tiny weights
  bad_llm.bos_id = bad_llm.pad_id = bad_llm.eos_id = std::nullopt;
  e = error_of([&] { load_prismatic(bad_llm); });
  EXPECT_NE(e.find("tensor 'projector.mlp_projector.0.weight' has shape [16, 8], expected [1536, 8]"),
            std::string::npos)
      << e;

  // read_vlm_folder on things that are not folders.
  e = error_of([&] { read_vlm_folder(dir / "absent"); });
  EXPECT_NE(e.find("does not exist"), std::string::npos) << e;
  e = error_of([&] { read_vlm_folder(kDir / "run_config.json"); });
  EXPECT_NE(e.find("is not a folder"), std::string::npos) << e;
  e = error_of([&] { read_vlm_folder(kDir); });
  EXPECT_NE(e.find("config.json"), std::string::npos) << e;
}

TEST(HfExport, WritesLlmAndTruncatedVisionFolders) {
  TempDir tmp("oqvl_vlm_folder_test_export");
  const fs::path& dir = tmp.path;
  import_prismatic(fixture_options(), dir / "model");
  export_hf(dir / "model", dir / "llm", HfPart::kLlm);
  export_hf(dir / "model", dir / "vision", HfPart::kVision);
  auto llm_cfg = nlohmann::json::parse(oqvl::read_file(dir / "llm" / "config.json"));
  EXPECT_EQ(llm_cfg["torch_dtype"], "float32");
  EXPECT_EQ(llm_cfg["num_hidden_layers"], 2);
  auto llm = load_safetensors(dir / "llm");
  EXPECT_FALSE(llm.count("lm_head.weight"));
  const auto ref = load_safetensors(kDir / "reference.safetensors");
  for (const auto& [name, t] : ref)
    if (name.rfind("language_model.", 0) == 0) {
      EXPECT_TRUE(torch::equal(llm.at(name.substr(15)), t)) << name;
    }
  auto vcfg = nlohmann::json::parse(oqvl::read_file(dir / "vision" / "config.json"));
  EXPECT_EQ(vcfg["num_hidden_layers"], 2);
  EXPECT_EQ(vcfg["hidden_act"], "gelu");
  auto vision = load_safetensors(dir / "vision");
  EXPECT_TRUE(vision.count("vision_model.encoder.layers.1.mlp.fc2.bias"));
  EXPECT_FALSE(vision.count("vision_model.encoder.layers.2.mlp.fc2.bias"));
  auto e = error_of([&] { export_hf(dir / "model", dir / "llm", HfPart::kLlm); });
  EXPECT_NE(e.find("not empty"), std::string::npos) << e;
}

TEST(PrismaticImport, VisionFromHfNamesOrATorchSaveFile) {
  const auto ref = reference_for_folder(load_prismatic(fixture_options()).checkpoint.config);
  // reference.safetensors holds the tower in HF names under "vision_tower.vision_model." (auto-detected).
  auto o = fixture_options();
  o.vision = kDir / "reference.safetensors";
  expect_same_tensors(ref, load_prismatic(o).checkpoint.tensors);
  o.vision_format = VisionFormat::kTimm;
  auto e = error_of([&] { load_prismatic(o); });
  EXPECT_NE(e.find("no timm SigLIP vision tower"), std::string::npos) << e;
  // timm names inside another torch.save file (model.vision_backbone.featurizer.*).
  o.vision = kDir / "checkpoint_with_vision.pt";
  o.vision_format = VisionFormat::kAuto;
  expect_same_tensors(ref, load_prismatic(o).checkpoint.tensors);
}

TEST(PrismaticImport, WarnsWhenTheStoredHeadDiffersAndRejectsUnknownLlmTensors) {
  // Rebuild the fixture's nested dict with libtorch's pickle_save, changing one thing at a time.
  auto pt = load_torch_save(kDir / "checkpoint.pt").tensors;
  auto save = [&](const StateDict& flat, const fs::path& path) {
    c10::Dict<std::string, torch::Tensor> projector, llm_backbone;
    c10::impl::GenericDict model(c10::StringType::get(), c10::AnyType::get());
    c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
    for (const auto& [name, t] : flat) {
      const std::string p = "model.projector.", l = "model.llm_backbone.";
      if (name.rfind(p, 0) == 0) projector.insert(name.substr(p.size()), t.clone());
      if (name.rfind(l, 0) == 0) llm_backbone.insert(name.substr(l.size()), t.clone());
    }
    model.insert("projector", projector);
    model.insert("llm_backbone", llm_backbone);
    root.insert("model", model);
    auto bytes = torch::pickle_save(c10::IValue(root));
    oqvl::write_file_atomic(path, std::string_view(bytes.data(), bytes.size()));
  };
  TempDir tmp("oqvl_vlm_folder_test_head");
  const fs::path& dir = tmp.path;
  save(pt, dir / "same.pt");
  auto o = fixture_options();
  o.checkpoint = dir / "same.pt";
  auto same = load_prismatic(o);
  EXPECT_TRUE(same.warnings.empty());
  expect_same_tensors(reference_for_folder(same.checkpoint.config), same.checkpoint.tensors);

  StateDict changed = pt;
  changed["model.llm_backbone.llm.lm_head.weight"] = pt["model.llm_backbone.llm.lm_head.weight"] + 1;
  save(changed, dir / "head.pt");
  o.checkpoint = dir / "head.pt";
  auto warned = load_prismatic(o);
  ASSERT_EQ(warned.warnings.size(), 1u);
  EXPECT_NE(warned.warnings[0].find("lm_head.weight differs"), std::string::npos) << warned.warnings[0];
  EXPECT_FALSE(warned.checkpoint.tensors.count("language_model.lm_head.weight"));

  StateDict extra = pt;
  extra["model.llm_backbone.llm.model.layers.5.mlp.up_proj.weight"] = torch::zeros({2});
  save(extra, dir / "extra.pt");
  o.checkpoint = dir / "extra.pt";
  auto e = error_of([&] { load_prismatic(o); });
  EXPECT_NE(e.find("unexpected tensor 'language_model.model.layers.5.mlp.up_proj.weight'"), std::string::npos)
      << e;
  EXPECT_NE(e.find("unexpected tensor 'language_model.model.layers.5.mlp.up_proj.weight'"), std::string::npos)
      << e;
}
