#include "oqvl/model/siglip_clip.h"

#include <cmath>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/json.h"
#include "oqvl/model/io/safetensors.h"
#include "oqvl/model/io/state_dict.h"

namespace oqvl::model {
namespace fs = std::filesystem;

SiglipClipConfig SiglipClipConfig::from_hf_json(const nlohmann::json& json) {
  if (!json.contains("vision_config") || !json.contains("text_config")) {
    fail("SigLIP config: expected a SiglipModel config with 'text_config' and 'vision_config'");
  }
  if (!json.at("vision_config").value("vision_use_head", true)) {
    fail("SigLIP config: vision_use_head is false; scoring needs the attention-pooling head");
  }
  SiglipClipConfig c;
  c.vision = SiglipVisionConfig::from_hf_json(json);
  c.vision.feature_layer = -1;  // the last block, then post_layernorm + head
  c.vision.validate();
  c.text = SiglipTextConfig::from_hf_json(json);
  if (c.text.projection_size != c.vision.hidden_size) {
    fail("SigLIP config: text projection_size {} differs from the vision hidden_size {}",
         c.text.projection_size, c.vision.hidden_size);
  }
  return c;
}

ClipMetric parse_clip_metric(const std::string& name) {
  if (name == "sigmoid") return ClipMetric::kSigmoid;
  if (name == "cosine") return ClipMetric::kCosine;
  fail("unknown CLIP metric '{}' (sigmoid, cosine)", name);
}

// ---------------------------------------------------------------------------------------------

SiglipPoolingHeadImpl::SiglipPoolingHeadImpl(const SiglipVisionConfig& c)
    : num_heads_(c.num_heads) {
  const auto d = c.hidden_size;
  probe_ = register_parameter("probe", torch::zeros({1, 1, d}));
  // torch.nn.MultiheadAttention's packed projection, under its own names.
  auto attention = register_module("attention", std::make_shared<torch::nn::Module>());
  in_proj_weight_ = attention->register_parameter("in_proj_weight", torch::zeros({3 * d, d}));
  in_proj_bias_ = attention->register_parameter("in_proj_bias", torch::zeros({3 * d}));
  out_proj_ = attention->register_module("out_proj", torch::nn::Linear(d, d));
  layernorm_ = register_module(
      "layernorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(c.layer_norm_eps)));
  mlp_ = register_module("mlp", SiglipMlp(c));
}

torch::Tensor SiglipPoolingHeadImpl::forward(const torch::Tensor& x) {
  const auto b = x.size(0), n = x.size(1), d = x.size(2);
  const auto hd = d / num_heads_;
  auto w = in_proj_weight_.chunk(3, 0);  // q, k, v rows
  auto bias = in_proj_bias_.chunk(3, 0);
  auto probe = probe_.expand({b, 1, d});                          // [B, 1, D]
  auto q = torch::nn::functional::linear(probe, w[0], bias[0]);  // [B, 1, D]
  auto k = torch::nn::functional::linear(x, w[1], bias[1]);      // [B, N, D]
  auto v = torch::nn::functional::linear(x, w[2], bias[2]);      // [B, N, D]
  q = q.view({b, 1, num_heads_, hd}).transpose(1, 2);             // [B, H, 1, hd]
  k = k.view({b, n, num_heads_, hd}).transpose(1, 2);             // [B, H, N, hd]
  v = v.view({b, n, num_heads_, hd}).transpose(1, 2);             // [B, H, N, hd]
  auto o = at::scaled_dot_product_attention(q, k, v);             // [B, H, 1, hd]
  o = out_proj_(o.transpose(1, 2).reshape({b, 1, d}));            // [B, 1, D]
  o = o + mlp_(layernorm_(o));                                    // [B, 1, D]
  return o.select(1, 0);                                          // [B, D]
}

SiglipClipModelImpl::SiglipClipModelImpl(const SiglipClipConfig& config) : config_(config) {
  config_.vision.feature_layer = -1;
  vision_ = register_module("vision_model", SiglipVisionTower(config_.vision));
  // Registered on the tower so they carry HF's "vision_model." names.
  post_layernorm_ = vision_->register_module(
      "post_layernorm",
      torch::nn::LayerNorm(torch::nn::LayerNormOptions({config_.vision.hidden_size})
                               .eps(config_.vision.layer_norm_eps)));
  head_ = vision_->register_module("head", SiglipPoolingHead(config_.vision));
  text_ = register_module("text_model", SiglipTextModel(config_.text));
  logit_scale_ = register_parameter("logit_scale", torch::zeros({1}));
  logit_bias_ = register_parameter("logit_bias", torch::zeros({1}));
}

torch::Tensor SiglipClipModelImpl::image_features(const torch::Tensor& pixels) {
  auto h = vision_->forward(pixels);  // [B, N, D], last block
  return head_(post_layernorm_(h));   // [B, D]
}

torch::Tensor SiglipClipModelImpl::text_features(const torch::Tensor& input_ids) {
  return text_->forward(input_ids.to(logit_scale_.device()));  // [B, P]
}

namespace {
torch::Tensor l2_normalize(const torch::Tensor& x) { return x / x.norm(2, -1, true); }
}  // namespace

torch::Tensor SiglipClipModelImpl::logits_per_image(const torch::Tensor& pixels,
                                                    const torch::Tensor& input_ids) {
  auto img = l2_normalize(image_features(pixels));    // [Bi, D]
  auto txt = l2_normalize(text_features(input_ids));  // [Bt, D]
  return torch::matmul(img, txt.t()) * logit_scale_.exp() + logit_bias_;  // [Bi, Bt]
}

torch::Tensor SiglipClipModelImpl::pair_scores(const torch::Tensor& pixels,
                                               const torch::Tensor& input_ids, ClipMetric metric) {
  if (pixels.size(0) != input_ids.size(0)) {
    fail("SigLIP scoring: {} images but {} texts", pixels.size(0), input_ids.size(0));
  }
  auto img = l2_normalize(image_features(pixels));    // [B, D]
  auto txt = l2_normalize(text_features(input_ids));  // [B, D]
  auto cos = (img * txt).sum(-1);                     // [B]
  if (metric == ClipMetric::kCosine) return cos.to(torch::kFloat);
  return torch::sigmoid(cos * logit_scale_.exp() + logit_bias_).to(torch::kFloat);  // [B]
}

void SiglipClipModelImpl::load_state(const StateDict& state) {
  // Older HF checkpoints still carry the position_ids buffers; they are arange() again here.
  load_module(*this, state, "", "SigLIP weights",
              [](std::string_view name) { return name.ends_with("embeddings.position_ids"); });
}

SiglipClipModel load_siglip_clip(const fs::path& dir) {
  const fs::path config_path = dir / "config.json";
  const fs::path weights_path = dir / "model.safetensors";
  SiglipClipConfig config;
  try {
    config = SiglipClipConfig::from_hf_json(nlohmann::json::parse(read_file(config_path)));
  } catch (const nlohmann::json::exception& e) {
    fail("'{}': {}", config_path.string(), e.what());
  } catch (const Error& e) {
    fail("'{}': {}", config_path.string(), e.what());
  }
  if (!fs::exists(weights_path)) {
    fail("'{}' does not exist (a SigLIP folder needs a single model.safetensors)",
         weights_path.string());
  }
  SiglipClipModel model(config);
  try {
    model->load_state(load_safetensors(weights_path));
  } catch (const Error& e) {
    fail("'{}': {}", weights_path.string(), e.what());
  }
  model->eval();
  return model;
}

SiglipImageSettings siglip_image_settings(const fs::path& dir, const SiglipVisionConfig& vision) {
  SiglipImageSettings s;
  s.width = s.height = static_cast<int>(vision.image_size);
  const fs::path path = dir / "preprocessor_config.json";
  if (!fs::exists(path)) return s;
  try {
    const auto j = nlohmann::json::parse(read_file(path));
    if (j.contains("size") && j.at("size").is_object()) {
      s.height = value_or(j.at("size"), "height", s.height, "size");
      s.width = value_or(j.at("size"), "width", s.width, "size");
    }
    for (int c = 0; c < 3; ++c) {
      if (j.contains("image_mean")) s.mean[c] = json_number<float>(j.at("image_mean").at(c), "image_mean");
      if (j.contains("image_std")) s.std[c] = json_number<float>(j.at("image_std").at(c), "image_std");
    }
    s.resample = value_or(j, "resample", 3, "preprocessor config");
    if (!j.value("do_resize", true) || !j.value("do_rescale", true) ||
        !j.value("do_normalize", true) ||
        std::abs(j.value("rescale_factor", 1.0 / 255.0) - 1.0 / 255.0) > 1e-12) {
      fail("only resize + rescale by 1/255 + normalize is supported");
    }
    if (s.resample != 2 && s.resample != 3) {
      fail("resample {} is not supported (2 bilinear, 3 bicubic)", s.resample);
    }
  } catch (const nlohmann::json::exception& e) {
    fail("'{}': {}", path.string(), e.what());
  } catch (const Error& e) {
    fail("'{}': {}", path.string(), e.what());
  }
  if (s.width != vision.image_size || s.height != vision.image_size) {
    fail("'{}': size {}x{} differs from the vision image_size {}", path.string(), s.width,
         s.height, vision.image_size);
  }
  return s;
}

}  // namespace oqvl::model
