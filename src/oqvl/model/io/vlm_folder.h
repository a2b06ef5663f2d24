// Reading and writing the oqvl model folder (layout: vlm_config.h): config.json, the weights as
// model.safetensors (or model-0000k-of-0000n.safetensors + model.safetensors.index.json, as
// Hugging Face shards them) and an optional tokenizer.json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "oqvl/model/io/safetensors.h"  // StateDict
#include "oqvl/model/vlm_config.h"

namespace oqvl::model {

struct VlmCheckpoint {
  VlmConfig config;
  StateDict tensors;  // full names: vision_tower.vision_model.*, projector.*, language_model.*
};

// The config and every tensor of a folder (copied into memory, in the file's dtype). oqvl::Error
// if `dir` is not a folder, config.json is missing or invalid, or the weights are missing.
// Tensor names and shapes are not checked here (check_vlm_tensors does that).
VlmCheckpoint read_vlm_folder(const std::filesystem::path& dir);

// One tensor a folder must (or may) hold.
struct TensorSpec {
  std::string name;  // full name with the folder prefix
  std::vector<std::int64_t> shape;
  bool optional = false;
};

// Every tensor of a folder for `config`: the SigLIP embeddings and blocks up to the feature layer
// (blocks_to_run), the projector's two linears, the whole Qwen2 (lm_head.weight optional when
// tied). Vision post_layernorm / head are not listed (check_vlm_tensors ignores them).
std::vector<TensorSpec> expected_vlm_tensors(const VlmConfig& config);

struct TensorCheckReport {
  std::int64_t vision_params = 0, projector_params = 0, llm_params = 0;
  std::vector<std::string> ignored;     // present but not used: vision post_layernorm/head/later blocks
  std::vector<std::string> unexpected;  // present and unknown
};

// oqvl::Error naming the first missing tensor, the first wrong shape, or a non-floating dtype;
// otherwise the parameter counts and the names it did not expect.
TensorCheckReport check_vlm_tensors(const VlmConfig& config, const StateDict& tensors);

struct SafetensorsWriteOptions {
  // Tensors are cast to this dtype when written (none: keep each tensor's own).
  std::optional<torch::ScalarType> dtype;
  // Shards hold at most this many bytes of tensor data (a larger single tensor gets its own).
  std::uint64_t max_shard_bytes = 4'000'000'000ULL;
};

// Writes `tensors` into folder `dir` (which must exist) as model.safetensors, or, above the shard
// limit, as model-0000k-of-0000n.safetensors plus model.safetensors.index.json (HF's layout with
// metadata.total_size). Files carry {"format": "pt"} metadata, which transformers requires.
// Casting is done one shard at a time, so at most one shard's converted copy is in memory.
void write_safetensors_folder(const std::filesystem::path& dir, const StateDict& tensors,
                              const SafetensorsWriteOptions& options = {});

// oqvl::Error unless `dir` holds weights (model.safetensors or its index); a sharded training
// checkpoint gets the `oqvl convert consolidate` hint.
void require_model_weights(const std::filesystem::path& dir);

struct VlmWriteOptions {
  std::optional<std::filesystem::path> tokenizer_json;  // copied as tokenizer.json
  SafetensorsWriteOptions safetensors;
  bool overwrite = false;
};

// Checks `tensors` against `config` (check_vlm_tensors; unexpected names are an error here, and
// ignored ones are left out), then writes the folder atomically (AtomicDir).
void write_vlm_folder(const std::filesystem::path& dir, const VlmConfig& config, const StateDict& tensors,
                      const VlmWriteOptions& options = {});

// "f32" / "bf16" / "f16" -> dtype; oqvl::Error otherwise.
torch::ScalarType parse_dtype_name(const std::string& name);
// The Hugging Face config name of a dtype ("float32", "bfloat16", "float16").
std::string hf_dtype_name(torch::ScalarType dtype);

}  // namespace oqvl::model
