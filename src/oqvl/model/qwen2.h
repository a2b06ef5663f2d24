// Qwen2 decoder-only LLM (docs/recipe.md §5.3): token embedding -> N pre-norm decoder layers (GQA attention
// with q/k/v bias and rotate-half RoPE; SwiGLU MLP) -> final RMSNorm -> LM head (tied to the
// embedding when tie_word_embeddings). Parameter names match Hugging Face's Qwen2ForCausalLM
// (docs/recipe.md §10), so a checkpoint's name->tensor map loads with load_state().
//
// Attention over a packed row (docs/recipe.md §6) is chosen by an AttentionSpec:
//   causal(row_lengths)        plain causal over each row's valid prefix, positions 0..L-1 across
//                              the whole row (what the paper trains); padding masked.
//   per_sample(sample_lengths) block-diagonal causal: a token sees only earlier tokens of its own
//                              sample; positions restart at 0 for every sample; padding masked.
//
// Incremental decoding (generate.h) goes through forward_cached(): new positions attend to a
// KVCache of earlier ones under a per-key validity mask (left padding), see cached_attention_mask().
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <utility>

#include "oqvl/model/kv_cache.h"
#include "oqvl/model/qwen2_config.h"

namespace oqvl::model {

// Which tokens attend to which inside a batch of packed rows [B, T].
struct AttentionSpec {
  enum class Mode { kCausal, kPerSample };
  Mode mode = Mode::kCausal;
  torch::Tensor lengths;         // kCausal: [B] int64, valid tokens per row (the rest is padding)
  torch::Tensor sample_lengths;  // kPerSample: [B, S] int64, lengths of the row's samples in order
                                 // (0 = unused slot); the tokens after their sum are padding

