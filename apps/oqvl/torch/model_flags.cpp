#include "oqvl/torch/model_flags.h"

#include <chrono>
#include <filesystem>

#include "oqvl/cli_common.h"
#include "oqvl/core/error.h"
#include "oqvl/core/log.h"
#include "oqvl/data/text/qwen2vl_tokenizer.h"
#include "oqvl/model/device.h"
#include "oqvl/model/runtime.h"

namespace oqvl::cli {

namespace fs = std::filesystem;

void add_model_flags(CLI::App* cmd, ModelFlags& f, bool with_threads) {
  cmd->add_option("--model", f.model, "oqvl model folder (config.json + model.safetensors; see oqvl convert)")
      ->required();
  cmd->add_option("--device", f.device, "auto | cpu | cuda | cuda:N")->capture_default_str();
  cmd->add_option("--dtype", f.dtype, "auto (bf16 on CUDA, f32 on CPU) | f32 | bf16")->capture_default_str();
  if (with_threads)
    cmd->add_option("--threads", f.threads, "CPU threads for libtorch (0 = all cores)")->capture_default_str();
  cmd->add_option("--tokenizer", f.tokenizer,
                  "tokenizer.json (default: the model folder's, else the embedded Qwen2 tokenizer)");
  cmd->add_option("--image-tokens", f.image_tokens,
                  "visual tokens per image (144 pre-training, 729 SFT; default: the folder's)");
}

LoadedModel load_model(const ModelFlags& f) {
  if (f.threads < 0) fail("--threads must be >= 0");
  model::set_torch_threads(f.threads);
  LoadedModel out;
  out.device = model::parse_device(f.device);
  out.dtype = model::parse_dtype(f.dtype, out.device);
  const auto t0 = std::chrono::steady_clock::now();
  out.model = model::load_vlm(f.model, out.dtype, out.device);
  out.image_tokens = f.image_tokens > 0 ? f.image_tokens : out.model->config().image_tokens;
  {
    model::VlmConfig check = out.model->config();
    check.image_tokens = out.image_tokens;
    check.validate();  // a square number the tower's grid can pool to
  }
  fs::path tok = f.tokenizer;
  if (tok.empty()) tok = fs::exists(fs::path(f.model) / "tokenizer.json") ? fs::path(f.model) / "tokenizer.json"
                                                                           : default_tokenizer_path();
  out.tokenizer = std::make_shared<data::Tokenizer>(data::load_qwen2vl_tokenizer(tok));
  int64_t params = 0;
  for (const auto& p : out.model->parameters()) params += p.numel();
  log::info("loaded {} ({:.1f} M parameters, {}, {}, {} image tokens) in {:.1f} s", f.model, params / 1e6,
            out.device.str(), out.dtype == torch::kBFloat16 ? "bf16" : "f32", out.image_tokens,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return out;
}

}  // namespace oqvl::cli
