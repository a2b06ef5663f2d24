// KV-cache generation vs Hugging Face `generate` (goldens from tools/make_generate_goldens.py).
#include "oqvl/model/generate.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "oqvl/core/error.h"
#include "oqvl/model/runtime.h"
#include "torch_test_util.h"

namespace oqvl::model {
namespace {

using torch::indexing::Slice;

struct Golden {
  std::map<std::string, torch::Tensor> g;
  Qwen2Config config;
  Qwen2ForCausalLM model{nullptr};
  Golden() {
    set_torch_threads(2);
    g = oqvl::test::read_fixture_tensors("model/generate_tiny.pt");
    auto cj = g.at("config_json").contiguous();
    config = Qwen2Config::from_json(nlohmann::json::parse(
        std::string(reinterpret_cast<const char*>(cj.data_ptr<uint8_t>()), cj.numel())));
    model = Qwen2ForCausalLM(config);
    std::map<std::string, torch::Tensor> w;
    for (const auto& [k, v] : g)
      if (k.rfind("w.", 0) == 0) w[k.substr(2)] = v;
    model->load_state(w);
    model->eval();
  }
  static Golden& get() {
    static Golden f;
    return f;
  }
  std::vector<int64_t> prompt(int64_t i) const {
    auto t = g.at("p." + std::to_string(i)).contiguous();
    return {t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel()};
  }
  std::vector<int64_t> ints(const std::string& key) const {
    auto t = g.at(key).to(torch::kInt64).contiguous();
    return {t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel()};
  }
  // Row r of a case's expected tokens (the -1 padding removed).
  std::vector<int64_t> expected(const std::string& name, int64_t r) const {
    std::vector<int64_t> out;
    auto t = g.at(name + ".tokens")[r];
    for (int64_t i = 0; i < t.size(0); ++i)
      if (t[i].item<int64_t>() >= 0) out.push_back(t[i].item<int64_t>());
    return out;
  }
};

GenerationConfig greedy(int64_t max_new) {
  GenerationConfig c;
  c.max_new_tokens = max_new;
  c.pad_id = 0;
  return c;
}

using oqvl::test::relative_error;

// Runs a golden case through generate_from_ids / _from_embeds and checks every row's tokens and
// finish reason against HF.
void check_case(const std::string& name) {
  auto& f = Golden::get();
  auto rows = f.ints(name + ".rows");
  auto c = greedy(f.g.at(name + ".max_new").item<int64_t>());
  c.stop_ids = f.ints(name + ".stop_ids");
  std::vector<Generation> got;
  if (f.g.at(name + ".embeds").item<int64_t>()) {
    std::vector<torch::Tensor> embeds;
    for (auto r : rows) embeds.push_back(f.g.at("e." + std::to_string(r)));
    got = generate_from_embeds(f.model, embeds, c);
  } else {
    std::vector<std::vector<int64_t>> prompts;
    for (auto r : rows) prompts.push_back(f.prompt(r));
    got = generate_from_ids(f.model, prompts, c);
  }
  ASSERT_EQ(got.size(), rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    auto want = f.expected(name, r);
    EXPECT_EQ(got[r].tokens, want) << "case " << name << " row " << r;
    const bool stopped = !want.empty() && std::find(c.stop_ids.begin(), c.stop_ids.end(), want.back()) != c.stop_ids.end();
    EXPECT_EQ(got[r].finish_reason, stopped ? "stop_id" : "length") << "case " << name << " row " << r;
  }
}

TEST(Generate, GreedyOnePromptMatchesHF) { check_case("a"); }
TEST(Generate, GreedyLeftPaddedBatchMatchesHF) { check_case("b"); }
TEST(Generate, GreedyFromEmbedsMatchesHF) { check_case("c"); }
TEST(Generate, StopIdsMatchHF) {
  auto& f = Golden::get();
  // The golden really mixes early stops and rows that run to max_new_tokens.
  int early = 0, full = 0;
  for (int64_t r = 0; r < 4; ++r) (static_cast<int64_t>(f.expected("d", r).size()) < 16 ? early : full)++;
  EXPECT_GE(early, 2);
  EXPECT_GE(full, 1);
  check_case("d");
}
TEST(Generate, OneAndManyNewTokensMatchHF) {
  check_case("e1");
  check_case("e24");
  std::cout << "golden min top-1/top-2 logit margin " << Golden::get().g.at("min_margin").item<double>() << "\n";
}

TEST(Generate, RowsDoNotDependOnBatchComposition) {
  auto& f = Golden::get();
  auto c = greedy(16);
  c.stop_ids = f.ints("d.stop_ids");
  for (int64_t r = 0; r < 4; ++r) {
    auto alone = generate_from_ids(f.model, {f.prompt(r)}, c);
    EXPECT_EQ(alone[0].tokens, f.expected("d", r)) << "row " << r;
  }
  auto rev = generate_from_ids(f.model, {f.prompt(3), f.prompt(2), f.prompt(1), f.prompt(0)}, c);
  for (int64_t r = 0; r < 4; ++r) EXPECT_EQ(rev[3 - r].tokens, f.expected("d", r)) << "row " << r;
}

// Drives forward_cached by hand over left-padded prompts (prefill, six one-token steps, one
// three-token step) and compares every new position's logits with the no-cache forward over that
// row's tokens alone. Returns the worst relative error.
double cache_vs_full(std::vector<std::vector<int64_t>> seqs) {
  auto& f = Golden::get();
  torch::NoGradGuard ng;
  int64_t L = 0;
  for (const auto& s : seqs) L = std::max<int64_t>(L, s.size());
  const int64_t B = seqs.size();
  auto ids = torch::zeros({B, L}, torch::kInt64);
  auto valid = torch::zeros({B, L}, torch::kBool);
  for (int64_t r = 0; r < B; ++r) {
    const int64_t n = seqs[r].size();
    ids[r].index_put_({Slice(L - n, L)}, torch::tensor(seqs[r], torch::kInt64));
    valid[r].index_put_({Slice(L - n, L)}, true);
  }
  auto pos = (valid.to(torch::kInt64).cumsum(1) - 1).clamp_min(0);
  KVCache cache;
  auto logits = f.model->forward_cached(f.model->embed(ids), pos, valid, cache);  // [B,L,V]
  EXPECT_FALSE(logits.isnan().any().item<bool>()) << "padding queries must stay finite";
  double worst = 0;
  auto alone_logits = [&](int64_t r) {  // no-cache forward over the row's tokens alone
    auto t = torch::tensor(seqs[r], torch::kInt64).unsqueeze(0);
    return f.model->forward(t, AttentionSpec::causal(torch::tensor({t.size(1)}, torch::kInt64)))[0];  // [n,V]
  };
  for (int64_t r = 0; r < B; ++r) {
    const int64_t n = seqs[r].size();
    worst = std::max(worst, relative_error(logits[r].index({Slice(L - n, L)}), alone_logits(r)));
  }
  auto next_pos = pos.index({Slice(), -1}) + 1;  // [B]
  for (int step = 0; step < 7; ++step) {
    const int64_t T = step < 6 ? 1 : 3;
    auto last = logits.index({Slice(), -1}).argmax(-1);  // [B]
    auto new_ids = torch::empty({B, T}, torch::kInt64);
    for (int64_t r = 0; r < B; ++r)
      for (int64_t t = 0; t < T; ++t) {
        const int64_t tok = t == 0 ? last[r].item<int64_t>() : (17 * step + 31 * r + t) % f.config.vocab_size;
        new_ids[r][t] = tok;
        seqs[r].push_back(tok);
      }
    auto p = next_pos.unsqueeze(1) + torch::arange(T, torch::kInt64).unsqueeze(0);  // [B,T]
    valid = torch::cat({valid, torch::ones({B, T}, torch::kBool)}, 1);
    logits = f.model->forward_cached(f.model->embed(new_ids), p, valid, cache);  // [B,T,V]
    next_pos = next_pos + T;
    EXPECT_EQ(cache.length(), valid.size(1));
    for (int64_t r = 0; r < B; ++r) {
      auto full = alone_logits(r);
      auto err = relative_error(logits[r], full.index({Slice(full.size(0) - T, torch::indexing::None)}));
      worst = std::max(worst, err);
      EXPECT_LE(err, 1e-5) << "step " << step << " row " << r;
    }
  }
  return worst;
}

TEST(Generate, KVCacheLogitsEqualFullForward) {
  auto& f = Golden::get();
  // Left-padded batch (explicit masks everywhere).
  const double padded = cache_vs_full({f.prompt(0), f.prompt(1), f.prompt(2), f.prompt(3)});
  // No padding: one row, and two rows of equal length (mask-free prefill and one-token steps).
  auto p3 = f.prompt(3);
  p3.resize(f.prompt(0).size());
  const double single = cache_vs_full({f.prompt(1)});
  const double equal = cache_vs_full({f.prompt(0), p3});
  std::cout << "KV-cache vs full forward: worst logits rel err " << padded << " (padded batch), " << single
            << " (one row), " << equal << " (equal lengths)\n";
  EXPECT_LE(std::max({padded, single, equal}), 1e-5);
  // last_only returns the final position's logits only.
  torch::NoGradGuard ng;
  KVCache c2;
  auto ids = torch::tensor(f.prompt(1), torch::kInt64).unsqueeze(0);
  auto last = f.model->forward_cached(f.model->embed(ids), torch::arange(ids.size(1)).unsqueeze(0),
                                      torch::ones_like(ids, torch::kBool), c2, true);
  EXPECT_EQ(last.sizes(), torch::IntArrayRef({1, 1, f.config.vocab_size}));
}

TEST(Generate, CachedMaskSemantics) {
  // One row: padding, padding, then 3 valid cached tokens; 2 new queries.
  auto kv = torch::tensor({{false, false, true, true, true, true, true}});
  auto m = cached_attention_mask(kv, 2)[0][0];  // [2,7]
  EXPECT_TRUE(torch::equal(m[0], torch::tensor({false, false, true, true, true, true, false})));
  EXPECT_TRUE(torch::equal(m[1], torch::tensor({false, false, true, true, true, true, true})));
  auto pad = cached_attention_mask(torch::tensor({{false, false, true}}), 3)[0][0];  // prefill
  EXPECT_TRUE(torch::equal(pad[0], torch::tensor({true, false, false})));  // padding query: itself only
  EXPECT_TRUE(torch::equal(pad[1], torch::tensor({false, true, false})));
  EXPECT_TRUE(torch::equal(pad[2], torch::tensor({false, false, true})));
}

TEST(Generate, WarpersMatchHF) {
  auto& f = Golden::get();
  auto scores = f.g.at("warp.scores");
  for (int k = 0; k < 4; ++k) {
    auto params = f.g.at("warp." + std::to_string(k) + ".params");
    GenerationConfig c;
    c.do_sample = true;
    c.temperature = params[0].item<double>();
    c.top_k = static_cast<int64_t>(params[1].item<double>());
    c.top_p = params[2].item<double>();
    auto got = warp_logits(scores, c);
    auto want = f.g.at("warp." + std::to_string(k) + ".out");
    auto kept = want.isfinite();
    EXPECT_TRUE(torch::equal(got.isfinite(), kept)) << "warper set " << k;
    EXPECT_LE(relative_error(got.index({kept}), want.index({kept})), 1e-6) << "warper set " << k;
  }
}

std::vector<std::vector<int64_t>> batch_prompts() {
  auto& f = Golden::get();
  return {f.prompt(0), f.prompt(1), f.prompt(2), f.prompt(3)};
}

TEST(Generate, SamplingDegeneratesToGreedy) {
  auto& f = Golden::get();
  auto c = greedy(16);
  c.do_sample = true;
  c.seed = 7;
  c.top_k = 1;
  auto k1 = generate_from_ids(f.model, batch_prompts(), c);
  c.top_k = 0;
  c.top_p = 1e-6;
  auto p0 = generate_from_ids(f.model, batch_prompts(), c);
  for (int64_t r = 0; r < 4; ++r) {
    EXPECT_EQ(k1[r].tokens, f.expected("b", r)) << "top_k=1 row " << r;
    EXPECT_EQ(p0[r].tokens, f.expected("b", r)) << "tiny top_p row " << r;
  }
}

TEST(Generate, SamplingIsSeeded) {
  auto& f = Golden::get();
  auto c = greedy(16);
  c.do_sample = true;
  c.temperature = 1.2;
  c.seed = 11;
  auto a = generate_from_ids(f.model, batch_prompts(), c);
  auto b = generate_from_ids(f.model, batch_prompts(), c);
  c.seed = 12;
  auto d = generate_from_ids(f.model, batch_prompts(), c);
  int differ = 0;
  for (int64_t r = 0; r < 4; ++r) {
    EXPECT_EQ(a[r].tokens, b[r].tokens) << "row " << r;
    differ += a[r].tokens != d[r].tokens;
  }
  EXPECT_GE(differ, 3);
  // A row's draws depend on its index and the seed, not on the other rows.
  c.seed = 11;
  auto other = generate_from_ids(f.model, {f.prompt(0), f.prompt(3), f.prompt(1)}, c);
  EXPECT_EQ(other[0].tokens, a[0].tokens);
}

// Total variation between the empirical first-token distribution of n draws (every row the same
// prompt) and `probs`, over the 8 most likely tokens plus one bucket for the rest (a full-vocabulary
// TV would be dominated by sampling noise at this n).
double first_token_tv(const std::vector<Generation>& gens, const torch::Tensor& probs) {
  auto order = probs.argsort(-1, /*descending=*/true);
  std::map<int64_t, int> bucket;
  for (int i = 0; i < 8; ++i) bucket[order[i].item<int64_t>()] = i;
  std::vector<double> emp(9, 0.0), ref(9, 0.0);
  for (const auto& g : gens) {
    auto it = bucket.find(g.tokens.at(0));
    emp[it == bucket.end() ? 8 : it->second] += 1.0 / gens.size();
  }
  for (int64_t v = 0; v < probs.size(0); ++v) {
    auto it = bucket.find(v);
    ref[it == bucket.end() ? 8 : it->second] += probs[v].item<double>();
  }
  double tv = 0;
  for (int i = 0; i < 9; ++i) tv += 0.5 * std::abs(emp[i] - ref[i]);
  return tv;
}

TEST(Generate, SampledFirstTokenFollowsSoftmax) {
  auto& f = Golden::get();
  auto prompt = f.prompt(0);
  torch::Tensor logits;
  {
    torch::NoGradGuard ng;
    auto t = torch::tensor(prompt, torch::kInt64).unsqueeze(0);
    logits = f.model->forward(t, AttentionSpec::causal(torch::tensor({t.size(1)}, torch::kInt64)))[0][-1];  // [V]
  }
  const int n = 2000;
  std::vector<std::vector<int64_t>> prompts(n, prompt);
  auto c = greedy(1);
  c.do_sample = true;
  c.seed = 3;
  auto plain = generate_from_ids(f.model, prompts, c);
  auto tv = first_token_tv(plain, torch::softmax(logits, -1));
  // Temperature and top-k: the reference is the softmax of the warped logits.
  c.temperature = 0.6;
  c.top_k = 5;
  auto warped = generate_from_ids(f.model, prompts, c);
  auto wprobs = torch::softmax(warp_logits(logits.unsqueeze(0), c)[0], -1);
  auto tv2 = first_token_tv(warped, wprobs);
  int outside = 0;
  for (const auto& g : warped) outside += wprobs[g.tokens[0]].item<double>() == 0.0;
  std::cout << "first-token TV over " << n << " draws: plain " << tv << ", T=0.6 top-5 " << tv2
            << " (top prob " << torch::softmax(logits, -1).max().item<double>() << ")\n";
  EXPECT_LT(tv, 0.1);
  EXPECT_LT(tv2, 0.1);
  EXPECT_EQ(outside, 0) << "a draw outside the top-k";
}

TEST(Generate, StopStrings) {
  auto& f = Golden::get();
  // "[id]" per token, so a stop string can span tokens.
  DecodeFn decode = [](const std::vector<int64_t>& ids) {
    std::string s;
    for (auto i : ids) s += "[" + std::to_string(i) + "]";
    return s;
  };
  std::vector<std::vector<int64_t>> ref;
  for (int64_t r = 0; r < 4; ++r) ref.push_back(f.expected("b", r));
  auto c = greedy(16);
  const std::string one = "[" + std::to_string(ref[0][4]) + "]";
  const std::string two = "[" + std::to_string(ref[2][2]) + "][" + std::to_string(ref[2][3]) + "]";
  c.stop_strings = {one, two};
  auto got = generate_from_ids(f.model, batch_prompts(), c, decode);
  for (int64_t r = 0; r < 4; ++r) {
    // Expected: the greedy tokens up to the first prefix whose text contains a stop string.
    std::vector<int64_t> want;
    std::string reason = "length";
    for (auto t : ref[r]) {
      want.push_back(t);
      auto text = decode(want);
      if (text.find(one) != std::string::npos || text.find(two) != std::string::npos) {
        reason = "stop_string";
        break;
      }
    }
    EXPECT_EQ(got[r].tokens, want) << "row " << r;
    EXPECT_EQ(got[r].finish_reason, reason) << "row " << r;
  }
  EXPECT_EQ(got[0].finish_reason, "stop_string");
  EXPECT_LE(got[0].tokens.size(), 5u);
  EXPECT_EQ(got[2].finish_reason, "stop_string");
  EXPECT_LE(got[2].tokens.size(), 4u);
}

// A prefix run once (prefill_prefix) and copied into each batch (generate_after_prefix) gives the
// tokens generate_from_embeds gives the whole prompts (the few-shot prefix reuse of
// eval/shared_prefix.h); the prefix cache is left unchanged for the next batch.
TEST(Generate, AfterPrefixEqualsWholePrompts) {
  auto& f = Golden::get();
  auto c = greedy(12);
  c.stop_ids = f.ints("d.stop_ids");
  torch::InferenceMode im;
  std::vector<int64_t> prefix;
  for (int64_t i = 0; i < 23; ++i) prefix.push_back((37 * i + 5) % f.config.vocab_size);
  auto pe = f.model->embed(torch::tensor(prefix, torch::kInt64).unsqueeze(0))[0];  // [P,H]
  const KVCache cache = prefill_prefix(f.model, pe);
  EXPECT_EQ(cache.length(), 23);
  EXPECT_EQ(cache.batch_size(), 1);
  std::vector<torch::Tensor> suffixes, whole;
  for (int64_t r = 0; r < 4; ++r) {  // prompts of different lengths: padding between prefix and suffix
    auto se = f.model->embed(torch::tensor(f.prompt(r), torch::kInt64).unsqueeze(0))[0];
    suffixes.push_back(se);
    whole.push_back(torch::cat({pe, se}, 0));
  }
  const auto got = generate_after_prefix(f.model, cache, suffixes, c);
  const auto want = generate_from_embeds(f.model, whole, c);
  ASSERT_EQ(got.size(), 4u);
  int differing = 0;
  for (size_t r = 0; r < 4; ++r) {
    EXPECT_EQ(got[r].tokens, want[r].tokens) << "row " << r;
    EXPECT_EQ(got[r].finish_reason, want[r].finish_reason) << "row " << r;
    differing += got[r].tokens != want[r].tokens;
  }
  EXPECT_EQ(differing, 0);
  // Reused: a second batch in another order gives the same tokens, and the cache still holds 23.
  const auto again = generate_after_prefix(f.model, cache, {suffixes[3], suffixes[1]}, c);
  EXPECT_EQ(again[0].tokens, want[3].tokens);
  EXPECT_EQ(again[1].tokens, want[1].tokens);
  EXPECT_EQ(cache.length(), 23);
  EXPECT_TRUE(generate_after_prefix(f.model, cache, {}, c).empty());
  EXPECT_THROW(generate_after_prefix(f.model, KVCache{}, suffixes, c), Error);  // nothing cached
  EXPECT_THROW(prefill_prefix(f.model, torch::zeros({0, f.config.hidden_size})), Error);
  EXPECT_THROW(prefill_prefix(f.model, torch::zeros({3, f.config.hidden_size + 1})), Error);
  EXPECT_THROW(cache.broadcast(2).broadcast(3), Error);  // broadcast needs one row
  EXPECT_THROW(cache.broadcast(0), Error);
}

TEST(Generate, EdgeCasesAndErrors) {
  auto& f = Golden::get();
  auto zero = generate_from_ids(f.model, batch_prompts(), greedy(0));
  ASSERT_EQ(zero.size(), 4u);
  EXPECT_TRUE(zero[0].tokens.empty());
  EXPECT_EQ(zero[0].finish_reason, "length");
  EXPECT_TRUE(generate_from_ids(f.model, {}, greedy(4)).empty());

  EXPECT_THROW(generate_from_ids(f.model, {f.prompt(0), {}}, greedy(4)), Error);
  EXPECT_THROW(generate_from_ids(f.model, {{1, 2, 384}}, greedy(4)), Error);
  EXPECT_THROW(generate_from_ids(f.model, {{1, -2}}, greedy(4)), Error);
  EXPECT_THROW(generate_from_ids(f.model, {{1, 2}}, greedy(-1)), Error);
  EXPECT_THROW(generate_from_ids(f.model, {{1, 2}}, GenerationConfig{}), Error);  // pad_id 151643 >= vocab
  EXPECT_THROW(generate_from_embeds(f.model, {torch::zeros({3, 31})}, greedy(4)), Error);
  EXPECT_THROW(generate_from_embeds(f.model, {torch::zeros({0, 32})}, greedy(4)), Error);
  EXPECT_THROW(generate_from_embeds(f.model, {torch::zeros({32})}, greedy(4)), Error);
  auto c = greedy(4);
  c.stop_strings = {"x"};
  EXPECT_THROW(generate_from_ids(f.model, {{1, 2}}, c), Error);  // no decode function
  c = greedy(4);
  c.do_sample = true;
  c.temperature = 0;
  EXPECT_THROW(generate_from_ids(f.model, {{1, 2}}, c), Error);
  c.temperature = 1;
  c.top_p = 0;
  EXPECT_THROW(generate_from_ids(f.model, {{1, 2}}, c), Error);
  c.top_p = 1;
  c.top_k = -1;
  EXPECT_THROW(generate_from_ids(f.model, {{1, 2}}, c), Error);
  KVCache cache;
  auto x = torch::zeros({1, 3, 32});
  auto pos = torch::arange(3).unsqueeze(0);
  EXPECT_THROW(f.model->forward_cached(x, pos, torch::ones({1, 4}, torch::kBool), cache), Error);
  EXPECT_THROW(f.model->forward_cached(x, pos.index({Slice(), Slice(0, 2)}), torch::ones({1, 3}, torch::kBool), cache), Error);
  EXPECT_THROW(f.model->forward_cached(torch::zeros({1, 0, 32}), torch::zeros({1, 0}, torch::kInt64),
                                       torch::ones({1, 0}, torch::kBool), cache), Error);
}

TEST(Generate, Bf16GreedyRuns) {
  // bf16 changes logits by ~1e-2 relative, so tokens may differ from the fp32 goldens; check that
  // the bf16 path (cache in bf16, logits cast to fp32) runs end to end.
  auto& f = Golden::get();
  Qwen2ForCausalLM m(f.config);
  std::map<std::string, torch::Tensor> w;
  for (const auto& [k, v] : f.g)
    if (k.rfind("w.", 0) == 0) w[k.substr(2)] = v;
  m->load_state(w);
  m->to(torch::kBFloat16);
  auto got = generate_from_ids(m, batch_prompts(), greedy(8));
  ASSERT_EQ(got.size(), 4u);
  for (const auto& g : got) {
    EXPECT_EQ(g.tokens.size(), 8u);
    for (auto t : g.tokens) EXPECT_TRUE(t >= 0 && t < f.config.vocab_size);
  }
}

TEST(Generate, EvalStopIds) {
  const auto s = eval_stop_ids();
  EXPECT_EQ(s.size(), 13u);
  for (int64_t id : {13, 11, 198}) EXPECT_NE(std::find(s.begin(), s.end(), id), s.end()) << id;
}

}  // namespace
}  // namespace oqvl::model
