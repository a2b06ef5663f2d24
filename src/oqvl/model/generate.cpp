#include "oqvl/model/generate.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "oqvl/core/error.h"
#include "oqvl/core/random.h"

namespace oqvl::model {

namespace {

using torch::indexing::Slice;

void check_config(const GenerationConfig& c, const DecodeFn& decode) {
  if (c.max_new_tokens < 0) fail("generate: max_new_tokens must be >= 0, got {}", c.max_new_tokens);
  if (c.do_sample) {
    if (!(c.temperature > 0) || !std::isfinite(c.temperature))
      fail("generate: temperature must be a positive number, got {}", c.temperature);
    if (!(c.top_p > 0 && c.top_p <= 1)) fail("generate: top_p must be in (0, 1], got {}", c.top_p);
    if (c.top_k < 0) fail("generate: top_k must be >= 0 (0 = off), got {}", c.top_k);
  }
  for (const auto& s : c.stop_strings)
    if (s.empty()) fail("generate: a stop string is empty");
  if (!c.stop_strings.empty() && !decode) fail("generate: stop_strings need a decode function");
}

// scores [b,V] float32 (one row per running prompt; rows[i] = its prompt index) -> tokens [b] int64 on CPU.
torch::Tensor choose(const torch::Tensor& scores, const GenerationConfig& c, std::vector<at::Generator>& gens,
                     const std::vector<int64_t>& rows) {
  if (!c.do_sample) return scores.argmax(-1).to(torch::kCPU);
  auto probs = torch::softmax(warp_logits(scores, c), -1).to(torch::kCPU);  // [b,V]
  auto out = torch::empty({scores.size(0)}, torch::kInt64);
  for (int64_t i = 0; i < scores.size(0); ++i)
    out[i] = at::multinomial(probs[i], 1, /*replacement=*/false, gens[rows[i]]).item<int64_t>();
  return out;
}

bool has_stop_string(const GenerationConfig& c, const DecodeFn& decode, const std::vector<int64_t>& tokens) {
  if (c.stop_strings.empty()) return false;
  const std::string text = decode(tokens);
  return std::any_of(c.stop_strings.begin(), c.stop_strings.end(),
                     [&](const std::string& s) { return text.find(s) != std::string::npos; });
}

// x [B,L,H] left-padded prompts in the model's dtype/device, valid [B,L] bool. `cache` is empty,
// or holds P positions of B rows that every row continues (a shared prefix, all valid): then the
// padding of x sits between the prefix and each row's own part, masked like left padding, and the
// positions count on from P.
std::vector<Generation> run(Qwen2ForCausalLM& llm, torch::Tensor x, torch::Tensor valid, KVCache cache,
                            const GenerationConfig& c, const DecodeFn& decode) {
  const int64_t B = x.size(0), L = x.size(1), P = cache.length();
  std::vector<Generation> out(B);
  if (c.max_new_tokens == 0) {
    for (auto& g : out) g.finish_reason = "length";
    return out;
  }
  std::vector<at::Generator> gens;
  if (c.do_sample) {  // prompt b's generator is seeded with the b-th SplitMix64(seed) output
    SplitMix64 seeds(c.seed);
    for (int64_t b = 0; b < B; ++b) gens.push_back(at::make_generator<at::CPUGeneratorImpl>(seeds.next()));
  }
  std::vector<int64_t> rows(B);  // prompt index of each batch row still running
  for (int64_t b = 0; b < B; ++b) rows[b] = b;

  cache.reserve(P + L + c.max_new_tokens);
  if (P > 0) valid = torch::cat({torch::ones({B, P}, valid.options()), valid}, 1);  // [B,P+L]
  // HF's positions for a left-padded prompt: cumsum(mask) - 1 (padding gets a dummy, masked anyway).
  auto positions = (valid.to(torch::kInt64).cumsum(1) - 1).clamp_min(0);               // [B,P+L]
  if (P > 0) positions = positions.index({Slice(), Slice(P, torch::indexing::None)});  // [B,L]
  auto logits = llm->forward_cached(x, positions, valid, cache, /*last_only=*/true);  // [B,1,V]
  auto next_pos = positions.index({Slice(), -1}) + 1;                                 // [b]
  const auto& stops = c.stop_ids;
  while (true) {
    auto scores = logits.index({Slice(), 0}).to(torch::kFloat32);  // [b,V]
    auto tok = choose(scores, c, gens, rows);                      // [b] CPU int64
    std::vector<int64_t> keep;                                     // batch rows that go on
    for (size_t i = 0; i < rows.size(); ++i) {
      auto& g = out[rows[i]];
      const int64_t t = tok[i].item<int64_t>();
      g.tokens.push_back(t);
      if (std::find(stops.begin(), stops.end(), t) != stops.end())
        g.finish_reason = "stop_id";
      else if (has_stop_string(c, decode, g.tokens))
        g.finish_reason = "stop_string";
      else if (static_cast<int64_t>(g.tokens.size()) >= c.max_new_tokens)
        g.finish_reason = "length";
      else
        keep.push_back(static_cast<int64_t>(i));
    }
    if (keep.empty()) break;
    auto next = tok;  // [b]
    if (keep.size() < rows.size()) {
      // Finished rows leave the batch; so do leading columns that are padding in every kept row.
      auto idx = torch::tensor(keep, torch::kInt64);
      auto idx_dev = idx.to(valid.device());
      valid = valid.index_select(0, idx_dev);
      next_pos = next_pos.index_select(0, idx_dev);
      next = next.index_select(0, idx);
      const int64_t drop = valid.any(0).to(torch::kInt64).argmax().item<int64_t>();
      valid = valid.index({Slice(), Slice(drop, torch::indexing::None)});
      cache.select(idx, drop);
      std::vector<int64_t> kept_rows;
      for (auto i : keep) kept_rows.push_back(rows[i]);
      rows = std::move(kept_rows);
    }
    const int64_t b = static_cast<int64_t>(rows.size());
    auto emb = llm->embed(next.to(x.device()).view({b, 1}));  // [b,1,H]
    valid = torch::cat({valid, torch::ones({b, 1}, valid.options())}, 1);
    logits = llm->forward_cached(emb, next_pos.view({b, 1}), valid, cache, /*last_only=*/true);  // [b,1,V]
    next_pos = next_pos + 1;
  }
  return out;
}

}  // namespace

torch::Tensor warp_logits(const torch::Tensor& scores_in, const GenerationConfig& c) {
  if (scores_in.dim() != 2) fail("warp_logits: scores must be [B, V]");
  const double neg_inf = -std::numeric_limits<double>::infinity();
  auto scores = scores_in.to(torch::kFloat32);
  if (c.temperature != 1.0) scores = scores / c.temperature;
  if (c.top_k > 0) {
    const int64_t k = std::min(c.top_k, scores.size(1));
    auto kth = std::get<0>(scores.topk(k, -1)).index({Slice(), Slice(-1, torch::indexing::None)});  // [B,1]
    scores = scores.masked_fill(scores < kth, neg_inf);
  }
  if (c.top_p < 1.0) {
    auto [sorted, order] = scores.sort(-1, /*descending=*/false);  // ascending
    auto cum = sorted.softmax(-1).cumsum(-1);                        // [B,V]
    auto remove = cum <= (1.0 - c.top_p);
    remove.index_put_({Slice(), -1}, false);  // the most likely token always stays
    scores = scores.masked_fill(remove.scatter(1, order, remove), neg_inf);
  }
  return scores;
}

namespace {

// prompt_embeds checked and left-padded into x [B,L,H] (the model's dtype/device) + valid [B,L].
std::pair<torch::Tensor, torch::Tensor> pad_embeds(Qwen2ForCausalLM& llm,
                                                   const std::vector<torch::Tensor>& prompt_embeds) {
  const auto& w = llm->model->embed_tokens->weight;
  const int64_t H = llm->config.hidden_size, B = static_cast<int64_t>(prompt_embeds.size());
  int64_t L = 0;
  for (int64_t i = 0; i < B; ++i) {
    const auto& p = prompt_embeds[i];
    if (!p.defined() || p.dim() != 2 || p.size(1) != H)
      fail("generate: prompt {} must be [L, {}] embeddings, got [{}]", i, H,
           p.defined() ? fmt::format("{}", fmt::join(p.sizes(), ", ")) : "undefined");
    if (p.size(0) == 0) fail("generate: prompt {} is empty", i);
    L = std::max(L, p.size(0));
  }
  auto x = torch::zeros({B, L, H}, w.options());
  auto valid = torch::zeros({B, L}, torch::TensorOptions().dtype(torch::kBool).device(w.device()));
  for (int64_t i = 0; i < B; ++i) {
    const int64_t n = prompt_embeds[i].size(0);
    x[i].index_put_({Slice(L - n, L)}, prompt_embeds[i].to(w.device(), w.scalar_type()));
    valid[i].index_put_({Slice(L - n, L)}, true);
  }
  return {x, valid};
}

}  // namespace

std::vector<Generation> generate_from_embeds(Qwen2ForCausalLM& llm,
                                             const std::vector<torch::Tensor>& prompt_embeds,
                                             const GenerationConfig& config, const DecodeFn& decode) {
  check_config(config, decode);
  if (prompt_embeds.empty()) return {};
  c10::InferenceMode guard;
  auto [x, valid] = pad_embeds(llm, prompt_embeds);
  return run(llm, x, valid, KVCache{}, config, decode);
}

KVCache prefill_prefix(Qwen2ForCausalLM& llm, const torch::Tensor& prefix_embeds) {
  const int64_t H = llm->config.hidden_size;
  if (!prefix_embeds.defined() || prefix_embeds.dim() != 2 || prefix_embeds.size(1) != H ||
      prefix_embeds.size(0) == 0)
    fail("generate: a prefix must be [P >= 1, {}] embeddings, got [{}]", H,
         prefix_embeds.defined() ? fmt::format("{}", fmt::join(prefix_embeds.sizes(), ", ")) : "undefined");
  c10::InferenceMode guard;
  const auto& w = llm->model->embed_tokens->weight;
  const int64_t P = prefix_embeds.size(0);
  auto x = prefix_embeds.to(w.device(), w.scalar_type()).unsqueeze(0);  // [1,P,H]
  // The same positions and validity generate_from_embeds gives an unpadded prompt's first P.
  auto positions = torch::arange(P, torch::dtype(torch::kInt64).device(w.device())).unsqueeze(0);
  auto valid = torch::ones({1, P}, torch::dtype(torch::kBool).device(w.device()));
  KVCache cache;
  cache.reserve(P);
  llm->forward_cached(x, positions, valid, cache, /*last_only=*/true);
  return cache;
}

std::vector<Generation> generate_after_prefix(Qwen2ForCausalLM& llm, const KVCache& prefix,
                                              const std::vector<torch::Tensor>& suffix_embeds,
                                              const GenerationConfig& config, const DecodeFn& decode) {
  check_config(config, decode);
  if (prefix.length() == 0 || prefix.batch_size() != 1)
    fail("generate: the prefix cache must hold one row of >= 1 positions (prefill_prefix)");
  if (suffix_embeds.empty()) return {};
  c10::InferenceMode guard;
  auto [x, valid] = pad_embeds(llm, suffix_embeds);
  const int64_t B = x.size(0);
  return run(llm, x, valid, prefix.broadcast(B, prefix.length() + x.size(1) + config.max_new_tokens), config,
             decode);
}

std::vector<Generation> generate_from_ids(Qwen2ForCausalLM& llm, const std::vector<std::vector<int64_t>>& prompts,
                                          const GenerationConfig& config, const DecodeFn& decode) {
  check_config(config, decode);
  if (prompts.empty()) return {};
  const int64_t V = llm->config.vocab_size, B = static_cast<int64_t>(prompts.size());
  if (config.pad_id < 0 || config.pad_id >= V)
    fail("generate: pad_id {} is outside the vocabulary [0, {})", config.pad_id, V);
  size_t L = 0;
  for (int64_t i = 0; i < B; ++i) {
    if (prompts[i].empty()) fail("generate: prompt {} is empty", i);
    for (size_t j = 0; j < prompts[i].size(); ++j)
      if (prompts[i][j] < 0 || prompts[i][j] >= V)
        fail("generate: prompt {} token {} is id {}, outside the vocabulary [0, {})", i, j, prompts[i][j], V);
    L = std::max(L, prompts[i].size());
  }
  c10::InferenceMode guard;
  const auto& w = llm->model->embed_tokens->weight;
  auto ids = torch::full({B, static_cast<int64_t>(L)}, config.pad_id, torch::kInt64);
  auto valid = torch::zeros({B, static_cast<int64_t>(L)}, torch::kBool);
  for (int64_t i = 0; i < B; ++i) {
    const int64_t n = static_cast<int64_t>(prompts[i].size()), start = static_cast<int64_t>(L) - n;
    ids[i].index_put_({Slice(start, torch::indexing::None)}, torch::tensor(prompts[i], torch::kInt64));
    valid[i].index_put_({Slice(start, torch::indexing::None)}, true);
  }
  return run(llm, llm->embed(ids.to(w.device())), valid.to(w.device()), KVCache{}, config, decode);
}

}  // namespace oqvl::model
