#include "oqvl/eval/runner.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "oqvl/core/error.h"
#include "oqvl/core/interrupt.h"
#include "oqvl/data/text/image_prompt.h"
#include "oqvl/data/text/special_tokens.h"
#include "oqvl/eval/few_shot.h"
#include "oqvl/eval/shared_prefix.h"
#include "oqvl/model/generate.h"
#include "oqvl/model/kv_cache.h"

namespace oqvl::eval {

std::vector<std::int64_t> stop_ids_for(BenchKind kind) {
  std::vector<std::int64_t> ids = model::eval_stop_ids();
  if (open_answer_kind(kind)) {
    ids.push_back(data::kImEndId);
    ids.push_back(data::kEndOfChunkId);
  }
  return ids;
}

std::vector<std::string> scored_letters(const McItem& item) {
  std::vector<std::string> out = {"A", "B", "C", "D"};
  for (const auto& [letter, text] : item.options)
    if (std::find(out.begin(), out.end(), letter) == out.end()) out.push_back(letter);
  return out;
}

std::string most_likely_letter(model::Qwen2ForCausalLM& llm, const data::Tokenizer& tokenizer,
                               const torch::Tensor& prompt_embeds, const McItem& item) {
  // The prefill of one prompt (no padding, as the harness's batch of 1), last position's logits
  // in float32 as generation computes them.
  model::KVCache cache;
  const auto L = prompt_embeds.size(0);
  auto x = prompt_embeds.unsqueeze(0);
  auto positions = torch::arange(L, torch::dtype(torch::kInt64).device(x.device())).unsqueeze(0);
  auto valid = torch::ones({1, L}, torch::dtype(torch::kBool).device(x.device()));
  cache.reserve(L + 1);
  auto logits =
      llm->forward_cached(x, positions, valid, cache, /*last_only=*/true).view({-1}).to(torch::kFloat32);
  std::string best;
  float best_logit = 0;
  for (const std::string& letter : scored_letters(item)) {
    const auto id = tokenizer.encode(letter);
    if (id.size() != 1) fail("ai2d: the letter '{}' is not one token", letter);
    const float v = logits[id[0]].item<float>();
    if (best.empty() || v > best_logit) {  // the first of equal maxima, like np.argmax
      best = letter;
      best_logit = v;
    }
  }
  return best;
}

RunResult run_benchmark(model::OpenQwen2VL& model, const data::Tokenizer& tokenizer, const Benchmark& bench,
                        const RunOptions& options, const std::function<void(std::size_t)>& on_batch) {
  if (options.batch_size <= 0) fail("eval: batch size must be > 0");
  const auto& cfg = model->config();
  const auto image_tokens = options.image_tokens > 0 ? options.image_tokens : cfg.image_tokens;
  const auto& weight = model->llm->model->embed_tokens->weight;
  model::GenerationConfig gen;
  gen.max_new_tokens = options.max_new_tokens;
  gen.stop_ids = options.stop_ids.empty() ? stop_ids_for(bench.kind) : options.stop_ids;
  gen.pad_id = cfg.pad_id;
  data::ImagePromptOptions po;
  po.bos_id = cfg.bos_id;
  po.placeholder = cfg.image_placeholder;

  RunResult out;
  out.predictions.reserve(bench.items.size());
  const auto t0 = std::chrono::steady_clock::now();
  torch::InferenceMode inference;
  const bool letters = bench.kind == BenchKind::kAI2D;
  const std::size_t demos = options.demonstrations.size();
  const std::string prefix = few_shot_prefix(options.demonstrations);
  // The demonstrations' positions are the same for every question: run them once (the timing
  // includes it).
  std::optional<SharedPrefix> shared;
  if (demos > 0 && options.reuse_prefix && !letters) {
    shared = build_shared_prefix(model, tokenizer, options.demonstrations, image_tokens, po);
    out.prefix_positions = shared->positions;
  }
  for (std::size_t start = 0; start < bench.items.size(); start += options.batch_size) {
    throw_if_interrupted("eval");
    const std::size_t end = std::min(bench.items.size(), start + options.batch_size);
    std::vector<torch::Tensor> pixels;
    std::vector<std::vector<std::int64_t>> ids;  // a reused prompt's: only the part after the prefix
    std::vector<bool> reused;                    // per prompt: generates after the shared prefix
    std::vector<std::int64_t> first_image;  // prompt k's images: [first_image[k], first_image[k + 1])
    for (std::size_t i = start; i < end; ++i) {
      const auto& item = bench.items[i];
      const auto prompt = prefix + build_prompt(item, bench.kind, options.prompt);
      const std::size_t markers = data::count_image_markers(prompt);
      if (markers <= demos) fail("{}: item {}: the prompt has no image", bench.file.string(), item.index);
      ids.push_back(data::tokenize_image_prompt(tokenizer, prompt, po));
      if (demos > 0) {
        const auto positions = static_cast<std::int64_t>(ids.back().size()) +
                               static_cast<std::int64_t>(markers) * (image_tokens - 1);
        if (positions + options.max_new_tokens > options.max_context)
          fail("{}: item {}: with {} demonstrations the prompt takes {} positions (+{} to answer), more than "
               "the context of {}; use fewer --shots or a larger --context",
               bench.file.string(), item.index, demos, positions, options.max_new_tokens,
               options.max_context);
      }
      const bool reuse = shared && begins_with_prefix(*shared, ids.back());
      reused.push_back(reuse);
      if (demos > 0) ++(reuse ? out.prefix_reused : out.prefix_recomputed);
      if (reuse)
        ids.back().erase(ids.back().begin(), ids.back().begin() + static_cast<long>(shared->ids.size()));
      first_image.push_back(static_cast<std::int64_t>(pixels.size()));
      try {
        // One image per placeholder, in order: the demonstrations' first (already in the shared
        // prefix when reused), then the item's (cycled when it has fewer than its placeholders,
        // as the MMMU harness does; extra images are left out).
        const std::vector<std::string> images = item_images(item);
        for (std::size_t k = reuse ? demos : 0; k < markers; ++k) {
          const std::string bytes = k < demos ? item_image_bytes(*options.demonstrations[k])
                                              : images[(k - demos) % images.size()];
          pixels.push_back(model::preprocess_for_vlm(
              {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, cfg));
        }
      } catch (const Error& e) {
        fail("{}: item {} (line {}): image: {}", bench.file.string(), item.index, item.row, e.what());
      }
    }
    first_image.push_back(static_cast<std::int64_t>(pixels.size()));
    auto tokens = model->encode_images(torch::stack(pixels).to(weight.device(), weight.scalar_type()), image_tokens);
    std::vector<torch::Tensor> prompts;
    for (std::size_t k = 0; k < ids.size(); ++k)
      prompts.push_back(model->prompt_embeds(
          ids[k], tokens.narrow(0, first_image[k], first_image[k + 1] - first_image[k])));
    if (letters) {
      for (std::size_t k = 0; k < prompts.size(); ++k) {
        out.predictions.push_back(
            most_likely_letter(model->llm, tokenizer, prompts[k], bench.items[start + k]));
        out.tokens.emplace_back();
      }
    } else {
      // Reused prompts generate after the shared prefix, the others whole; results in item order.
      std::vector<torch::Tensor> after, whole;
      for (std::size_t k = 0; k < prompts.size(); ++k) (reused[k] ? after : whole).push_back(prompts[k]);
      std::vector<model::Generation> gen_after, gen_whole;
      if (!after.empty()) gen_after = model::generate_after_prefix(model->llm, shared->cache, after, gen);
      if (!whole.empty()) gen_whole = model::generate_from_embeds(model->llm, whole, gen);
      std::vector<model::Generation> results;
      for (std::size_t k = 0, a = 0, w = 0; k < prompts.size(); ++k)
        results.push_back(std::move(reused[k] ? gen_after[a++] : gen_whole[w++]));
      for (auto& r : results) {
        std::vector<std::int32_t> v(r.tokens.begin(), r.tokens.end());
        out.predictions.push_back(
            python_strip(tokenizer.decode(v, /*skip_special=*/true, /*skip_unknown=*/true)));
        out.new_tokens += static_cast<std::int64_t>(r.tokens.size());
        out.tokens.push_back(std::move(r.tokens));
      }
    }
    if (on_batch) on_batch(end - start);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace oqvl::eval
