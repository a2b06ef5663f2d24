// Importing a Prismatic / Open-Qwen2VL training checkpoint (docs/recipe.md §10) into an oqvl model folder.
//
// The .pt (torch.save) holds {"model": {"projector": {...}, "llm_backbone": {"llm.<HF Qwen2 name>":
// ...}[, "vision_backbone": {"featurizer.<timm name>": ...}]}} in fp32 with the tied lm_head stored
// as well. The released Open-Qwen2VL files have no vision_backbone: the SigLIP weights then come
// from a separate file or folder, in HF names (google/siglip-so400m-patch14-384, "vision_model."
// prefix) or timm / open_clip names (timm/ViT-SO400M-14-SigLIP-384), converted with
// siglip_state_from_timm.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "oqvl/model/io/vlm_folder.h"

namespace oqvl::model {

enum class VisionFormat { kAuto, kHf, kTimm };
VisionFormat parse_vision_format(const std::string& name);  // "auto" | "hf" | "timm"

// The SigLIP tower's tensors in HF vision names without prefix ("embeddings.*", "encoder.layers.N.*"),
// blocks up to config's feature layer only, from a weight file or folder (HF folder/.safetensors,
// timm/open_clip file, torch.save file) or from tensors already loaded (`source` names them in
// errors). The tower may sit under any prefix; more than one tower is an error. Shared by the
// Prismatic and LLaVA importers.
StateDict load_siglip_vision(const std::filesystem::path& path, VisionFormat format,
                             const SiglipVisionConfig& config);
StateDict siglip_vision_from_state(const StateDict& tensors, const std::string& source, VisionFormat format,
                                   const SiglipVisionConfig& config);

// With tied embeddings, drops a stored language_model.lm_head.weight from `tensors` (folder
// names) after comparing it with the embedding; a mismatch adds a warning naming `source`.
// Shared by the Prismatic and LLaVA importers (both checkpoints store the tied head).
void drop_tied_lm_head(StateDict& tensors, const VlmConfig& config, const std::string& source,
                       std::vector<std::string>& warnings);

struct PrismaticImportOptions {
  std::filesystem::path checkpoint;                 // the .pt
  std::optional<std::filesystem::path> run_config;  // Prismatic run config.json (["model"])
  std::optional<std::filesystem::path> vision;      // SigLIP weights when the .pt has none
  VisionFormat vision_format = VisionFormat::kAuto;
  std::optional<std::filesystem::path> llm_config;     // HF Qwen2 config.json (default 1.5B)
  std::optional<std::filesystem::path> vision_config;  // HF SigLIP config.json (default so400m, erf)
  // Special token ids (default: VlmConfig's, the Qwen2 tokenizer's); tiny test models need others.
  std::optional<std::int64_t> bos_id, pad_id, eos_id;
};

// The checkpoint as a folder's config and tensors, in the source dtype. Tensors taken from the
// .pt are read-only views of its memory map (torch_save.h). A tied lm_head.weight is dropped after
// comparing it with the embedding (a mismatch is a warning in `warnings`).
struct PrismaticImport {
  VlmCheckpoint checkpoint;
  std::vector<std::string> warnings;
};
PrismaticImport load_prismatic(const PrismaticImportOptions& options);

// load_prismatic, then write_vlm_folder(out, ...). Warnings are logged.
void import_prismatic(const PrismaticImportOptions& options, const std::filesystem::path& out,
                      const VlmWriteOptions& write = {});

}  // namespace oqvl::model