  static AttentionSpec causal(torch::Tensor row_lengths);
  static AttentionSpec per_sample(torch::Tensor sample_lengths);
};

// The spec expanded for a row length T, on `device`.
struct AttentionLayout {
  torch::Tensor mask;       // [B, 1, T, T] bool, true = query i may attend key j (undefined:
                            // plain causal, see build_attention's with_mask)
  torch::Tensor positions;  // [B, T] int64 RoPE positions
  torch::Tensor valid;      // [B, T] bool, false on padding
};
// with_mask = false skips the dense mask for kCausal specs (the model's forward then uses SDPA's
// is_causal, see Qwen2ModelImpl::forward); kPerSample always gets its mask.
AttentionLayout build_attention(const AttentionSpec& spec, int64_t T, torch::Device device, bool with_mask = true);

// Mask for T new queries after P cached positions: key_valid [B, P+T] bool (false = padding, e.g.
// a left-padded prompt) -> [B, 1, T, P+T] bool. Query t (absolute position P+t) sees every valid
// key j <= P+t, which is Hugging Face's causal mask combined with a 2-D attention_mask. A padding
// query sees only itself, so no softmax row is empty and nothing is NaN (its output is unused).
torch::Tensor cached_attention_mask(const torch::Tensor& key_valid, int64_t T);

struct Qwen2RMSNormImpl : torch::nn::Module {
  Qwen2RMSNormImpl(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;
  double eps;
};
TORCH_MODULE(Qwen2RMSNorm);

struct Qwen2AttentionImpl : torch::nn::Module {
  explicit Qwen2AttentionImpl(const Qwen2Config& config);
  // x [B,T,H]; cos/sin [B,T,head_dim]; mask [B,1,T,T] bool, or undefined = plain causal
  // (SDPA is_causal).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& mask);
  // Same, with the new keys/values appended to `cache` (layer `layer`) and the queries attending
  // to all of that layer's cached positions; mask [B,1,T,P+T] bool, or undefined when nothing is
  // masked beyond causality: then T == 1 (the query sees every key) or P == 0 (plain causal).
  torch::Tensor forward_cached(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                               const torch::Tensor& mask, KVCache& cache, int64_t layer);
  // x [B,T,H] -> RoPE-rotated q [B,nh,T,d], k [B,nkv,T,d] and v [B,nkv,T,d].
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> project(const torch::Tensor& x, const torch::Tensor& cos,
                                                                  const torch::Tensor& sin);
  // q [B,nh,T,d], k/v [B,nkv,S,d] (before the GQA repeat), mask [B,1,T,S] -> [B,T,H]. With
  // is_causal (mask undefined, S == T) SDPA applies the causal mask itself, which is faster.
  torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                       const torch::Tensor& mask, bool is_causal = false);
  int64_t num_heads, num_kv_heads, head_dim;
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
};
TORCH_MODULE(Qwen2Attention);

struct Qwen2MLPImpl : torch::nn::Module {
  explicit Qwen2MLPImpl(const Qwen2Config& config);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(Qwen2MLP);

struct Qwen2DecoderLayerImpl : torch::nn::Module {
  explicit Qwen2DecoderLayerImpl(const Qwen2Config& config);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& mask);
  torch::Tensor forward_cached(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                               const torch::Tensor& mask, KVCache& cache, int64_t layer);
  Qwen2RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
  Qwen2Attention self_attn{nullptr};
  Qwen2MLP mlp{nullptr};
};
TORCH_MODULE(Qwen2DecoderLayer);

// Where a decoder layer's parameters live between its uses, for layer-sharded training
// (train/dist/sharded.h, full_shard): gather(i, backward) before layer i runs (its forward, and
// its re-run in backward: the next layer to run is i + 1 or i - 1, which a hook may prefetch);
// release(i) after its forward; backward_done(i) after its backward, when the layer's parameter
// gradients are complete and its parameters no longer needed (the hook releases them).
// Called on the thread that runs forward/backward; with hooks set, layers always run checkpointed.
struct LayerParamHooks {
  virtual ~LayerParamHooks() = default;
  virtual void gather(int layer, bool backward) = 0;
  virtual void release(int layer) = 0;
  virtual void backward_done(int layer) = 0;
};

// The decoder stack without the LM head ("model." in checkpoints).
struct Qwen2ModelImpl : torch::nn::Module {
  explicit Qwen2ModelImpl(const Qwen2Config& config);
  // inputs_embeds [B,T,H] -> final hidden states [B,T,H]. positions [B,T] int64 overrides the
  // spec's positions when defined.
  torch::Tensor forward(const torch::Tensor& inputs_embeds, const AttentionSpec& spec,
                        const torch::Tensor& positions = {});
  // Same with the layout already built (build_attention(spec, T, device, with_mask = false), e.g.
  // on the host by a loader thread and copied over): no host synchronisation here.
  torch::Tensor forward_layout(const torch::Tensor& inputs_embeds, const AttentionLayout& layout);
  // Training: recompute each decoder layer in backward instead of keeping its activations
  // (activation_checkpoint.h), trading one more forward for memory.
  bool checkpoint_layers = false;
  // Training with layer-sharded parameters (LayerParamHooks above); not owned, null = none.
  LayerParamHooks* param_hooks = nullptr;
  // Incremental: inputs_embeds [B,T,H] at RoPE positions [B,T] int64, key_valid [B,P+T] bool with
  // P = cache.length() -> final hidden states [B,T,H]; appends the T positions to `cache`.
  torch::Tensor forward_cached(const torch::Tensor& inputs_embeds, const torch::Tensor& positions,
                               const torch::Tensor& key_valid, KVCache& cache);
  // RoPE tables for positions [B,T] -> cos, sin [B,T,head_dim] float32.
  std::pair<torch::Tensor, torch::Tensor> rope(const torch::Tensor& positions);
  Qwen2Config config;
  torch::Tensor inv_freq;  // [head_dim/2] float32 buffer (not a checkpoint key)
  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  Qwen2RMSNorm norm{nullptr};
};
TORCH_MODULE(Qwen2Model);

struct Qwen2ForCausalLMImpl : torch::nn::Module {
  explicit Qwen2ForCausalLMImpl(const Qwen2Config& config);
  // input_ids [B,T] int64 -> logits [B,T,V].
  torch::Tensor forward(const torch::Tensor& input_ids, const AttentionSpec& spec,
                        const torch::Tensor& positions = {});
  // inputs_embeds [B,T,H] (e.g. text embeddings with image tokens spliced in) -> logits [B,T,V].
  torch::Tensor forward_embeds(const torch::Tensor& inputs_embeds, const AttentionSpec& spec,
                               const torch::Tensor& positions = {});
  // Incremental decoding (see Qwen2ModelImpl::forward_cached): logits [B,T,V] of the T new
  // positions, or only the last one's [B,1,V] when last_only (what generation needs: it skips the
  // LM head over a long prompt, T*V*H multiply-adds). With left padding the last position is
  // valid in every row. Positions follow HF for a left-padded prompt: cumsum(valid) - 1.
  torch::Tensor forward_cached(const torch::Tensor& inputs_embeds, const torch::Tensor& positions,
                               const torch::Tensor& key_valid, KVCache& cache, bool last_only = false);
  // Hidden states [B,T,H] -> logits [B,T,V] (tied: the embedding matrix).
  torch::Tensor lm_logits(const torch::Tensor& hidden);
  torch::Tensor embed(const torch::Tensor& input_ids) { return model->embed_tokens(input_ids); }

  // Copies a checkpoint's tensors (HF names, docs/recipe.md §10) into the parameters, converting dtype.
  // Throws oqvl::Error naming every missing key, the first wrong shape, or (unless
  // allow_unexpected) an unknown key. With tied embeddings "lm_head.weight" is optional and, if
  // present, only shape-checked.
  void load_state(const std::map<std::string, torch::Tensor>& state, bool allow_unexpected = false);

  Qwen2Config config;
  Qwen2Model model{nullptr};
  torch::nn::Linear lm_head{nullptr};  // only when !tie_word_embeddings
};
TORCH_MODULE(Qwen2ForCausalLM);

// A Hugging Face checkpoint folder: config.json plus model.safetensors or a sharded
// model.safetensors.index.json. Weights are loaded into fp32 parameters, then cast to `dtype`.
Qwen2ForCausalLM load_qwen2_pretrained(const std::filesystem::path& dir,
                                       torch::Dtype dtype = torch::kFloat32);

// Token-mean cross entropy with Hugging Face's shift: logits[:, :-1] predict labels[:, 1:];
// labels == -100 are ignored. logits [B,T,V], labels [B,T] int64 -> scalar (float32).
// With no counted label the result is 0 (still connected to the graph).
torch::Tensor causal_lm_loss(const torch::Tensor& logits, const torch::Tensor& labels);

}  // namespace oqvl::model
