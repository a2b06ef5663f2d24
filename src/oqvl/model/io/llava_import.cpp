#include "oqvl/model/io/llava_import.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "oqvl/core/error.h"
#include "oqvl/core/json.h"
#include "oqvl/core/strings.h"
#include "oqvl/core/files.h"
#include "oqvl/core/log.h"
#include "oqvl/model/io/hf_weights.h"
#include "oqvl/model/io/state_dict.h"

namespace oqvl::model {

namespace fs = std::filesystem;

namespace {

// The model settings from LLaVA's config.json; only what oqvl computes is accepted.
void apply_llava_config(const nlohmann::json& j, const fs::path& file, const LlavaImportOptions& o,
                        VlmConfig& c, std::vector<std::string>& warnings) {
  // LLaVA's build_vision_projector defaults to "linear" when the key is absent.
  const auto projector = value_or<std::string>(j, "mm_projector_type", "linear", file.string());
  if (projector != "mlp2x_gelu")
    fail("'{}': mm_projector_type '{}' is not supported (only 'mlp2x_gelu': Linear, GELU, Linear)",
         file.string(), projector);
  const auto feature = value_or<std::string>(j, "mm_vision_select_feature", "patch", file.string());
  if (feature != "patch")
    fail("'{}': mm_vision_select_feature '{}' is not supported (only 'patch'; SigLIP has no CLS token)",
         file.string(), feature);
  const auto aspect = value_or<std::string>(j, "image_aspect_ratio", "square", file.string());
  if (aspect.starts_with("anyres"))
    fail("'{}': image_aspect_ratio '{}' (multi-crop) is not supported", file.string(), aspect);
  if (aspect == "pad")
    warnings.push_back(
        fmt::format("'{}': image_aspect_ratio is 'pad', but oqvl resizes images without padding "
                    "them to a square (as MLM-Filter's scoring script, which calls the image "
                    "processor directly)",
                    file.string()));
  const auto merge = value_or<std::string>(j, "mm_patch_merge_type", "flat", file.string());
  if (merge != "flat")
    fail("'{}': mm_patch_merge_type '{}' is not supported (only 'flat')", file.string(), merge);
  if (value_or<bool>(j, "mm_use_im_start_end", false, file.string()))
    warnings.push_back("mm_use_im_start_end is true: prompts must carry <im_start>/<im_end> around the image "
                       "themselves (oqvl splices the image tokens only)");

  const auto tower = value_or<std::string>(j, "mm_vision_tower", "", file.string());
  if (!tower.empty() && ascii_lower(tower).find("siglip") == std::string::npos)
    fail("'{}': mm_vision_tower '{}' is not a SigLIP tower (oqvl runs SigLIP only)", file.string(), tower);
  if (o.vision_config) {
    c.vision = SiglipVisionConfig::from_hf_json_file(*o.vision_config);
  } else {
    if (!tower.empty() && tower.find("so400m-patch14-384") == std::string::npos)
      warnings.push_back(fmt::format("mm_vision_tower is '{}', but no --vision-config was given: assuming "
                                     "SigLIP so400m-patch14-384",
                                     tower));
    c.vision = SiglipVisionConfig::so400m();
    c.vision.gelu = GeluKind::kTanh;  // HF SiglipVisionModel: gelu_pytorch_tanh
  }
  c.vision.feature_layer = value_or<std::int64_t>(j, "mm_vision_select_layer", -2, file.string());
  if (!j.contains("mm_vision_select_layer"))
    warnings.push_back("config.json has no mm_vision_select_layer: using -2");
  const auto mm_hidden = value_or<std::int64_t>(j, "mm_hidden_size", c.vision.hidden_size, file.string());
  if (mm_hidden != c.vision.hidden_size)
    fail("'{}': mm_hidden_size {} differs from the vision tower's hidden_size {} (wrong --vision-config?)",
         file.string(), mm_hidden, c.vision.hidden_size);

  try {
    c.llm = Qwen2Config::from_json(j);  // the top-level Qwen2 keys; mm_* keys are not read
  } catch (const Error& e) {
    fail("'{}': {}", file.string(), e.what());
  }
  c.image_tokens = c.vision.num_patches();  // no pooling: the pooling projector is the identity
  c.arch_specifier = "llava-" + projector;
}

}  // namespace

LlavaImport load_llava(const LlavaImportOptions& o) {
  LlavaImport result;
  auto& warnings = result.warnings;
  VlmConfig& c = result.checkpoint.config;
  StateDict& out = result.checkpoint.tensors;
  if (!fs::is_directory(o.folder)) fail("LLaVA checkpoint '{}' is not a folder", o.folder.string());

  const fs::path config_file = o.folder / "config.json";
  apply_llava_config(read_json_file(config_file, "LLaVA config"), config_file, o, c, warnings);
  if (o.bos_id) c.bos_id = *o.bos_id;
  if (o.pad_id) c.pad_id = *o.pad_id;
  if (o.eos_id) c.eos_id = *o.eos_id;
  c.validate();

  const std::string dir = o.folder.string();
  log::info("reading {}", dir);
  StateDict weights = load_hf_folder_weights(o.folder);
  StateDict vision_saved;
  std::vector<std::string> other;
  const std::string proj = "model.mm_projector.", tower = "model.vision_tower.";
  for (const auto& [name, t] : weights) {
    if (name.starts_with(proj)) {
      out[std::string(kProjectorPrefix) + "mlp_projector." + name.substr(proj.size())] = t;
    } else if (name.starts_with(tower)) {
      vision_saved[name.substr(tower.size())] = t;
    } else if (name.starts_with("model.") || name == "lm_head.weight") {
      out[kLanguageModelPrefix + name] = t;
    } else {
      other.push_back(name);
    }
  }
  for (const char* n : {"0.weight", "0.bias", "2.weight", "2.bias"})
    if (!out.count(std::string(kProjectorPrefix) + "mlp_projector." + n))
      fail("'{}' has no projector tensor '{}{}' (not an mlp2x_gelu LLaVA checkpoint?)", dir, proj, n);
  if (!out.count(std::string(kLanguageModelPrefix) + "model.embed_tokens.weight"))
    fail("'{}' has no LLM tensor 'model.embed_tokens.weight'", dir);
  if (!other.empty())
    warnings.push_back(fmt::format("ignoring {} tensors outside model.* and lm_head (first: '{}')",
                                   other.size(), other.front()));

  // Qwen2.5-1.5B ties the head to the embedding; the folder stores it once.
  drop_tied_lm_head(out, c, dir, warnings);

  StateDict vision;
  if (o.vision) {
    if (!vision_saved.empty())
      warnings.push_back("the checkpoint holds vision tower weights, but --vision was given: using --vision");
    log::info("reading vision weights {}", o.vision->string());
    vision = load_siglip_vision(*o.vision, o.vision_format, c.vision);
  } else if (!vision_saved.empty()) {
    vision = siglip_vision_from_state(vision_saved, dir + " (model.vision_tower)", o.vision_format, c.vision);
  } else {
    fail("'{}' holds no vision tower weights (model.vision_tower.*): pass the SigLIP weights with --vision",
         dir);
  }
  for (auto& [name, t] : vision) out[kVisionPrefix + name] = t;

  try {
    const auto report = check_vlm_tensors(c, out);
    if (!report.unexpected.empty())
      fail("unexpected tensor '{}' for the model config", report.unexpected.front());
  } catch (const Error& e) {
    fail("importing '{}': {}", dir, e.what());
  }
  return result;
}

void import_llava(const LlavaImportOptions& options, const fs::path& out, const VlmWriteOptions& write) {
  AtomicDir::check_target(out, write.overwrite);
  auto imported = load_llava(options);
  for (const auto& w : imported.warnings) log::warn("{}", w);
  log::info("writing {}", out.string());
  write_vlm_folder(out, imported.checkpoint.config, imported.checkpoint.tensors, write);
}

}  // namespace oqvl::model
