// Text generation with the Qwen2 decoder and a KV cache, token-for-token equal to Hugging Face
// transformers' `generate` for greedy decoding (tests/model/generate_test.cpp against
// tools/make_generate_goldens.py).
//
// Prompts of different lengths are batched with LEFT padding (as HF does for decoder-only models):
// one prefill over the padded batch, then one token per step for the rows still running. A row
// finishes on a stop id, a stop string or after max_new_tokens; finished rows leave the batch (and
// so do padding columns no remaining row needs), which changes other rows' results by fp noise at
// most, never by design.
//
// The Open-Qwen2VL evaluation (docs/recipe.md §9.1) decodes greedily with max_new_tokens = 16 and stops at
// data::kEvalStopIds (text/special_tokens.h). Express it as
//   GenerationConfig c;  c.max_new_tokens = 16;  c.stop_ids = eval_stop_ids();
// and decode the returned tokens with skip_special_tokens, then strip. As in HF, the stop token is
// part of Generation::tokens.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "oqvl/data/text/special_tokens.h"
#include "oqvl/model/qwen2.h"

namespace oqvl::model {

// data::kEvalStopIds (vlm-evaluation's eos_token_id list, in its order) as generation takes them.
inline std::vector<int64_t> eval_stop_ids() { return {data::kEvalStopIds.begin(), data::kEvalStopIds.end()}; }

struct GenerationConfig {
  int64_t max_new_tokens = 16;
  bool do_sample = false;  // false: greedy (argmax; the first index on ties, like torch.argmax)
  // Sampling only, applied in HF's order: logits / temperature, then top-k, then top-p, then one
  // multinomial draw from the softmax. temperature 1, top_k 0 and top_p 1 switch a step off.
  double temperature = 1.0;
  double top_p = 1.0;
  int64_t top_k = 0;
  // Prompt i draws from its own CPU generator, seeded with the i-th output of SplitMix64(seed)
  // (core/random.h): its random numbers are the same on CPU and CUDA and do not depend on the other
  // rows of the batch (only on i). Not HF's random stream: sampled tokens are not HF's.
  uint64_t seed = 0;
  std::vector<int64_t> stop_ids;
  // After each token the row's new tokens are decoded and generation stops when any of these
  // occurs in the text (needs a decode function).
  std::vector<std::string> stop_strings;
  // Fills the left padding of generate_from_ids (masked out, so the value never changes a result;
  // it must be a valid id). Default: Qwen's <|endoftext|>.
  int64_t pad_id = data::kPadId;
};

struct Generation {
  std::vector<int64_t> tokens;  // new tokens only, including the stop token that ended it (like HF)
  std::string finish_reason;    // "stop_id" | "stop_string" | "length"
};

using DecodeFn = std::function<std::string(const std::vector<int64_t>&)>;

// prompt_embeds: one [L_i, H] tensor per prompt (L_i >= 1, any dtype/device; converted to the
// model's). Returns one Generation per prompt, in order. Runs under InferenceMode on the model's
// device and dtype; logits are processed in float32 (as HF does). Throws oqvl::Error on bad input.
std::vector<Generation> generate_from_embeds(Qwen2ForCausalLM& llm, const std::vector<torch::Tensor>& prompt_embeds,
                                             const GenerationConfig& config, const DecodeFn& decode = {});

// A shared prefix run once (e.g. the few-shot demonstrations before every question of a seed):
// prefix_embeds [P, H] (P >= 1, any dtype/device) -> a one-row KV cache of its P positions, with
// the positions and validity generate_from_embeds gives the first P positions of an unpadded
// prompt. Runs under InferenceMode. oqvl::Error on a malformed prefix.
KVCache prefill_prefix(Qwen2ForCausalLM& llm, const torch::Tensor& prefix_embeds);

// Greedy/sampled generation for prompts that all begin with the prefix `prefix` holds
// (prefill_prefix): suffix_embeds are each prompt's remaining [S_i, H] embeddings (S_i >= 1).
// The prefix is copied to every row (`prefix` itself is left as it is, reusable for the next
// batch); only the suffixes are run, left-padded between the prefix and each suffix (masked,
// positions P.. as in the unpadded prompt), so the result is generate_from_embeds on
// cat(prefix, suffix_i) up to float rounding (a different batch shape / attention kernel for the
// prefix positions; the same tokens unless two logits are within rounding of each other).
std::vector<Generation> generate_after_prefix(Qwen2ForCausalLM& llm, const KVCache& prefix,
                                              const std::vector<torch::Tensor>& suffix_embeds,
                                              const GenerationConfig& config, const DecodeFn& decode = {});

// prompts: token ids, each non-empty and in [0, vocab_size).
std::vector<Generation> generate_from_ids(Qwen2ForCausalLM& llm, const std::vector<std::vector<int64_t>>& prompts,
                                          const GenerationConfig& config, const DecodeFn& decode = {});

// The sampling logits processors: scores [B,V] float32 -> scores with filtered entries at -inf
// (temperature, then top-k keeping ties with the k-th value, then top-p dropping the smallest
// tokens whose cumulative probability is <= 1 - top_p, always keeping the most likely one), the
// same rules as HF's TemperatureLogitsWarper, TopKLogitsWarper and TopPLogitsWarper.
torch::Tensor warp_logits(const torch::Tensor& scores, const GenerationConfig& config);

}  // namespace oqvl::model
