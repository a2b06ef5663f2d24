// The configuration of an Open-Qwen2VL-style vision-language model and its on-disk folder layout.
//
// An oqvl model folder (what `oqvl convert` writes and `oqvl generate/eval/train` read):
//   config.json             {"model_type": "oqvl-vlm", "format_version": 1,
//                            "vision_config": HF SiglipVisionConfig keys (hidden_act selects erf/tanh),
//                            "vision_feature_layer": -2,
//                            "text_config": HF Qwen2Config keys,
//                            "projector": {"type": "avgpool-mlp", "arch_specifier": ..., "image_tokens": 144},
//                            "image_processor": {"size": 384, "resample": "bicubic",
//                                                "image_mean": [..3], "image_std": [..3]},
//                            "special_tokens": {"bos": 128245, "pad": 151643, "eos": 151645,
//                                               "image_placeholder": -200}}
//   model.safetensors       (or model.safetensors.index.json + shards) with the tensors named
//                             vision_tower.vision_model.<HF SigLIP vision names>   (siglip.h)
//                             projector.mlp_projector.{0,2}.{weight,bias}          (projector.h)
//                             language_model.<HF Qwen2ForCausalLM names>           (qwen2.h)
//   tokenizer.json          the Qwen2 tokenizer (optional; the embedded assets are the default)
// Prefixes follow Hugging Face's LLaVA convention so the folder reads naturally with HF tools.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "oqvl/data/text/special_tokens.h"
#include "oqvl/model/qwen2_config.h"
#include "oqvl/model/siglip_config.h"

namespace oqvl::model {

inline constexpr const char* kVisionPrefix = "vision_tower.vision_model.";
inline constexpr const char* kProjectorPrefix = "projector.";
inline constexpr const char* kLanguageModelPrefix = "language_model.";

struct VlmConfig {
  SiglipVisionConfig vision = SiglipVisionConfig::so400m();
  Qwen2Config llm;  // Qwen2.5-1.5B defaults
  // Visual tokens per image after pooling: 144 in pre-training, 729 in SFT (a run-time choice;
  // this is the default the folder was saved with).
  std::int64_t image_tokens = 144;
  std::string arch_specifier = "no-align+avgpool";
  // SigLIP preprocessing (docs/recipe.md §5.1): resize-naive bicubic to image_size, normalize.
  std::array<float, 3> image_mean{0.5f, 0.5f, 0.5f};
  std::array<float, 3> image_std{0.5f, 0.5f, 0.5f};
  std::int64_t bos_id = data::kBosId;    // <s>
  std::int64_t pad_id = data::kPadId;    // <|endoftext|>
  std::int64_t eos_id = data::kImEndId;  // <|im_end|>
  std::int64_t image_placeholder = data::kImagePlaceholderId;

  // Open-Qwen2VL as the paper trains it: so400m (erf GELU, feature layer -2), Qwen2.5-1.5B,
  // 144 tokens.
  static VlmConfig open_qwen2vl();

  nlohmann::json to_json() const;
  // oqvl::Error on a missing section, a wrong model_type or inconsistent sizes.
  static VlmConfig from_json(const nlohmann::json& json);
  static VlmConfig from_file(const std::filesystem::path& config_json);
  // Projector input/output widths must equal the towers'; image_tokens a square <= patches.
  void validate() const;
};

// HF-style config.json trees of the two towers (the inverse of from_hf_json / from_json).
nlohmann::json siglip_vision_to_hf_json(const SiglipVisionConfig& config);
nlohmann::json qwen2_to_hf_json(const Qwen2Config& config);

}  // namespace oqvl::model
