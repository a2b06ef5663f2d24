// SigLIP vision tower (ViT, no CLS token) as Open-Qwen2VL uses it: timm
// vit_so400m_patch14_siglip_384 = google/siglip-so400m-patch14-384's vision model, features taken
// from the second-to-last block with no final LayerNorm (docs/recipe.md §5.1). Parameters carry Hugging Face
// names (below); timm/open_clip checkpoints are mapped onto them by siglip_state_from_timm.
//
//   embeddings.patch_embedding.{weight,bias}            Conv2d(C -> D, k = s = patch)
//   embeddings.position_embedding.weight                [N, D] (N = (image/patch)^2)
//   encoder.layers.{i}.layer_norm1.{weight,bias}        pre-attention LayerNorm
//   encoder.layers.{i}.self_attn.{q,k,v,out}_proj.{weight,bias}
//   encoder.layers.{i}.layer_norm2.{weight,bias}        pre-MLP LayerNorm
//   encoder.layers.{i}.mlp.fc{1,2}.{weight,bias}        fc1 D -> I, GELU, fc2 I -> D
//
// Only the blocks up to the feature layer are built; post_layernorm / head weights are ignored.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "oqvl/model/io/safetensors.h"  // StateDict
#include "oqvl/model/siglip_config.h"

namespace oqvl::model {

class SiglipAttentionImpl : public torch::nn::Module {
 public:
  explicit SiglipAttentionImpl(const SiglipVisionConfig& config);
  torch::Tensor forward(const torch::Tensor& x);  // [B, N, D] -> [B, N, D]

 private:
  std::int64_t num_heads_;
  torch::nn::Linear q_proj_{nullptr}, k_proj_{nullptr}, v_proj_{nullptr}, out_proj_{nullptr};
};
TORCH_MODULE(SiglipAttention);

class SiglipMlpImpl : public torch::nn::Module {
 public:
  explicit SiglipMlpImpl(const SiglipVisionConfig& config);
  torch::Tensor forward(const torch::Tensor& x);  // [B, N, D] -> [B, N, D]

 private:
  GeluKind gelu_;
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(SiglipMlp);

class SiglipBlockImpl : public torch::nn::Module {
 public:
  explicit SiglipBlockImpl(const SiglipVisionConfig& config);
  torch::Tensor forward(torch::Tensor x);  // [B, N, D] -> [B, N, D]

 private:
  torch::nn::LayerNorm layer_norm1_{nullptr}, layer_norm2_{nullptr};
  SiglipAttention self_attn_{nullptr};
  SiglipMlp mlp_{nullptr};
};
TORCH_MODULE(SiglipBlock);

class SiglipVisionTowerImpl : public torch::nn::Module {
 public:
  explicit SiglipVisionTowerImpl(const SiglipVisionConfig& config);

  // pixels [B, C, image_size, image_size] (normalized, any float dtype; cast to the weights')
  // -> features [B, num_patches, hidden_size] of the feature layer, no final LayerNorm.
  torch::Tensor forward(const torch::Tensor& pixels);

  // Copies weights from `state`, in HF names under any prefix ("vision_model.",
  // "vision_tower.vision_model.", none) or in timm/open_clip names under any prefix
  // ("featurizer.", none). oqvl::Error names a missing tensor or a wrong shape.
  void load_state(const StateDict& state);

  const SiglipVisionConfig& config() const { return config_; }

 private:
  SiglipVisionConfig config_;
  torch::nn::Conv2d patch_embedding_{nullptr};
  torch::nn::Embedding position_embedding_{nullptr};
  torch::nn::ModuleList layers_{nullptr};
};
TORCH_MODULE(SiglipVisionTower);

// Whether a vision-tower tensor name (HF naming, no prefix) belongs to what the tower does not
// run: post_layernorm, the attention-pooling head, blocks past the feature layer, and the
// position_ids buffer older checkpoints carry. The one rule of loading and of check_vlm_tensors.
bool siglip_tensor_not_run(std::string_view name, const SiglipVisionConfig& config);

// timm / open_clip ViT names -> this tower's HF names (no prefix), for blocks 0..blocks-1:
//   {p}patch_embed.proj.{weight,bias}   -> embeddings.patch_embedding.{weight,bias}
//   {p}pos_embed [1, N, D]               -> embeddings.position_embedding.weight [N, D]
//   {p}blocks.{i}.norm1 / norm2          -> encoder.layers.{i}.layer_norm1 / layer_norm2
//   {p}blocks.{i}.attn.qkv [3D, D], [3D] -> self_attn.{q,k,v}_proj (rows split in q, k, v order)
//   {p}blocks.{i}.attn.proj              -> self_attn.out_proj
//   {p}blocks.{i}.mlp.fc1 / fc2          -> mlp.fc1 / fc2
// Other keys (norm, attn_pool head) are dropped. Tensors are views, not copies.
StateDict siglip_state_from_timm(const StateDict& timm, const std::string& prefix,
                                 std::int64_t blocks);

}  // namespace oqvl::model
