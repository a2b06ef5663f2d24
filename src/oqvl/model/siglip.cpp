#include "oqvl/model/siglip.h"

#include <charconv>
#include <fstream>
#include <optional>

#include "oqvl/core/error.h"
#include "oqvl/core/json.h"
#include "oqvl/model/io/state_dict.h"

namespace oqvl::model {

// ---------------------------------------------------------------------------------------------
// Modules

SiglipAttentionImpl::SiglipAttentionImpl(const SiglipVisionConfig& c) : num_heads_(c.num_heads) {
  const auto d = c.hidden_size;
  q_proj_ = register_module("q_proj", torch::nn::Linear(d, d));
  k_proj_ = register_module("k_proj", torch::nn::Linear(d, d));
  v_proj_ = register_module("v_proj", torch::nn::Linear(d, d));
  out_proj_ = register_module("out_proj", torch::nn::Linear(d, d));
}

torch::Tensor SiglipAttentionImpl::forward(const torch::Tensor& x) {
  const auto b = x.size(0), n = x.size(1), d = x.size(2);
  const auto hd = d / num_heads_;
  auto heads = [&](const torch::Tensor& t) {  // [B, N, D] -> [B, H, N, hd]
    return t.view({b, n, num_heads_, hd}).transpose(1, 2);
  };
  auto q = heads(q_proj_(x));                          // [B, H, N, hd]
  auto k = heads(k_proj_(x));                          // [B, H, N, hd]
  auto v = heads(v_proj_(x));                          // [B, H, N, hd]
  auto o = at::scaled_dot_product_attention(q, k, v);  // softmax(q k^T / sqrt(hd)) v: [B, H, N, hd]
  o = o.transpose(1, 2).reshape({b, n, d});            // [B, N, D]
  return out_proj_(o);                                 // [B, N, D]
}

SiglipMlpImpl::SiglipMlpImpl(const SiglipVisionConfig& c) : gelu_(c.gelu) {
  fc1_ = register_module("fc1", torch::nn::Linear(c.hidden_size, c.intermediate_size));
  fc2_ = register_module("fc2", torch::nn::Linear(c.intermediate_size, c.hidden_size));
}

torch::Tensor SiglipMlpImpl::forward(const torch::Tensor& x) {
  auto h = fc1_(x);                                                // [B, N, I]
  h = torch::gelu(h, gelu_ == GeluKind::kTanh ? "tanh" : "none");  // [B, N, I]
  return fc2_(h);                                                  // [B, N, D]
}

SiglipBlockImpl::SiglipBlockImpl(const SiglipVisionConfig& c) {
  auto ln = [&] {
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps));
  };
  layer_norm1_ = register_module("layer_norm1", ln());
  self_attn_ = register_module("self_attn", SiglipAttention(c));
  layer_norm2_ = register_module("layer_norm2", ln());
  mlp_ = register_module("mlp", SiglipMlp(c));
}

torch::Tensor SiglipBlockImpl::forward(torch::Tensor x) {
  x = x + self_attn_(layer_norm1_(x));  // [B, N, D]
  x = x + mlp_(layer_norm2_(x));        // [B, N, D]
  return x;
}

SiglipVisionTowerImpl::SiglipVisionTowerImpl(const SiglipVisionConfig& config) : config_(config) {
  config_.validate();
  const auto& c = config_;
  // Submodules "embeddings" and "encoder" exist only to give parameters their HF names.
  auto embeddings = register_module("embeddings", std::make_shared<torch::nn::Module>());
  patch_embedding_ = embeddings->register_module(
      "patch_embedding",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(c.num_channels, c.hidden_size, c.patch_size)
                            .stride(c.patch_size)
                            .bias(true)));
  position_embedding_ = embeddings->register_module(
      "position_embedding", torch::nn::Embedding(c.num_patches(), c.hidden_size));
  auto encoder = register_module("encoder", std::make_shared<torch::nn::Module>());
  layers_ = encoder->register_module("layers", torch::nn::ModuleList());
  for (std::int64_t i = 0; i < c.blocks_to_run(); ++i) layers_->push_back(SiglipBlock(c));
}

torch::Tensor SiglipVisionTowerImpl::forward(const torch::Tensor& pixels) {
  const auto& c = config_;
  if (pixels.dim() != 4 || pixels.size(1) != c.num_channels || pixels.size(2) != c.image_size ||
      pixels.size(3) != c.image_size) {
    fail("SigLIP tower: pixels have shape {}, expected [B, {}, {}, {}]",
         shape_string(pixels.sizes()), c.num_channels, c.image_size, c.image_size);
  }
  auto x = pixels.to(patch_embedding_->weight.scalar_type());  // [B, C, S, S]
  x = patch_embedding_(x);                                     // [B, D, g, g], g = S / patch
  x = x.flatten(2).transpose(1, 2);                            // [B, N, D], N = g*g row-major
  x = x + position_embedding_->weight;                         // [B, N, D]
  for (const auto& layer : *layers_) {
    x = layer->as<SiglipBlock>()->forward(x);  // [B, N, D]
  }
  return x;  // features of block blocks_to_run()-1, no post_layernorm: [B, N, D]
}

