#include "oqvl/model/siglip_text.h"

#include "oqvl/core/error.h"
#include "oqvl/core/json.h"
#include "oqvl/model/io/state_dict.h"

namespace oqvl::model {

void SiglipTextConfig::validate() const {
  if (vocab_size <= 0 || hidden_size <= 0 || intermediate_size <= 0 || num_layers <= 0 ||
      num_heads <= 0 || max_position_embeddings <= 0 || projection_size <= 0) {
    fail("SigLIP text config: sizes must be positive");
  }
  if (hidden_size % num_heads != 0) {
    fail("SigLIP text config: hidden_size {} is not divisible by num_heads {}", hidden_size,
         num_heads);
  }
}

SiglipTextConfig SiglipTextConfig::from_hf_json(const nlohmann::json& json) {
  const nlohmann::json& j = json.contains("text_config") ? json.at("text_config") : json;
  if (!j.is_object()) fail("SigLIP text config: expected a JSON object");
  auto get_int = [&](const char* key, std::int64_t fallback) {
    return value_or<std::int64_t>(j, key, fallback, "SigLIP text config");
  };
  SiglipTextConfig c;
  c.vocab_size = get_int("vocab_size", 32000);
  c.hidden_size = get_int("hidden_size", 768);
  c.intermediate_size = get_int("intermediate_size", 3072);
  c.num_layers = get_int("num_hidden_layers", 12);
  c.num_heads = get_int("num_attention_heads", 12);
  c.max_position_embeddings = get_int("max_position_embeddings", 64);
  c.projection_size = get_int("projection_size", c.hidden_size);
  c.layer_norm_eps = value_or<double>(j, "layer_norm_eps", 1e-6, "SigLIP text config");
  const auto act = value_or<std::string>(j, "hidden_act", "gelu_pytorch_tanh", "SigLIP text config");
  if (act == "gelu") {
    c.gelu = GeluKind::kErf;
  } else if (act == "gelu_pytorch_tanh") {
    c.gelu = GeluKind::kTanh;
  } else {
    fail("SigLIP text config: unsupported hidden_act '{}' (gelu, gelu_pytorch_tanh)", act);
  }
  c.validate();
  return c;
}

SiglipVisionConfig SiglipTextConfig::block_config() const {
  SiglipVisionConfig b;
  b.hidden_size = hidden_size;
  b.intermediate_size = intermediate_size;
  b.num_heads = num_heads;
  b.num_layers = num_layers;
  b.layer_norm_eps = layer_norm_eps;
  b.gelu = gelu;
  return b;
}

SiglipTextModelImpl::SiglipTextModelImpl(const SiglipTextConfig& config) : config_(config) {
  config_.validate();
  const auto& c = config_;
  // "embeddings" and "encoder" exist only to give parameters their HF names.
  auto embeddings = register_module("embeddings", std::make_shared<torch::nn::Module>());
  token_embedding_ = embeddings->register_module(
      "token_embedding", torch::nn::Embedding(c.vocab_size, c.hidden_size));
  position_embedding_ = embeddings->register_module(
      "position_embedding", torch::nn::Embedding(c.max_position_embeddings, c.hidden_size));
  auto encoder = register_module("encoder", std::make_shared<torch::nn::Module>());
  layers_ = encoder->register_module("layers", torch::nn::ModuleList());
  const SiglipVisionConfig block = c.block_config();
  for (std::int64_t i = 0; i < c.num_layers; ++i) layers_->push_back(SiglipBlock(block));
  final_layer_norm_ = register_module(
      "final_layer_norm",
      torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
  head_ = register_module("head", torch::nn::Linear(c.hidden_size, c.projection_size));
}

torch::Tensor SiglipTextModelImpl::forward(const torch::Tensor& input_ids) {
  const auto& c = config_;
  if (input_ids.dim() != 2 || input_ids.size(1) < 1 ||
      input_ids.size(1) > c.max_position_embeddings) {
    fail("SigLIP text tower: input_ids have shape {}, expected [B, L] with 1 <= L <= {}",
         shape_string(input_ids.sizes()), c.max_position_embeddings);
  }
  const auto ids = input_ids.to(torch::kLong);
  const auto length = ids.size(1);
  if (ids.numel() > 0 && (ids.min().item<std::int64_t>() < 0 ||
                          ids.max().item<std::int64_t>() >= c.vocab_size)) {
    fail("SigLIP text tower: token ids outside the vocabulary [0, {})", c.vocab_size);
  }
  auto x = token_embedding_(ids);                                          // [B, L, D]
  x = x + position_embedding_->weight.slice(0, 0, length);                 // [B, L, D]
  for (const auto& layer : *layers_) x = layer->as<SiglipBlock>()->forward(x);  // [B, L, D]
  x = final_layer_norm_(x);                                                // [B, L, D]
  return head_(x.select(1, length - 1));  // last position, pad or not: [B, P]
}

}  // namespace oqvl::model
