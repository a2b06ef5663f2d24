// Few-shot prefix reuse. Every question of a few-shot run begins with the same demonstrations
// ([<s>] + K blocks with one image each, few_shot.h; drawn once per seed, the harness's protocol),
// so their K vision encodings and the LLM's forward over those positions are done once per run
// and the resulting KV cache is copied into each batch (model::generate_after_prefix); per
// question only its own ids and image are run. Predictions equal the whole-prompt path up to
// float rounding (docs/eval.md: checked identical on the test fixtures; `oqvl eval
// --no-prefix-cache` runs the whole prompt for every question).
//
// Not thread-safe while being built (it runs the model); afterwards read-only, so batches may
// share it.
#pragma once

#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "oqvl/data/text/image_prompt.h"
#include "oqvl/data/text/tokenizer.h"
#include "oqvl/eval/benchmark.h"
#include "oqvl/model/kv_cache.h"
#include "oqvl/model/vlm.h"

namespace oqvl::eval {

struct SharedPrefix {
  // [<s>] + the demonstrations' blocks tokenized as every prompt begins (tokenize_image_prompt of
  // few_shot_prefix(demonstrations)), one placeholder per demonstration.
  std::vector<std::int64_t> ids;
  std::size_t images = 0;      // placeholders in ids (= the demonstrations)
  std::int64_t positions = 0;  // ids with each placeholder expanded to its image tokens
  model::KVCache cache;        // one row, `positions` positions of the LLM
};

// Tokenizes, encodes the demonstrations' images (image_tokens each) and runs the LLM over the
// prefix once (model::prefill_prefix). oqvl::Error when there are no demonstrations or one's
// image is missing or does not decode (naming its index and line).
SharedPrefix build_shared_prefix(model::OpenQwen2VL& model, const data::Tokenizer& tokenizer,
                                 const std::vector<const McItem*>& demonstrations, std::int64_t image_tokens,
                                 const data::ImagePromptOptions& prompt_options);

// Whether a prompt's ids begin with the prefix's ids (then ids[prefix.ids.size():] is the part to
// run and the prompt's first prefix.images images are the demonstrations'). A prompt whose
// tokenization does not split at the prefix's end (a question text that merges with the last
// block's tokens) does not, and is run whole.
bool begins_with_prefix(const SharedPrefix& prefix, std::span<const std::int64_t> ids);

}  // namespace oqvl::eval
