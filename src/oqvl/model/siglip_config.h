// The SigLIP vision tower's configuration (siglip.h builds the tower from it), torch-free so that
// a model folder's config.json can be read and fuzzed without libtorch (tests/fuzz/).
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "oqvl/model/config_limits.h"

namespace oqvl::model {

// Beyond it image_size is refused (a real SigLIP's is 384-512); other sizes: kMaxModelConfigSize.
inline constexpr std::int64_t kMaxSiglipImageSize = std::int64_t{1} << 16;

enum class GeluKind {
  kErf,   // exact GELU: timm's nn.GELU, what Open-Qwen2VL was trained with
  kTanh,  // tanh approximation: HF's "gelu_pytorch_tanh" (the HF SigLIP config default)
};

struct SiglipVisionConfig {
  std::int64_t image_size = 384;
  std::int64_t patch_size = 14;
  std::int64_t num_channels = 3;
  std::int64_t hidden_size = 1152;
  std::int64_t intermediate_size = 4304;
  std::int64_t num_layers = 27;
  std::int64_t num_heads = 16;
  double layer_norm_eps = 1e-6;
  GeluKind gelu = GeluKind::kErf;
  // Which hidden state is the feature, indexed like HF's output_hidden_states (0 = embeddings,
  // k = output of block k-1; negative counts from the end, -1 = last block). -2 = the
  // second-to-last block = timm get_intermediate_layers(n={depth-2}), Open-Qwen2VL's choice.
  std::int64_t feature_layer = -2;

  std::int64_t grid() const { return image_size / patch_size; }  // patches per side (floor)
  std::int64_t num_patches() const { return grid() * grid(); }   // tokens per image
  std::int64_t head_dim() const { return hidden_size / num_heads; }
  std::int64_t blocks_to_run() const;  // 0..num_layers
  void validate() const;               // oqvl::Error if bad

  // timm vit_so400m_patch14_siglip_384 with Open-Qwen2VL's settings (erf GELU, feature -2).
  static SiglipVisionConfig so400m();
  // An HF config.json: a SiglipVisionConfig, or a SiglipConfig whose "vision_config" is used.
  // Missing keys take HF's SiglipVisionConfig defaults (hidden_act default gelu_pytorch_tanh);
  // hidden_act "gelu" -> kErf, "gelu_pytorch_tanh" -> kTanh. feature_layer stays -2.
  static SiglipVisionConfig from_hf_json(const nlohmann::json& json);
  static SiglipVisionConfig from_hf_json_file(const std::filesystem::path& path);
};

}  // namespace oqvl::model
