#include "oqvl/model/siglip_config.h"

#include <algorithm>

#include "oqvl/core/error.h"
#include "oqvl/core/json.h"

namespace oqvl::model {

std::int64_t SiglipVisionConfig::blocks_to_run() const {
  return feature_layer >= 0 ? feature_layer : num_layers + 1 + feature_layer;
}

void SiglipVisionConfig::validate() const {
  // 384 / 14 is not whole: the stride-14 conv sees 27 patches per side and skips the last
  // 6 pixel rows/columns, as timm and HF do.
  if (patch_size <= 0 || image_size < patch_size) {
    fail("SigLIP config: image_size {} is smaller than patch_size {}", image_size, patch_size);
  }
  if (num_channels <= 0 || hidden_size <= 0 || intermediate_size <= 0 || num_layers <= 0 || num_heads <= 0) {
    fail("SigLIP config: sizes must be positive");
  }
  // Bounds far above any real tower keep the patch and layer arithmetic below inside 64 bits.
  if (image_size > kMaxSiglipImageSize ||
      std::max({num_channels, hidden_size, intermediate_size, num_layers, num_heads}) > kMaxModelConfigSize) {
    fail("SigLIP config: image_size above {} or a size above {}", kMaxSiglipImageSize, kMaxModelConfigSize);
  }
  if (hidden_size % num_heads != 0) {
    fail("SigLIP config: hidden_size {} is not divisible by num_heads {}", hidden_size, num_heads);
  }
  if (blocks_to_run() < 0 || blocks_to_run() > num_layers) {
    fail("SigLIP config: feature_layer {} is out of range for {} layers", feature_layer, num_layers);
  }
}

SiglipVisionConfig SiglipVisionConfig::so400m() { return SiglipVisionConfig{}; }

SiglipVisionConfig SiglipVisionConfig::from_hf_json(const nlohmann::json& json) {
  const nlohmann::json& j = json.contains("vision_config") ? json.at("vision_config") : json;
  if (!j.is_object()) fail("SigLIP config: expected a JSON object");
  auto get_int = [&](const char* key, std::int64_t fallback) {
    return value_or<std::int64_t>(j, key, fallback, "SigLIP config");
  };
  SiglipVisionConfig c;
  // Defaults are HF SiglipVisionConfig's (a base-size ViT), as transformers would fill them in.
  c.hidden_size = get_int("hidden_size", 768);
  c.intermediate_size = get_int("intermediate_size", 3072);
  c.num_layers = get_int("num_hidden_layers", 12);
  c.num_heads = get_int("num_attention_heads", 12);
  c.num_channels = get_int("num_channels", 3);
  c.image_size = get_int("image_size", 224);
  c.patch_size = get_int("patch_size", 16);
  c.layer_norm_eps = value_or<double>(j, "layer_norm_eps", 1e-6, "SigLIP config");
  const auto act = value_or<std::string>(j, "hidden_act", "gelu_pytorch_tanh", "SigLIP config");
  if (act == "gelu") {
    c.gelu = GeluKind::kErf;
  } else if (act == "gelu_pytorch_tanh") {
    c.gelu = GeluKind::kTanh;
  } else {
    fail("SigLIP config: unsupported hidden_act '{}' (gelu, gelu_pytorch_tanh)", act);
  }
  c.validate();
  return c;
}

SiglipVisionConfig SiglipVisionConfig::from_hf_json_file(const std::filesystem::path& path) {
  const auto json = read_json_file(path, "SigLIP config");
  try {
    return from_hf_json(json);
  } catch (const Error& e) {
    fail("'{}': {}", path.string(), e.what());
  } catch (const nlohmann::json::exception& e) {
    fail("'{}': {}", path.string(), e.what());
  }
}

}  // namespace oqvl::model
