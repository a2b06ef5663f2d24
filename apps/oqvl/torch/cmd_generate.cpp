// `oqvl generate`: answers prompts about images with an oqvl model, in the paper's inference
// format "<s><image>\n{prompt}" (docs/recipe.md §5.5, 9.1): greedy by default, KV cache, batched with left
// padding. One prompt from flags, or many from a JSONL file.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "oqvl/torch/model_commands.h"
#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/log.h"
#include "oqvl/core/progress.h"
#include "oqvl/data/text/image_prompt.h"
#include "oqvl/model/generate.h"
#include "oqvl/torch/model_flags.h"

namespace oqvl::cli {
namespace {

namespace fs = std::filesystem;

struct Request {
  std::string id;
  std::vector<std::string> images;  // paths
  std::string prompt;               // as given
};

struct Options {
  ModelFlags model;
  std::vector<std::string> images;
  std::string prompt;
  std::string input;
  std::string out;
  bool raw = false;
  int64_t max_new_tokens = 64;
  double temperature = 0;  // 0 = greedy
  double top_p = 1.0;
  int64_t top_k = 0;
  uint64_t seed = 0;
  std::vector<std::string> stops;
  std::vector<int64_t> stop_ids;
  int batch_size = 8;
};

std::vector<Request> read_requests(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("cannot open --input '{}'", path);
  const fs::path base = fs::path(path).parent_path();
  std::vector<Request> out;
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      fail("{} line {}: not valid JSON", path, n);
    }
    if (!j.is_object() || !j.contains("prompt") || !j["prompt"].is_string())
      fail("{} line {}: expected an object with a string \"prompt\"", path, n);
    Request r;
    r.id = j.contains("id") ? (j["id"].is_string() ? j["id"].get<std::string>() : j["id"].dump())
                            : std::to_string(out.size());
    r.prompt = j["prompt"].get<std::string>();
    auto add_image = [&](const nlohmann::json& v) {
      if (!v.is_string()) fail("{} line {}: \"image\" must be a path string", path, n);
      fs::path p = v.get<std::string>();
      r.images.push_back((p.is_absolute() ? p : base / p).string());
    };
    if (j.contains("image")) {
      if (j["image"].is_array())
        for (const auto& v : j["image"]) add_image(v);
      else
        add_image(j["image"]);
    }
    out.push_back(std::move(r));
  }
  if (out.empty()) fail("--input '{}' has no requests", path);
  return out;
}

