// Greedy KV-cache generation throughput on CPU with a mid-size random Qwen2 (fp32).
// bench/generate_reference.py does the same with Hugging Face `generate`;
// bench/run_generate_bench.sh runs both and prints the ratio.
// Usage: generate_bench [threads] [batch] [prompt_len] [new_tokens] [reps]
// Prints one JSON line: best-of-reps seconds for a prefill-only run (max_new_tokens 1) and for the
// full run, and new tokens/s (batch * new_tokens / full seconds).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "oqvl/model/generate.h"
#include "oqvl/model/runtime.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace oqvl::model;
  const int threads = argc > 1 ? std::stoi(argv[1]) : 1;
  const int64_t batch = argc > 2 ? std::stoll(argv[2]) : 1;
  const int64_t prompt_len = argc > 3 ? std::stoll(argv[3]) : 64;
  const int64_t new_tokens = argc > 4 ? std::stoll(argv[4]) : 64;
  const int reps = argc > 5 ? std::stoi(argv[5]) : 3;
  set_torch_threads(threads);
  torch::manual_seed(0);

  // Keep in sync with bench/generate_reference.py.
  Qwen2Config c;
  c.vocab_size = 16384;
  c.hidden_size = 512;
  c.intermediate_size = 1536;
  c.num_hidden_layers = 8;
  c.num_attention_heads = 8;
  c.num_key_value_heads = 2;
  c.head_dim = 64;
  Qwen2ForCausalLM llm(c);
  llm->eval();

  std::vector<std::vector<int64_t>> prompts(batch);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < prompt_len; ++i) prompts[b].push_back((b * 7919 + i * 104729) % c.vocab_size);
  GenerationConfig g;
  g.pad_id = 0;

  auto best = [&](int64_t max_new) {
    g.max_new_tokens = max_new;
    double t = 1e30;
    for (int r = 0; r < reps; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      auto out = generate_from_ids(llm, prompts, g);
      t = std::min(t, seconds_since(t0));
      if (static_cast<int64_t>(out[0].tokens.size()) != max_new) fmt::print(stderr, "short generation\n");
    }
    return t;
  };
  best(2);  // warm-up
  const double prefill_s = best(1);
  const double full_s = best(new_tokens);
  fmt::print("{{\"threads\": {}, \"batch\": {}, \"prompt_len\": {}, \"new_tokens\": {}, \"prefill_s\": {:.6f}, "
             "\"full_s\": {:.6f}, \"tokens_per_s\": {:.3f}, \"decode_tokens_per_s\": {:.3f}}}\n",
             threads, batch, prompt_len, new_tokens, prefill_s, full_s, batch * new_tokens / full_s,
             batch * (new_tokens - 1) / std::max(full_s - prefill_s, 1e-9));
  return 0;
}
