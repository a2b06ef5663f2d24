// Importing a LLaVA-style Hugging Face checkpoint folder (LLaVA / LLaVA-NeXT / LLaVA-Unified layout,
// e.g. the MLM-Filter scorer weizhiwang/mlm-filter-qwen2.5-1.5b-gpt4o, docs/recipe.md §1.4) into an oqvl model
// folder.
//
// The folder holds config.json (the Qwen2 config keys at top level plus LLaVA's mm_* keys:
// mm_vision_tower, mm_projector_type, mm_vision_select_layer, mm_vision_select_feature,
// mm_hidden_size, image_aspect_ratio) and the weights (model.safetensors, a sharded
// model.safetensors.index.json, or pytorch_model.bin[.index.json]) named
//   model.embed_tokens.weight, model.layers.N.*, model.norm.weight, lm_head.weight  -> language_model.*
//   model.mm_projector.{0,2}.{weight,bias}                                       -> projector.mlp_projector.*
//   model.vision_tower.vision_tower.vision_model.* (only when the tower was saved) -> vision_tower.vision_model.*
// Without saved vision weights they come from `vision` (an HF SigLIP folder/file, or timm names).
//
// Only what oqvl's model computes is accepted: an "mlp2x_gelu" projector on the "patch" features
// of one SigLIP hidden state (mm_vision_select_layer), all of the tower's patches as image tokens
// (LLaVA does no pooling: the folder's pooling projector with image_tokens = patches is the
// identity). LLaVA runs HF's SiglipVisionModel, so the default tower is so400m-384 with HF's tanh
// GELU (gelu_pytorch_tanh), unlike Open-Qwen2VL's timm tower (exact GELU).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "oqvl/model/io/prismatic_import.h"  // VisionFormat
#include "oqvl/model/io/vlm_folder.h"

namespace oqvl::model {

struct LlavaImportOptions {
  std::filesystem::path folder;                 // the HF checkpoint folder
  std::optional<std::filesystem::path> vision;  // SigLIP weights when the folder has none
  VisionFormat vision_format = VisionFormat::kAuto;
  std::optional<std::filesystem::path> vision_config;  // HF SigLIP config.json (default so400m, tanh)
  std::optional<std::int64_t> bos_id, pad_id, eos_id;  // default: VlmConfig's (Qwen2 tokenizer)
};

struct LlavaImport {
  VlmCheckpoint checkpoint;
  std::vector<std::string> warnings;
};

// The folder's config and tensors in the source dtype. oqvl::Error on an unsupported
// mm_projector_type / mm_vision_select_feature / image_aspect_ratio "anyres*", a missing
// projector or LLM tensor, or no vision weights in the folder and no `vision`.
LlavaImport load_llava(const LlavaImportOptions& options);

// load_llava, then write_vlm_folder(out, ...). Warnings are logged.
void import_llava(const LlavaImportOptions& options, const std::filesystem::path& out,
                  const VlmWriteOptions& write = {});

}  // namespace oqvl::model
