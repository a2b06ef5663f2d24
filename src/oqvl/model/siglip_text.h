// SigLIP text tower (Hugging Face SiglipTextModel, transformers 5.23): token + learned position
// embeddings, pre-norm encoder blocks shaped like the vision tower's, a final LayerNorm, and the
// pooled output = the LAST position's hidden state (which, with SigLIP's max_length padding, is a
// pad token's) through a Linear head. No attention mask: SigLIP was trained on padded text
// without one (HF applies a mask only when the caller passes attention_mask).
//
// Parameters carry HF names under any prefix (SiglipModel's is "text_model."):
//   embeddings.token_embedding.weight      [V, D]
//   embeddings.position_embedding.weight   [max_position_embeddings, D]
//   encoder.layers.{i}.{layer_norm1, self_attn.{q,k,v,out}_proj, layer_norm2, mlp.fc{1,2}}
//   final_layer_norm.{weight,bias}
//   head.{weight,bias}                     [projection_size, D]
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <nlohmann/json.hpp>

#include "oqvl/model/siglip.h"

namespace oqvl::model {

struct SiglipTextConfig {
  std::int64_t vocab_size = 32000;
  std::int64_t hidden_size = 768;
  std::int64_t intermediate_size = 3072;
  std::int64_t num_layers = 12;
  std::int64_t num_heads = 12;
  std::int64_t max_position_embeddings = 64;
  std::int64_t projection_size = 768;  // head output; HF: defaults to hidden_size
  double layer_norm_eps = 1e-6;
  GeluKind gelu = GeluKind::kTanh;

  void validate() const;  // oqvl::Error if bad
  // An HF SiglipTextConfig, or a SiglipConfig whose "text_config" is used; missing keys take
  // HF's defaults.
  static SiglipTextConfig from_hf_json(const nlohmann::json& json);
  // The encoder-block shape, as the vision blocks' config type (the blocks are the same code).
  SiglipVisionConfig block_config() const;
};

class SiglipTextModelImpl : public torch::nn::Module {
 public:
  explicit SiglipTextModelImpl(const SiglipTextConfig& config);

  // input_ids [B, L] (int64 or int32, L <= max_position_embeddings) -> pooled [B, projection]
  // (not normalized).
  torch::Tensor forward(const torch::Tensor& input_ids);

  const SiglipTextConfig& config() const { return config_; }

 private:
  SiglipTextConfig config_;
  torch::nn::Embedding token_embedding_{nullptr}, position_embedding_{nullptr};
  torch::nn::ModuleList layers_{nullptr};
  torch::nn::LayerNorm final_layer_norm_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(SiglipTextModel);

}  // namespace oqvl::model
