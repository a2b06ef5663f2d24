// Runs a benchmark through an oqvl model the way the paper's harness does (docs/recipe.md §9.1): for each
// item the raw prompt (prompts.h), ids = [<s>] + the <image>-split tokenization, the image's
// projected tokens spliced in, greedy decoding of at most 16 new tokens stopping at the eval
// stop ids (".", ",", "\n", ...), decoded without special tokens and stripped. Items are batched
// (left padding, KV cache); every item's image goes through the vision tower once.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "oqvl/data/text/python_str.h"
#include "oqvl/data/text/tokenizer.h"
#include "oqvl/eval/benchmark.h"
#include "oqvl/eval/prompts.h"
#include "oqvl/model/vlm.h"

namespace oqvl::eval {

struct RunOptions {
  int batch_size = 8;
  std::int64_t max_new_tokens = 16;
  std::vector<std::int64_t> stop_ids;  // empty = stop_ids_for(bench.kind)
  std::int64_t image_tokens = 0;       // 0 = the model folder's
  PromptOptions prompt;
  // Few-shot (few_shot.h): these questions' blocks go before every prompt, their images first.
  std::vector<const McItem*> demonstrations;
  // With demonstrations: a prompt (image tokens included) plus max_new_tokens must fit in this
  // many positions (the paper trains at 4096), else oqvl::Error naming the item.
  std::int64_t max_context = 4096;
  // With demonstrations: run their shared prefix once and reuse its KV cache for every question
  // (shared_prefix.h); false runs each whole prompt (the reference path, --no-prefix-cache).
  bool reuse_prefix = true;
};

struct RunResult {
  std::vector<std::string> predictions;       // one per item, in order
  std::vector<std::vector<std::int64_t>> tokens;  // generated ids (stop id included)
  std::int64_t new_tokens = 0;
  double seconds = 0;
  // With demonstrations: questions that reused the shared prefix's cache / that ran their whole
  // prompt (reuse off, or a prompt not beginning with the prefix's ids), and the prefix's
  // positions (0 when it was not built).
  std::size_t prefix_reused = 0, prefix_recomputed = 0;
  std::int64_t prefix_positions = 0;
};

// The ids generation stops at for a benchmark kind: data::kEvalStopIds (the harness's list),
// and for the open kind also <|im_end|> (the eos every oqvl sample ends with) and
// <|endofchunk|> (the few-shot separator): decoding skips special tokens, so without them a model
// that ends its answer there would run on into a second answer and spoil the exact match.
std::vector<std::int64_t> stop_ids_for(BenchKind kind);

// AI2D (the harness asks for the probabilities of "A".."D" after the prompt and takes the
// argmax): the letters compared, A-D plus any further option letters of the item.
std::vector<std::string> scored_letters(const McItem& item);

// The letter among scored_letters(item) whose token has the highest next-token logit after
// `prompt_embeds` [L, H] (one prefill, float32 logits; the first of equal maxima). The
// normalised probabilities the harness compares have the same order.
std::string most_likely_letter(model::Qwen2ForCausalLM& llm, const data::Tokenizer& tokenizer,
                               const torch::Tensor& prompt_embeds, const McItem& item);

// Every placeholder of a prompt gets one of the item's images in order (cycled when the item has
// fewer, as MMMU's harness does). kAI2D items get most_likely_letter as their prediction (no
// generation, RunResult::tokens empty for them); the others greedy generation. With
// demonstrations and reuse_prefix (not for kAI2D) the demonstrations' prefix is run once
// (shared_prefix.h) and each batch generates after it.
// `on_batch(done)` is called after each batch (progress). oqvl::Error names the item whose image
// is missing or does not decode.
RunResult run_benchmark(model::OpenQwen2VL& model, const data::Tokenizer& tokenizer, const Benchmark& bench,
                        const RunOptions& options, const std::function<void(std::size_t)>& on_batch = {});

// Python's str.strip() (data/text/python_str.h), which the harness applies to every output.
using data::python_strip;

}  // namespace oqvl::eval
