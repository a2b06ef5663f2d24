#include "oqvl/model/qwen2_config.h"

#include <algorithm>

#include "oqvl/core/error.h"
#include "oqvl/core/json.h"

namespace oqvl::model {

Qwen2Config Qwen2Config::from_json(const nlohmann::json& j) {
  if (!j.is_object()) fail("Qwen2 config: expected a JSON object");
  Qwen2Config c;
  read_optional(j, "vocab_size", c.vocab_size, "Qwen2 config");
  read_optional(j, "hidden_size", c.hidden_size, "Qwen2 config");
  read_optional(j, "intermediate_size", c.intermediate_size, "Qwen2 config");
  read_optional(j, "num_hidden_layers", c.num_hidden_layers, "Qwen2 config");
  read_optional(j, "num_attention_heads", c.num_attention_heads, "Qwen2 config");
  c.num_key_value_heads = c.num_attention_heads;  // HF default when the key is absent
  read_optional(j, "num_key_value_heads", c.num_key_value_heads, "Qwen2 config");
  c.head_dim = c.num_attention_heads > 0 ? c.hidden_size / c.num_attention_heads : 0;
  read_optional(j, "head_dim", c.head_dim, "Qwen2 config");
  read_optional(j, "rms_norm_eps", c.rms_norm_eps, "Qwen2 config");
  read_optional(j, "rope_theta", c.rope_theta, "Qwen2 config");
  if (j.contains("rope_parameters") && j["rope_parameters"].is_object()) {
    const auto& rp = j["rope_parameters"];
    read_optional(rp, "rope_theta", c.rope_theta, "Qwen2 config");
    std::string type = "default";
    read_optional(rp, "rope_type", type, "Qwen2 config");
    if (type != "default") fail("Qwen2 config: rope_type '{}' is not supported (only default)", type);
  }
  if (j.contains("rope_scaling") && j["rope_scaling"].is_object()) {
    std::string type = "default";
    read_optional(j["rope_scaling"], "rope_type", type, "Qwen2 config");
    if (type != "default") fail("Qwen2 config: rope_scaling '{}' is not supported", type);
  }
  read_optional(j, "tie_word_embeddings", c.tie_word_embeddings, "Qwen2 config");
  std::string act = "silu";
  read_optional(j, "hidden_act", act, "Qwen2 config");
  if (act != "silu") fail("Qwen2 config: hidden_act '{}' is not supported (only silu)", act);
  c.validate();
  return c;
}

Qwen2Config Qwen2Config::from_json_file(const std::string& path) {
  return from_json(read_json_file(path, "Qwen2 config"));
}

void Qwen2Config::validate() const {
  if (vocab_size <= 0 || hidden_size <= 0 || intermediate_size <= 0 || num_hidden_layers <= 0 ||
      num_attention_heads <= 0 || num_key_value_heads <= 0 || head_dim <= 0)
    fail("Qwen2 config: sizes must be positive");
  if (std::max({vocab_size, hidden_size, intermediate_size, num_hidden_layers, num_attention_heads,
                num_key_value_heads, head_dim}) > kMaxModelConfigSize)
    fail("Qwen2 config: a size above {}", kMaxModelConfigSize);
  if (num_attention_heads % num_key_value_heads != 0)
    fail("Qwen2 config: num_attention_heads {} is not a multiple of num_key_value_heads {}",
         num_attention_heads, num_key_value_heads);
  if (head_dim % 2 != 0) fail("Qwen2 config: head_dim {} must be even for RoPE", head_dim);
  if (!(rms_norm_eps > 0) || !(rope_theta > 0)) fail("Qwen2 config: rms_norm_eps and rope_theta must be > 0");
}

}  // namespace oqvl::model
