#include "oqvl/model/vlm_config.h"

#include <cmath>
#include <fstream>

#include "oqvl/core/error.h"
#include "oqvl/core/json.h"

namespace oqvl::model {

VlmConfig VlmConfig::open_qwen2vl() { return VlmConfig{}; }

nlohmann::json siglip_vision_to_hf_json(const SiglipVisionConfig& c) {
  return {{"model_type", "siglip_vision_model"},
          {"image_size", c.image_size},
          {"patch_size", c.patch_size},
          {"num_channels", c.num_channels},
          {"hidden_size", c.hidden_size},
          {"intermediate_size", c.intermediate_size},
          {"num_hidden_layers", c.num_layers},
          {"num_attention_heads", c.num_heads},
          {"layer_norm_eps", c.layer_norm_eps},
          {"hidden_act", c.gelu == GeluKind::kErf ? "gelu" : "gelu_pytorch_tanh"}};
}

nlohmann::json qwen2_to_hf_json(const Qwen2Config& c) {
  return {{"model_type", "qwen2"},
          {"architectures", {"Qwen2ForCausalLM"}},
          {"vocab_size", c.vocab_size},
          {"hidden_size", c.hidden_size},
          {"intermediate_size", c.intermediate_size},
          {"num_hidden_layers", c.num_hidden_layers},
          {"num_attention_heads", c.num_attention_heads},
          {"num_key_value_heads", c.num_key_value_heads},
          {"head_dim", c.head_dim},
          {"rms_norm_eps", c.rms_norm_eps},
          {"rope_theta", c.rope_theta},
          {"tie_word_embeddings", c.tie_word_embeddings},
          {"hidden_act", "silu"}};
}

nlohmann::json VlmConfig::to_json() const {
  return {{"model_type", "oqvl-vlm"},
          {"format_version", 1},
          {"vision_config", siglip_vision_to_hf_json(vision)},
          {"vision_feature_layer", vision.feature_layer},
          {"text_config", qwen2_to_hf_json(llm)},
          {"projector",
           {{"type", "avgpool-mlp"}, {"arch_specifier", arch_specifier}, {"image_tokens", image_tokens}}},
          {"image_processor",
           {{"size", vision.image_size},
            {"resample", "bicubic"},
            {"image_mean", image_mean},
            {"image_std", image_std}}},
          {"special_tokens",
           {{"bos", bos_id}, {"pad", pad_id}, {"eos", eos_id}, {"image_placeholder", image_placeholder}}}};
}

namespace {

const nlohmann::json& section(const nlohmann::json& j, const char* name) {
  if (!j.contains(name) || !j[name].is_object()) fail("model config: missing object '{}'", name);
  return j[name];
}

}  // namespace

VlmConfig VlmConfig::from_json(const nlohmann::json& j) {
  if (!j.is_object()) fail("model config: expected a JSON object");
  const auto type = value_or<std::string>(j, "model_type", "", "model config");
  if (type != "oqvl-vlm")
    fail("model config: model_type is '{}', expected 'oqvl-vlm' (convert other checkpoints with "
         "`oqvl convert`)",
         type);
  VlmConfig c;
  c.vision = SiglipVisionConfig::from_hf_json(section(j, "vision_config"));
  read_optional(j, "vision_feature_layer", c.vision.feature_layer, "model config");
  c.llm = Qwen2Config::from_json(section(j, "text_config"));
  const auto& proj = section(j, "projector");
  read_optional(proj, "arch_specifier", c.arch_specifier, "model config");
  read_optional(proj, "image_tokens", c.image_tokens, "model config");
  if (j.contains("image_processor")) {
    const auto& ip = section(j, "image_processor");
    std::int64_t size = c.vision.image_size;
    read_optional(ip, "size", size, "model config");
    if (size != c.vision.image_size)
      fail("model config: image_processor.size {} differs from vision_config.image_size {}", size,
           c.vision.image_size);
    read_optional(ip, "image_mean", c.image_mean, "model config");
    read_optional(ip, "image_std", c.image_std, "model config");
    const auto resample = value_or<std::string>(ip, "resample", "bicubic", "model config");
    if (resample != "bicubic") fail("model config: image_processor.resample '{}' is not supported", resample);
  }
  if (j.contains("special_tokens")) {
    const auto& st = section(j, "special_tokens");
    read_optional(st, "bos", c.bos_id, "model config");
    read_optional(st, "pad", c.pad_id, "model config");
    read_optional(st, "eos", c.eos_id, "model config");
    read_optional(st, "image_placeholder", c.image_placeholder, "model config");
  }
  c.validate();
  return c;
}

VlmConfig VlmConfig::from_file(const std::filesystem::path& path) {
  const auto j = read_json_file(path, "model config");
  try {
    return from_json(j);
  } catch (const Error& e) {
    fail("{}: {}", path.string(), e.what());
  }
}

void VlmConfig::validate() const {
  vision.validate();
  llm.validate();
  const auto side = static_cast<std::int64_t>(std::llround(std::sqrt(double(image_tokens))));
  if (image_tokens <= 0 || image_tokens > vision.num_patches() || side * side != image_tokens)
    fail("model config: image_tokens {} must be a square number <= the tower's {} patches", image_tokens,
         vision.num_patches());
  for (int i = 0; i < 3; ++i)
    if (!(image_std[i] > 0)) fail("model config: image_std values must be > 0");
  for (auto id : {bos_id, pad_id, eos_id})
    if (id < 0 || id >= llm.vocab_size)
      fail("model config: special token id {} is outside the vocabulary ({})", id, llm.vocab_size);
}

}  // namespace oqvl::model
