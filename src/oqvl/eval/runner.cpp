#include "oqvl/eval/runner.h"

#include <chrono>

#include "oqvl/core/error.h"
#include "oqvl/data/text/image_prompt.h"
#include "oqvl/data/text/special_tokens.h"
#include "oqvl/model/generate.h"

namespace oqvl::eval {

std::vector<std::int64_t> stop_ids_for(BenchKind kind) {
  std::vector<std::int64_t> ids = model::eval_stop_ids();
  if (kind == BenchKind::kOpen) {
    ids.push_back(data::kImEndId);
    ids.push_back(data::kEndOfChunkId);
  }
  return ids;
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
  for (std::size_t start = 0; start < bench.items.size(); start += options.batch_size) {
    const std::size_t end = std::min(bench.items.size(), start + options.batch_size);
    std::vector<torch::Tensor> pixels;
    std::vector<std::vector<std::int64_t>> ids;
    for (std::size_t i = start; i < end; ++i) {
      const auto& item = bench.items[i];
      const auto prompt = build_prompt(item, bench.kind, options.prompt);
      if (data::count_image_markers(prompt) != 1)
        fail("{}: item {}: the prompt needs exactly one image", bench.file.string(), item.index);
      ids.push_back(data::tokenize_image_prompt(tokenizer, prompt, po));
      std::string bytes;
      try {
        bytes = item_image_bytes(item);
        pixels.push_back(model::preprocess_for_vlm(
            {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, cfg));
      } catch (const Error& e) {
        fail("{}: item {} (line {}): image: {}", bench.file.string(), item.index, item.row, e.what());
      }
    }
    auto tokens = model->encode_images(torch::stack(pixels).to(weight.device(), weight.scalar_type()), image_tokens);
    std::vector<torch::Tensor> prompts;
    for (std::size_t k = 0; k < ids.size(); ++k) prompts.push_back(model->prompt_embeds(ids[k], tokens.narrow(0, k, 1)));
    auto results = model::generate_from_embeds(model->llm, prompts, gen);
    for (auto& r : results) {
      std::vector<std::int32_t> v(r.tokens.begin(), r.tokens.end());
      out.predictions.push_back(python_strip(tokenizer.decode(v, /*skip_special=*/true, /*skip_unknown=*/true)));
      out.new_tokens += static_cast<std::int64_t>(r.tokens.size());
      out.tokens.push_back(std::move(r.tokens));
    }
    if (on_batch) on_batch(end - start);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace oqvl::eval
