// SigLIP as an image-text scorer (Hugging Face SiglipModel, transformers 5.23): the vision tower
// run to its last block, post_layernorm and the multi-head attention-pooling ("MAP") head give
// the image embedding; the text tower (siglip_text.h) the text embedding; both L2-normalized,
// cosine similarity, and SigLIP's pair probability sigmoid(cos * exp(logit_scale) + logit_bias).
//
// HF names (a SiglipModel checkpoint's model.safetensors):
//   vision_model.{embeddings, encoder.layers.{i}}...     as siglip.h
//   vision_model.post_layernorm.{weight,bias}
//   vision_model.head.probe                              [1, 1, D]
//   vision_model.head.attention.in_proj_{weight,bias}    [3D, D], [3D] (rows q; k; v)
//   vision_model.head.attention.out_proj.{weight,bias}
//   vision_model.head.layernorm.{weight,bias}
//   vision_model.head.mlp.fc{1,2}.{weight,bias}
//   text_model....                                       as siglip_text.h
//   logit_scale [1], logit_bias [1]
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "oqvl/model/siglip.h"
#include "oqvl/model/siglip_text.h"

namespace oqvl::model {

struct SiglipClipConfig {
  SiglipVisionConfig vision;  // feature_layer = -1 (all blocks)
  SiglipTextConfig text;

  // An HF SiglipConfig (config.json with text_config and vision_config). The vision config must
  // use the pooling head (vision_use_head, HF's default).
  static SiglipClipConfig from_hf_json(const nlohmann::json& json);
};

// post_layernorm + the MAP head over the tower's last hidden states.
class SiglipPoolingHeadImpl : public torch::nn::Module {
 public:
  explicit SiglipPoolingHeadImpl(const SiglipVisionConfig& config);
  torch::Tensor forward(const torch::Tensor& hidden);  // [B, N, D] (already post-normed) -> [B, D]

 private:
  std::int64_t num_heads_;
  torch::Tensor probe_, in_proj_weight_, in_proj_bias_;
  torch::nn::Linear out_proj_{nullptr};
  torch::nn::LayerNorm layernorm_{nullptr};
  SiglipMlp mlp_{nullptr};
};
TORCH_MODULE(SiglipPoolingHead);

enum class ClipMetric {
  kSigmoid,  // sigmoid(cos * exp(logit_scale) + logit_bias): SigLIP's match probability
  kCosine,   // cosine similarity of the normalized embeddings
};
ClipMetric parse_clip_metric(const std::string& name);  // "sigmoid" | "cosine"

class SiglipClipModelImpl : public torch::nn::Module {
 public:
  explicit SiglipClipModelImpl(const SiglipClipConfig& config);

  // pixels [B, C, S, S] normalized -> image embeddings [B, D] (HF's pooler_output, unnormalized).
  torch::Tensor image_features(const torch::Tensor& pixels);
  // input_ids [B, L] -> text embeddings [B, P] (unnormalized).
  torch::Tensor text_features(const torch::Tensor& input_ids);
  // HF's logits_per_image [Bi, Bt]: cos * exp(logit_scale) + logit_bias.
  torch::Tensor logits_per_image(const torch::Tensor& pixels, const torch::Tensor& input_ids);
  // One score per pair (row i of pixels with row i of input_ids): [B], float32.
  torch::Tensor pair_scores(const torch::Tensor& pixels, const torch::Tensor& input_ids,
                            ClipMetric metric);

  // Copies every weight from `state` (HF names, no prefix above "vision_model."/"text_model.").
  void load_state(const StateDict& state);
  const SiglipClipConfig& config() const { return config_; }

 private:
  SiglipClipConfig config_;
  SiglipVisionTower vision_{nullptr};
  torch::nn::LayerNorm post_layernorm_{nullptr};
  SiglipPoolingHead head_{nullptr};
  SiglipTextModel text_{nullptr};
  torch::Tensor logit_scale_, logit_bias_;
};
TORCH_MODULE(SiglipClipModel);

// An HF SiglipModel folder: config.json + model.safetensors (fp32/bf16/fp16 weights are cast to
// the module's fp32). The tokenizer (spiece.model, tokenizer_config.json) is loaded separately
// by data::SiglipTokenizer::from_folder, the image settings by siglip_preprocess_settings.
SiglipClipModel load_siglip_clip(const std::filesystem::path& dir);

// Image preprocessing as the folder's preprocessor_config.json (SiglipImageProcessor) says:
// size, mean, std (defaults: the vision image_size, 0.5 / 0.5, BICUBIC, rescale 1/255).
struct SiglipImageSettings {
  int width = 224, height = 224;
  float mean[3] = {0.5f, 0.5f, 0.5f};
  float std[3] = {0.5f, 0.5f, 0.5f};
  int resample = 3;  // PIL's code: 2 bilinear, 3 bicubic
};
SiglipImageSettings siglip_image_settings(const std::filesystem::path& dir,
                                          const SiglipVisionConfig& vision);

}  // namespace oqvl::model