namespace {

// The part of a key before `suffix`, if exactly one key in `state` ends with it.
std::optional<std::string> find_prefix(const StateDict& state, const std::string& suffix) {
  std::optional<std::string> found;
  for (const auto& [name, tensor] : state) {
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      const std::string prefix = name.substr(0, name.size() - suffix.size());
      if (!prefix.empty() && prefix.back() != '.') continue;
      if (found) fail("state dict holds more than one SigLIP tower ('{}', '{}')", *found, prefix);
      found = prefix;
    }
  }
  return found;
}

}  // namespace

void SiglipVisionTowerImpl::load_state(const StateDict& state) {
  if (auto prefix = find_prefix(state, "embeddings.patch_embedding.weight")) {
    load_module(*this, state, *prefix, "SigLIP weights",
                [&](std::string_view name) { return siglip_tensor_not_run(name, config_); });
  } else if (auto timm_prefix = find_prefix(state, "patch_embed.proj.weight")) {
    load_module(*this, siglip_state_from_timm(state, *timm_prefix, config_.blocks_to_run()), "",
                "SigLIP weights");
  } else {
    fail(
        "no SigLIP vision weights in the state dict (looked for '*embeddings.patch_embedding."
        "weight' and timm's '*patch_embed.proj.weight')");
  }
}

bool siglip_tensor_not_run(std::string_view name, const SiglipVisionConfig& config) {
  if (name.starts_with("post_layernorm.") || name.starts_with("head.") || name == "embeddings.position_ids")
    return true;
  constexpr std::string_view kLayers = "encoder.layers.";
  if (!name.starts_with(kLayers)) return false;
  name.remove_prefix(kLayers.size());
  std::int64_t block = -1;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), block);
  // A block of the checkpoint's depth that the feature layer does not reach; a block past the
  // config's depth is not ignorable (the config does not match the weights).
  return ec == std::errc() && end < name.data() + name.size() && *end == '.' &&
         block >= config.blocks_to_run() && block < config.num_layers;
}

StateDict siglip_state_from_timm(const StateDict& timm, const std::string& p, std::int64_t blocks) {
  StateDict out;
  out["embeddings.patch_embedding.weight"] = require_tensor(timm, p + "patch_embed.proj.weight");
  out["embeddings.patch_embedding.bias"] = require_tensor(timm, p + "patch_embed.proj.bias");
  const auto& pos = require_tensor(timm, p + "pos_embed");  // [1, N, D]
  if (pos.dim() != 3 || pos.size(0) != 1) {
    fail("tensor '{}' has shape {}, expected [1, N, D]", p + "pos_embed",
         shape_string(pos.sizes()));
  }
  out["embeddings.position_embedding.weight"] = pos[0];  // [N, D]
  for (std::int64_t i = 0; i < blocks; ++i) {
    const std::string t = fmt::format("{}blocks.{}.", p, i);
    const std::string h = fmt::format("encoder.layers.{}.", i);
    for (const char* s : {"weight", "bias"}) {
      out[h + "layer_norm1." + s] = require_tensor(timm, t + "norm1." + s);
      out[h + "layer_norm2." + s] = require_tensor(timm, t + "norm2." + s);
      out[h + "self_attn.out_proj." + s] = require_tensor(timm, t + "attn.proj." + s);
      out[h + "mlp.fc1." + s] = require_tensor(timm, t + "mlp.fc1." + s);
      out[h + "mlp.fc2." + s] = require_tensor(timm, t + "mlp.fc2." + s);
      const std::string qkv_name = t + "attn.qkv." + s;
      const auto& qkv = require_tensor(timm, qkv_name);  // [3D, D] or [3D]
      if (qkv.dim() < 1 || qkv.size(0) % 3 != 0) {
        fail("tensor '{}' has shape {}, expected [3*D, ...]", qkv_name, shape_string(qkv.sizes()));
      }
      auto parts = qkv.chunk(3, 0);  // rows [q; k; v]
      out[h + "self_attn.q_proj." + s] = parts[0];
      out[h + "self_attn.k_proj." + s] = parts[1];
      out[h + "self_attn.v_proj." + s] = parts[2];
    }
  }
  return out;
}

}  // namespace oqvl::model
