#include "oqvl/model/qwen2.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <optional>
#include <set>

#include "oqvl/core/error.h"
#include "oqvl/core/json.h"
#include "oqvl/model/activation_checkpoint.h"
#include "oqvl/model/io/safetensors.h"
#include "oqvl/model/io/state_dict.h"

namespace oqvl::model {

namespace {

namespace F = torch::nn::functional;
using torch::indexing::Slice;

// An undefined mask means none: SDPA wants an empty optional, not an undefined tensor.
std::optional<at::Tensor> opt_mask(const torch::Tensor& m) {
  return m.defined() ? std::optional<at::Tensor>(m) : std::nullopt;
}

// [..., d] -> [..., d] with the halves swapped and the new first half negated.
torch::Tensor rotate_half(const torch::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  auto x1 = x.index({"...", Slice(0, half)});
  auto x2 = x.index({"...", Slice(half)});
  return torch::cat({-x2, x1}, -1);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Attention layout

AttentionSpec AttentionSpec::causal(torch::Tensor row_lengths) {
  AttentionSpec s;
  s.mode = Mode::kCausal;
  s.lengths = std::move(row_lengths);
  return s;
}

AttentionSpec AttentionSpec::per_sample(torch::Tensor sample_lengths) {
  AttentionSpec s;
  s.mode = Mode::kPerSample;
  s.sample_lengths = std::move(sample_lengths);
  return s;
}

AttentionLayout build_attention(const AttentionSpec& spec, int64_t T, torch::Device device, bool with_mask) {
  const auto i64 = torch::TensorOptions().dtype(torch::kInt64).device(device);
  auto t = torch::arange(T, i64);  // [T]
  AttentionLayout out;
  torch::Tensor seg;  // [B,T] sample index of each token (kPerSample only)
  if (spec.mode == AttentionSpec::Mode::kCausal) {
    if (!spec.lengths.defined() || spec.lengths.dim() != 1)
      fail("attention spec: causal needs row lengths of shape [B]");
    auto len = spec.lengths.to(i64);                                        // [B]
    if ((len < 0).any().item<bool>() || (len > T).any().item<bool>())
      fail("attention spec: a row length is outside [0, {}]", T);
    out.valid = t.unsqueeze(0) < len.unsqueeze(1);                          // [B,T]
    out.positions = t.unsqueeze(0).expand({len.size(0), T}).contiguous();   // [B,T]
  } else {
    if (!spec.sample_lengths.defined() || spec.sample_lengths.dim() != 2)
      fail("attention spec: per-sample needs sample lengths of shape [B, S]");
    auto sl = spec.sample_lengths.to(i64);                                  // [B,S]
    if ((sl < 0).any().item<bool>()) fail("attention spec: a sample length is negative");
    auto ends = sl.cumsum(1);                                               // [B,S]
    auto total = ends.index({Slice(), -1});                                 // [B]
    if ((total > T).any().item<bool>())
      fail("attention spec: a row's samples sum past the row length {}", T);
    seg = (ends.unsqueeze(1) <= t.view({1, T, 1})).sum(-1);                 // [B,T]
    auto starts = torch::cat({torch::zeros({sl.size(0), 1}, i64), ends}, 1);  // [B,S+1]
    auto start = starts.gather(1, seg);                                     // [B,T]
    out.valid = t.unsqueeze(0) < total.unsqueeze(1);                        // [B,T]
    out.positions = torch::where(out.valid, t.unsqueeze(0) - start, torch::zeros_like(start));
  }
  if (!with_mask && spec.mode == AttentionSpec::Mode::kCausal) return out;
  auto causal = torch::ones({T, T}, torch::TensorOptions().dtype(torch::kBool).device(device)).tril();
  auto mask = causal.unsqueeze(0) & out.valid.unsqueeze(1) & out.valid.unsqueeze(2);  // [B,T,T]
  if (seg.defined()) mask = mask & (seg.unsqueeze(1) == seg.unsqueeze(2));
  // A padding query sees only itself, so no softmax row is empty (its output is never used).
  auto eye = torch::eye(T, torch::TensorOptions().dtype(torch::kBool).device(device));
  mask = mask | (eye.unsqueeze(0) & out.valid.logical_not().unsqueeze(2));
  out.mask = mask.unsqueeze(1);                                             // [B,1,T,T]
  return out;
}

// ---------------------------------------------------------------------------------------------
// Layers

Qwen2RMSNormImpl::Qwen2RMSNormImpl(int64_t dim, double eps_) : eps(eps_) {
  weight = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor Qwen2RMSNormImpl::forward(const torch::Tensor& x) {
  auto xf = x.to(torch::kFloat32);                                   // [..., D] fp32
  auto var = xf.pow(2).mean(-1, /*keepdim=*/true);                   // [..., 1]
  auto normed = (xf * torch::rsqrt(var + eps)).to(x.scalar_type());  // [..., D]
  return weight * normed;                                            // [..., D]
}

Qwen2AttentionImpl::Qwen2AttentionImpl(const Qwen2Config& c)
    : num_heads(c.num_attention_heads), num_kv_heads(c.num_key_value_heads), head_dim(c.head_dim) {
  const int64_t H = c.hidden_size;
  q_proj = register_module("q_proj", torch::nn::Linear(torch::nn::LinearOptions(H, num_heads * head_dim).bias(true)));
  k_proj = register_module("k_proj", torch::nn::Linear(torch::nn::LinearOptions(H, num_kv_heads * head_dim).bias(true)));
  v_proj = register_module("v_proj", torch::nn::Linear(torch::nn::LinearOptions(H, num_kv_heads * head_dim).bias(true)));
  o_proj = register_module("o_proj", torch::nn::Linear(torch::nn::LinearOptions(num_heads * head_dim, H).bias(false)));
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> Qwen2AttentionImpl::project(const torch::Tensor& x,
                                                                                   const torch::Tensor& cos,
                                                                                   const torch::Tensor& sin) {
  const int64_t B = x.size(0), T = x.size(1);
  auto q = q_proj(x).view({B, T, num_heads, head_dim}).transpose(1, 2);     // [B,nh,T,d]
  auto k = k_proj(x).view({B, T, num_kv_heads, head_dim}).transpose(1, 2);  // [B,nkv,T,d]
  auto v = v_proj(x).view({B, T, num_kv_heads, head_dim}).transpose(1, 2);  // [B,nkv,T,d]
  auto c = cos.unsqueeze(1).to(q.scalar_type());                           // [B,1,T,d]
  auto s = sin.unsqueeze(1).to(q.scalar_type());                           // [B,1,T,d]
  q = q * c + rotate_half(q) * s;                                           // [B,nh,T,d]
  k = k * c + rotate_half(k) * s;                                           // [B,nkv,T,d]
  return {q, k, v};
}

torch::Tensor Qwen2AttentionImpl::attend(const torch::Tensor& q, const torch::Tensor& k_in, const torch::Tensor& v_in,
                                         const torch::Tensor& mask, bool is_causal) {
  const int64_t B = q.size(0), T = q.size(2);
  auto k = k_in, v = v_in;
  const int64_t rep = num_heads / num_kv_heads;
  if (rep > 1) {  // GQA: query head h uses KV head h / rep
    k = k.repeat_interleave(rep, 1);                                        // [B,nh,S,d]
    v = v.repeat_interleave(rep, 1);                                        // [B,nh,S,d]
  }
  auto o = at::scaled_dot_product_attention(q, k, v, opt_mask(mask), 0.0, is_causal);  // [B,nh,T,d]
  o = o.transpose(1, 2).reshape({B, T, num_heads * head_dim});             // [B,T,nh*d]
  return o_proj(o);                                                         // [B,T,H]
}

torch::Tensor Qwen2AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                          const torch::Tensor& sin, const torch::Tensor& mask) {
  auto [q, k, v] = project(x, cos, sin);
  return attend(q, k, v, mask, /*is_causal=*/!mask.defined());  // [B,T,H]
}

torch::Tensor Qwen2AttentionImpl::forward_cached(const torch::Tensor& x, const torch::Tensor& cos,
                                                 const torch::Tensor& sin, const torch::Tensor& mask,
                                                 KVCache& cache, int64_t layer) {
  auto [q, k, v] = project(x, cos, sin);
  auto [K, V] = cache.append(layer, k, v);  // [B,nkv,P+T,d]
  const int64_t T = q.size(2);
  if (!mask.defined() && T > 1) return attend(q, K, V, mask, /*is_causal=*/true);  // prefill, no padding
  const int64_t rep = num_heads / num_kv_heads;
  if (rep == 1) return attend(q, K, V, mask);  // [B,T,H]
  // GQA without repeating the cache: query heads g*rep..g*rep+rep-1 share KV head g, so fold them
  // into the query axis of head g ([B,nkv,rep*T,d]; row r*T+t keeps query t's mask row). Saves
  // copying the whole cache rep times per layer and step (the mask copy, rep*T*S bools, is
  // small next to it: T is 1 except in a padded prefill).
  const int64_t B = q.size(0);
  auto qg = q.reshape({B, num_kv_heads, rep * T, head_dim});                 // [B,nkv,rep*T,d]
  auto m = mask.defined() ? mask.repeat({1, 1, rep, 1}) : mask;              // [B,1,rep*T,S] or none
  auto o = at::scaled_dot_product_attention(qg, K, V, opt_mask(m));          // [B,nkv,rep*T,d]
  o = o.reshape({B, num_heads, T, head_dim}).transpose(1, 2).reshape({B, T, num_heads * head_dim});  // [B,T,nh*d]
  return o_proj(o);                                                          // [B,T,H]
}

Qwen2MLPImpl::Qwen2MLPImpl(const Qwen2Config& c) {
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  gate_proj = register_module("gate_proj", torch::nn::Linear(torch::nn::LinearOptions(H, I).bias(false)));
  up_proj = register_module("up_proj", torch::nn::Linear(torch::nn::LinearOptions(H, I).bias(false)));
  down_proj = register_module("down_proj", torch::nn::Linear(torch::nn::LinearOptions(I, H).bias(false)));
}

torch::Tensor Qwen2MLPImpl::forward(const torch::Tensor& x) {
  auto h = F::silu(gate_proj(x)) * up_proj(x);  // [B,T,I]
  return down_proj(h);                          // [B,T,H]
}

Qwen2DecoderLayerImpl::Qwen2DecoderLayerImpl(const Qwen2Config& c) {
  input_layernorm = register_module("input_layernorm", Qwen2RMSNorm(c.hidden_size, c.rms_norm_eps));
  self_attn = register_module("self_attn", Qwen2Attention(c));
  post_attention_layernorm =
      register_module("post_attention_layernorm", Qwen2RMSNorm(c.hidden_size, c.rms_norm_eps));
  mlp = register_module("mlp", Qwen2MLP(c));
}

torch::Tensor Qwen2DecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                             const torch::Tensor& sin, const torch::Tensor& mask) {
  auto h = x + self_attn(input_layernorm(x), cos, sin, mask);  // [B,T,H]
  return h + mlp(post_attention_layernorm(h));                 // [B,T,H]
}

torch::Tensor Qwen2DecoderLayerImpl::forward_cached(const torch::Tensor& x, const torch::Tensor& cos,
                                                    const torch::Tensor& sin, const torch::Tensor& mask,
                                                    KVCache& cache, int64_t layer) {
  auto h = x + self_attn->forward_cached(input_layernorm(x), cos, sin, mask, cache, layer);  // [B,T,H]
  return h + mlp(post_attention_layernorm(h));                                              // [B,T,H]
}

Qwen2ModelImpl::Qwen2ModelImpl(const Qwen2Config& c) : config(c) {
  config.validate();
  embed_tokens = register_module("embed_tokens", torch::nn::Embedding(c.vocab_size, c.hidden_size));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(Qwen2DecoderLayer(c));
  norm = register_module("norm", Qwen2RMSNorm(c.hidden_size, c.rms_norm_eps));
  // inv_freq[i] = theta^(-2i/d), computed in fp32 like HF; kept out of the parameters.
  auto idx = torch::arange(0, c.head_dim, 2, torch::kInt64).to(torch::kFloat32) / static_cast<double>(c.head_dim);
  inv_freq = register_buffer("inv_freq", 1.0 / torch::pow(torch::tensor(c.rope_theta, torch::kFloat32), idx));
}

torch::Tensor Qwen2ModelImpl::forward(const torch::Tensor& inputs_embeds, const AttentionSpec& spec,
                                      const torch::Tensor& positions) {
  if (inputs_embeds.dim() != 3 || inputs_embeds.size(2) != config.hidden_size)
    fail("Qwen2: inputs_embeds must be [B, T, {}], got {}", config.hidden_size,
         fmt::format("{}", fmt::join(inputs_embeds.sizes(), ", ")));
  const int64_t B = inputs_embeds.size(0), T = inputs_embeds.size(1);
  // Plain causal rows need no dense mask: right padding sits after every valid token, so a
  // causal query never sees it, and the padded queries' outputs are ignored (label -100). SDPA's
  // is_causal then takes the fused kernels (flash attention on CUDA) and no [B,1,T,T] mask is
  // built. Per-sample rows keep their block-diagonal mask.
  auto layout = build_attention(spec, T, inputs_embeds.device(), /*with_mask=*/false);
  if (layout.valid.size(0) != B) fail("Qwen2: attention spec has {} rows, inputs have {}", layout.valid.size(0), B);
  if (positions.defined()) {
    if (positions.sizes() != torch::IntArrayRef({B, T})) fail("Qwen2: positions must be [B, T]");
    layout.positions = positions;
  }
  return forward_layout(inputs_embeds, layout);
}

torch::Tensor Qwen2ModelImpl::forward_layout(const torch::Tensor& inputs_embeds,
                                             const AttentionLayout& layout) {
  if (inputs_embeds.dim() != 3 || inputs_embeds.size(2) != config.hidden_size)
    fail("Qwen2: inputs_embeds must be [B, T, {}], got {}", config.hidden_size,
         fmt::format("{}", fmt::join(inputs_embeds.sizes(), ", ")));
  const int64_t B = inputs_embeds.size(0), T = inputs_embeds.size(1);
  if (layout.positions.sizes() != torch::IntArrayRef({B, T})) fail("Qwen2: positions must be [B, T]");
  auto [cos, sin] = rope(layout.positions);  // [B,T,d] fp32
  const auto& mask = layout.mask;
  auto h = inputs_embeds;  // [B,T,H]
  int index = 0;
  for (const auto& item : *layers) {
    auto layer = item->as<Qwen2DecoderLayer>();
    const int i = index++;
    if (auto* hooks = param_hooks) {
      auto block = [layer, c = cos, s = sin, mask](const torch::Tensor& x) {
        return layer->forward(x, c, s, mask);
      };
      hooks->gather(i, /*backward=*/false);
      if (torch::GradMode::is_enabled()) {
        // The parameters exist only while the layer runs: autograd must not keep them, so the
        // layer is recomputed in backward between a second gather and backward_done.
        if (!h.requires_grad())
          fail("Qwen2: layer-sharded training needs the decoder input to require gradients");
        h = checkpointed(
            block, h,
            {[hooks, i] { hooks->gather(i, /*backward=*/true); }, [hooks, i] { hooks->backward_done(i); }});
      } else {
        h = block(h);
      }
      hooks->release(i);
    } else if (checkpoint_layers && torch::GradMode::is_enabled()) {
      h = checkpointed(
          [layer, c = cos, s = sin, mask](const torch::Tensor& x) { return layer->forward(x, c, s, mask); },
          h);
    } else {
      h = layer->forward(h, cos, sin, mask);
    }
  }
  return norm(h);                                                              // [B,T,H]
}

std::pair<torch::Tensor, torch::Tensor> Qwen2ModelImpl::rope(const torch::Tensor& positions) {
  auto freqs = positions.to(torch::kFloat32).unsqueeze(-1) * inv_freq.to(positions.device()).view({1, 1, -1});  // [B,T,d/2]
  auto emb = torch::cat({freqs, freqs}, -1);  // [B,T,d] fp32
  return {emb.cos(), emb.sin()};
}

torch::Tensor cached_attention_mask(const torch::Tensor& key_valid, int64_t T) {
  if (key_valid.dim() != 2 || key_valid.size(1) < T) fail("attention mask: key_valid must be [B, P+T] with P >= 0");
  const int64_t B = key_valid.size(0), S = key_valid.size(1), P = S - T;
  const auto i64 = torch::TensorOptions().dtype(torch::kInt64).device(key_valid.device());
  auto kv = key_valid.to(torch::kBool);                                        // [B,S]
  auto qpos = torch::arange(P, S, i64).view({T, 1});                           // [T,1] absolute
  auto kpos = torch::arange(S, i64).view({1, S});                              // [1,S]
  auto mask = (kpos <= qpos).unsqueeze(0) & kv.unsqueeze(1);                   // [B,T,S]
  auto qvalid = kv.index({Slice(), Slice(P, S)});                              // [B,T]
  auto self = (kpos == qpos).unsqueeze(0) & qvalid.logical_not().unsqueeze(2);  // [B,T,S]
  return (mask | self).view({B, 1, T, S});
}

torch::Tensor Qwen2ModelImpl::forward_cached(const torch::Tensor& inputs_embeds, const torch::Tensor& positions,
                                             const torch::Tensor& key_valid, KVCache& cache) {
  if (inputs_embeds.dim() != 3 || inputs_embeds.size(2) != config.hidden_size)
    fail("Qwen2: inputs_embeds must be [B, T, {}], got {}", config.hidden_size,
         fmt::format("{}", fmt::join(inputs_embeds.sizes(), ", ")));
  const int64_t B = inputs_embeds.size(0), T = inputs_embeds.size(1), P = cache.length();
  if (T == 0) fail("Qwen2: forward_cached needs at least one new position");
  if (positions.sizes() != torch::IntArrayRef({B, T})) fail("Qwen2: positions must be [B, T] = [{}, {}]", B, T);
  if (key_valid.sizes() != torch::IntArrayRef({B, P + T}))
    fail("Qwen2: key_valid must be [B, cached + new] = [{}, {}], got [{}]", B, P + T,
         fmt::join(key_valid.sizes(), ", "));
  if (P > 0 && cache.batch_size() != B) fail("Qwen2: the KV cache holds {} rows, inputs have {}", cache.batch_size(), B);
  // No padding anywhere (one prompt, or equal lengths): a one-token step needs no mask and a
  // prefill only causality, which SDPA does faster than with an explicit mask.
  auto kv = key_valid.to(inputs_embeds.device());
  torch::Tensor mask;  // [B,1,T,P+T] bool, or undefined
  if (!((T == 1 || P == 0) && kv.all().item<bool>())) mask = cached_attention_mask(kv, T);
  auto [cos, sin] = rope(positions.to(inputs_embeds.device()));               // [B,T,d] fp32
  auto h = inputs_embeds;                                                      // [B,T,H]
  int64_t i = 0;
  for (const auto& layer : *layers)
    h = layer->as<Qwen2DecoderLayer>()->forward_cached(h, cos, sin, mask, cache, i++);
  cache.commit(T);
  return norm(h);  // [B,T,H]
}

Qwen2ForCausalLMImpl::Qwen2ForCausalLMImpl(const Qwen2Config& c) : config(c) {
  model = register_module("model", Qwen2Model(c));
  if (!c.tie_word_embeddings)
    lm_head = register_module("lm_head", torch::nn::Linear(torch::nn::LinearOptions(c.hidden_size, c.vocab_size).bias(false)));
}

torch::Tensor Qwen2ForCausalLMImpl::lm_logits(const torch::Tensor& hidden) {
  if (config.tie_word_embeddings) return torch::matmul(hidden, model->embed_tokens->weight.t());  // [B,T,V]
  return lm_head(hidden);                                                                       // [B,T,V]
}

torch::Tensor Qwen2ForCausalLMImpl::forward(const torch::Tensor& input_ids, const AttentionSpec& spec,
                                            const torch::Tensor& positions) {
  if (input_ids.dim() != 2) fail("Qwen2: input_ids must be [B, T]");
  return forward_embeds(model->embed_tokens(input_ids), spec, positions);  // [B,T,V]
}

torch::Tensor Qwen2ForCausalLMImpl::forward_embeds(const torch::Tensor& inputs_embeds, const AttentionSpec& spec,
                                                   const torch::Tensor& positions) {
  return lm_logits(model->forward(inputs_embeds, spec, positions));  // [B,T,V]
}

torch::Tensor Qwen2ForCausalLMImpl::forward_cached(const torch::Tensor& inputs_embeds, const torch::Tensor& positions,
                                                   const torch::Tensor& key_valid, KVCache& cache, bool last_only) {
  auto h = model->forward_cached(inputs_embeds, positions, key_valid, cache);  // [B,T,H]
  if (last_only) h = h.index({Slice(), Slice(-1, torch::indexing::None)});      // [B,1,H]
  return lm_logits(h);                                                         // [B,T|1,V]
}

void Qwen2ForCausalLMImpl::load_state(const std::map<std::string, torch::Tensor>& state, bool allow_unexpected) {
  // With tied embeddings a saved lm_head.weight is the embedding again: checked, not loaded.
  if (auto it = state.find("lm_head.weight");
      it != state.end() && config.tie_word_embeddings &&
      it->second.sizes() != torch::IntArrayRef({config.vocab_size, config.hidden_size}))
    fail("Qwen2 checkpoint: tensor 'lm_head.weight' has shape {}, expected [{}, {}]",
         shape_string(it->second.sizes()), config.vocab_size, config.hidden_size);
  load_module(*this, state, "", "Qwen2 checkpoint", [&](std::string_view name) {
    return allow_unexpected || (name == "lm_head.weight" && config.tie_word_embeddings) ||
           name.find("rotary_emb.inv_freq") != std::string_view::npos;  // recomputed from rope_theta
  });
}

Qwen2ForCausalLM load_qwen2_pretrained(const std::filesystem::path& dir, torch::Dtype dtype) {
  auto config = Qwen2Config::from_json_file((dir / "config.json").string());
  Qwen2ForCausalLM model(config);
  model->load_state(load_safetensors(dir));
  model->to(dtype);
  return model;
}

torch::Tensor causal_lm_loss(const torch::Tensor& logits, const torch::Tensor& labels) {
  if (logits.dim() != 3 || labels.dim() != 2 || logits.size(0) != labels.size(0) || logits.size(1) != labels.size(1))
    fail("causal_lm_loss: logits must be [B, T, V] and labels [B, T]");
  const int64_t V = logits.size(2);
  auto pred = logits.index({Slice(), Slice(0, -1)}).reshape({-1, V}).to(torch::kFloat32);  // [B*(T-1),V]
  auto target = labels.index({Slice(), Slice(1)}).reshape({-1}).to(torch::kInt64);          // [B*(T-1)]
  auto count = (target != -100).sum();                                                      // []
  auto total = F::cross_entropy(pred, target,
                                F::CrossEntropyFuncOptions().ignore_index(-100).reduction(torch::kSum));  // []
  return total / count.clamp_min(1).to(torch::kFloat32);                                    // []
}

}  // namespace oqvl::model
