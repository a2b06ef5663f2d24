// `oqvl convert assemble`: the real pre-training start, an oqvl model folder made of a pretrained
// Hugging Face Qwen2 language model (e.g. Qwen/Qwen2.5-1.5B-Instruct), a pretrained HF SigLIP
// vision tower (e.g. google/siglip-so400m-patch14-384) and a fresh pooling projector initialised
// as PyTorch's nn.Linear does, seeded (init_projector_tensors).
//
// The LLM folder gives config.json (Qwen2 keys) and its weights in any HF layout (hf_weights.h);
// a tied lm_head is dropped after comparing it with the embedding. The vision folder gives
// config.json (a SiglipVisionConfig, or a SiglipConfig whose vision_config is used; the text
// tower of a full SiglipModel is ignored), its weights (blocks up to the feature layer kept), and
// optionally preprocessor_config.json (image_mean / image_std). The tokenizer.json of the LLM folder is
// copied unless another is given.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "oqvl/model/io/prismatic_import.h"  // VisionFormat
#include "oqvl/model/io/vlm_folder.h"

namespace oqvl::model {

struct AssembleOptions {
  std::filesystem::path llm;                           // HF Qwen2 folder
  std::filesystem::path vision;                        // HF SigLIP folder (or weight file + vision_config)
  std::optional<std::filesystem::path> vision_config;  // default: vision/config.json
  VisionFormat vision_format = VisionFormat::kAuto;
  // GELU of the tower: nullopt keeps the config's hidden_act; Open-Qwen2VL runs timm's tower with
  // exact (erf) GELU, the CLI's default.
  std::optional<GeluKind> vision_gelu;
  std::int64_t image_tokens = 144;                     // a square <= the tower's patches
  std::uint64_t seed = 7;                              // the projector's initialisation (the paper's seed)
  std::optional<std::int64_t> bos_id, pad_id, eos_id;  // default: VlmConfig's (Qwen2 tokenizer)
};

struct Assembled {
  VlmCheckpoint checkpoint;
  std::optional<std::filesystem::path> tokenizer_json;  // the LLM folder's, when it has one
  std::vector<std::string> warnings;
};

// oqvl::Error naming the folder/file for a missing or invalid config, missing weights, a missing
// LLM tensor, no or several vision towers, or an image token count the tower cannot pool to.
Assembled assemble_vlm(const AssembleOptions& options);

// assemble_vlm, then write_vlm_folder(out, ...); the LLM folder's tokenizer.json is copied when
// `write` names none. Warnings are logged. Nothing is written on error (AtomicDir).
void assemble_vlm_folder(const AssembleOptions& options, const std::filesystem::path& out,
                         VlmWriteOptions write = {});

}  // namespace oqvl::model
