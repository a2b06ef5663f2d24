// Flags and loading shared by the commands that run an oqvl model (generate, eval, score mlm):
// --model DIR, --device, --dtype, --threads, --tokenizer, --image-tokens.
#pragma once

#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <memory>
#include <string>

#include "oqvl/data/text/tokenizer.h"
#include "oqvl/model/vlm.h"

namespace oqvl::cli {

struct ModelFlags {
  std::string model;             // oqvl model folder (oqvl convert writes one)
  std::string device = "auto";   // auto | cpu | cuda | cuda:N
  std::string dtype = "auto";    // auto (bf16 on CUDA, f32 on CPU) | f32 | bf16
  int threads = 0;               // libtorch CPU threads, 0 = all cores
  std::string tokenizer;         // default: DIR/tokenizer.json, else the embedded assets
  int64_t image_tokens = 0;      // 0 = the folder's (144 pre-training, 729 SFT)
};

// with_threads = false when the command already has a --threads flag (shard commands): set
// flags.threads from it before load_model.
void add_model_flags(CLI::App* cmd, ModelFlags& flags, bool with_threads = true);

struct LoadedModel {
  model::OpenQwen2VL model{nullptr};
  std::shared_ptr<data::Tokenizer> tokenizer;
  torch::Device device = torch::kCPU;
  torch::Dtype dtype = torch::kFloat32;
  int64_t image_tokens = 144;
};

// Sets the thread count, resolves device/dtype, loads the folder and the tokenizer; logs one
// line with what was loaded. oqvl::Error on a bad flag or folder.
LoadedModel load_model(const ModelFlags& flags);

}  // namespace oqvl::cli