void run(Options& o) {
  std::vector<Request> requests;
  if (!o.input.empty()) {
    if (!o.prompt.empty() || !o.images.empty()) fail("use either --input or --prompt/--image, not both");
    requests = read_requests(o.input);
  } else {
    if (o.prompt.empty()) fail("--prompt (or --input FILE.jsonl) is required");
    requests.push_back({"0", o.images, o.prompt});
  }
  if (o.max_new_tokens < 0) fail("--max-new-tokens must be >= 0");
  if (o.batch_size <= 0) fail("--batch-size must be > 0");
  if (o.temperature < 0 || !(o.top_p > 0 && o.top_p <= 1) || o.top_k < 0)
    fail("--temperature must be >= 0, --top-p in (0, 1], --top-k >= 0");
  for (const auto& r : requests)
    for (const auto& p : r.images)
      if (!fs::is_regular_file(p)) fail("image '{}' does not exist", p);

  auto m = load_model(o.model);
  const auto& cfg = m.model->config();

  model::GenerationConfig gen;
  gen.max_new_tokens = o.max_new_tokens;
  gen.do_sample = o.temperature > 0;
  gen.temperature = o.temperature > 0 ? o.temperature : 1.0;
  gen.top_p = o.top_p;
  gen.top_k = o.top_k;
  gen.seed = o.seed;
  gen.pad_id = cfg.pad_id;
  gen.stop_ids = o.stop_ids.empty() ? std::vector<int64_t>{cfg.eos_id, cfg.pad_id} : o.stop_ids;
  gen.stop_strings = o.stops;
  auto decode = [&](const std::vector<int64_t>& ids) {
    std::vector<int32_t> v(ids.begin(), ids.end());
    return m.tokenizer->decode(v, /*skip_special=*/true, /*skip_unknown=*/true);
  };

  std::optional<AtomicFile> out_file;
  if (!o.out.empty()) out_file.emplace(o.out);
  Progress progress("generate", requests.size(), "prompts");
  const auto t0 = std::chrono::steady_clock::now();
  int64_t new_tokens = 0;
  data::ImagePromptOptions po;
  po.bos_id = cfg.bos_id;
  po.placeholder = cfg.image_placeholder;
  torch::InferenceMode inference;
  for (size_t start = 0; start < requests.size(); start += o.batch_size) {
    const size_t end = std::min(requests.size(), start + o.batch_size);
    std::vector<torch::Tensor> prompts;
    for (size_t i = start; i < end; ++i) {
      const auto& r = requests[i];
      std::string text = r.prompt;
      if (!o.raw && data::count_image_markers(text) == 0)
        for (size_t k = 0; k < r.images.size(); ++k) text = "<image>\n" + text;
      const size_t markers = data::count_image_markers(text);
      if (markers != r.images.size())
        fail("request '{}': {} <image> marker(s) but {} image(s)", r.id, markers, r.images.size());
      const auto ids = data::tokenize_image_prompt(*m.tokenizer, text, po);
      torch::Tensor tokens;
      if (!r.images.empty()) {
        std::vector<torch::Tensor> pixels;
        for (const auto& p : r.images) {
          const auto bytes = read_file(p);
          try {
            pixels.push_back(model::preprocess_for_vlm(
                {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, cfg));
          } catch (const Error& e) {
            fail("image '{}': {}", p, e.what());
          }
        }
        tokens = m.model->encode_images(torch::stack(pixels).to(m.device, m.dtype), m.image_tokens);
      }
      prompts.push_back(m.model->prompt_embeds(ids, tokens));
    }
    auto results = model::generate_from_embeds(m.model->llm, prompts, gen, decode);
    for (size_t i = start; i < end; ++i) {
      const auto& g = results[i - start];
      new_tokens += static_cast<int64_t>(g.tokens.size());
      const std::string text = decode(g.tokens);
      if (o.input.empty() && !out_file) {
        std::cout << text << "\n";
      } else {
        nlohmann::json j = {{"id", requests[i].id},  {"prompt", requests[i].prompt},
                            {"output", text},        {"tokens", g.tokens},
                            {"finish_reason", g.finish_reason}};
        const std::string line = j.dump() + "\n";
        if (out_file) out_file->write(line); else std::cout << line;
      }
      progress.add(1);
    }
  }
  if (out_file) out_file->commit();
  progress.finish();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log::info("generated {} tokens for {} prompt(s) in {:.2f} s ({:.1f} tokens/s)", new_tokens, requests.size(), s,
            new_tokens / std::max(s, 1e-9));
}

}  // namespace

void register_generate(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("generate",
                                 "Answer a prompt about an image with an oqvl model (\"<s><image>\\n{prompt}\")");
  add_model_flags(cmd, o->model);
  cmd->add_option("--image", o->images, "image file (JPEG/PNG/WebP); repeat for several");
  cmd->add_option("--prompt", o->prompt, "the prompt; \"<image>\\n\" is put in front unless it has <image> markers");
  cmd->add_option("--input", o->input,
                  "JSONL of requests {\"id\", \"image\" (path or list, relative to the file), \"prompt\"}");
  cmd->add_option("--out", o->out, "write JSONL results here (default: stdout)");
  cmd->add_flag("--raw", o->raw, "use the prompt exactly as given (no <image> added)");
  cmd->add_option("--max-new-tokens", o->max_new_tokens, "at most this many new tokens")->capture_default_str();
  cmd->add_option("--temperature", o->temperature, "sampling temperature (0 = greedy)")->capture_default_str();
  cmd->add_option("--top-p", o->top_p, "nucleus sampling mass")->capture_default_str();
  cmd->add_option("--top-k", o->top_k, "keep the k most likely tokens (0 = all)")->capture_default_str();
  cmd->add_option("--seed", o->seed, "sampling seed")->capture_default_str();
  cmd->add_option("--stop", o->stops, "stop when the output contains this text (repeatable)");
  cmd->add_option("--stop-id", o->stop_ids, "stop token id (repeatable; default: <|im_end|> and <|endoftext|>)");
  cmd->add_option("--batch-size", o->batch_size, "prompts per forward")->capture_default_str();
  cmd->callback([o] { run(*o); });
}

}  // namespace oqvl::cli
