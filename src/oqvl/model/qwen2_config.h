// The Qwen2 decoder's configuration (qwen2.h builds the model from it), torch-free so that a
// model folder's config.json can be read and fuzzed without libtorch (tests/fuzz/).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "oqvl/model/config_limits.h"

namespace oqvl::model {

struct Qwen2Config {
  int64_t vocab_size = 151936;
  int64_t hidden_size = 1536;
  int64_t intermediate_size = 8960;
  int64_t num_hidden_layers = 28;
  int64_t num_attention_heads = 12;
  int64_t num_key_value_heads = 2;
  int64_t head_dim = 128;
  double rms_norm_eps = 1e-6;
  double rope_theta = 1e6;
  bool tie_word_embeddings = true;

  // From a Hugging Face config.json tree (missing keys keep the defaults above; rope_theta is
  // read from "rope_theta" or "rope_parameters.rope_theta"). Throws oqvl::Error on bad values.
  static Qwen2Config from_json(const nlohmann::json& j);
  static Qwen2Config from_json_file(const std::string& path);
  // Throws oqvl::Error when sizes are inconsistent (heads not divisible by KV heads, ...).
  void validate() const;
};

}  // namespace oqvl::model
