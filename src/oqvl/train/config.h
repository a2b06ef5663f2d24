// The run configuration of `oqvl train`: a TOML file plus `--set section.key=value` overrides,
// checked in full before any work starts (unknown key, wrong type, bad value, missing data path
// or a context smaller than one image: one oqvl::Error naming the key).
//
// Every key, its type, default and meaning is in config_keys() (the single source: `oqvl train
// --keys` prints it and docs/training.md is made from it). The resolved config (defaults filled,
// stage defaults applied) is written to the run folder as config.toml and kept in checkpoints.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace oqvl::train {

// What trains (docs/recipe.md §7.1): pretrain = projector + LLM on packed rows (vision frozen);
// sft = projector + LLM on conversations; align = projector only; full = everything (vision too;
// the demo trains from scratch with it).
enum class Stage { kPretrain, kSft, kAlign, kFull };

struct TrainConfig {
  // [run]
  Stage stage = Stage::kPretrain;
  std::filesystem::path out;  // the run folder
  std::uint64_t seed = 7;
  std::string device = "auto";     // auto | cpu | cuda | cuda:N
  std::string precision = "bf16";  // bf16 (autocast, fp32 master weights; CUDA only) | fp32
  std::string name;                // shown in logs and the report (default: the run folder's name)
  // [model]
  std::filesystem::path model;    // oqvl model folder to start from
  std::int64_t image_tokens = 0;  // per image; 0 = 729 for sft, else 144 (capped at the vision grid)
  bool activation_checkpointing = false;
  std::string frozen_vision_dtype = "auto";  // auto (bf16 when CUDA bf16 autocast runs) | fp32 | bf16
  bool train_vision =
      false;  // the vision tower trains too (stage full sets it; the paper's Table 6 ablation)
  // [data]
  std::filesystem::path manifest;    // `oqvl data mix` manifest (pretrain/align/full)
  std::filesystem::path sft;         // LLaVA-format conversations (JSON, JSONL or index JSONL)
  std::string images;                // sft images: a folder, or tar shards (spec or @list)
  std::int64_t context = 4096;       // expanded tokens per row (truncated after splicing)
  std::string attention = "causal";  // causal (the paper) | per_sample (block-diagonal, positions reset)
  double epochs = 1.0;
  int loader_threads = 2;
  int prefetch = 4;             // batches prepared ahead
  bool sft_strip_quirk = true;  // reproduce the reference's first-token stripping after <image>
  std::string sft_template =
      "qwen2";                // qwen2 (the paper's SFT prompt) | plain (the eval/generate prompt format)
  bool sft_skip_bad = false;  // skip malformed conversations and unreadable images (counted)
  std::filesystem::path tokenizer;  // "" = the model folder's tokenizer.json, else the repo's assets
  // [optim]
  double lr = 5e-5;
  double weight_decay = 0.01;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double warmup_ratio = 0.03;
  std::int64_t warmup_steps = -1;   // >= 0 overrides warmup_ratio
  std::string schedule = "cosine";  // cosine | constant (after warmup)
  double min_lr_ratio = 0.0;
  double clip = 1.0;  // max global grad norm; 0 = off
  // [batch]
  std::int64_t global_batch = 256;  // rows (pretrain) or samples (sft) per optimizer step
  std::int64_t micro_batch = 1;     // rows per forward/backward
  std::int64_t max_steps = 0;       // 0 = epochs over the data
  std::string loss = "token";  // token (sum / labelled tokens of the step) | micro_mean (the paper's code)
  // [checkpoint]
  std::int64_t save_every = 0;  // optimizer steps; 0 = only at the end
  std::int64_t keep = 2;        // newest checkpoints kept
  // [log]
  std::int64_t log_every = 1;
  // [dist] (docs/distributed.md; the ranks come from the launcher's environment)
  std::string dist_strategy = "ddp";  // ddp | zero2 | full_shard | hybrid (dist/sharded.h)
  std::string dist_backend = "auto";  // auto (nccl on CUDA, gloo on CPU) | gloo | nccl
  double dist_timeout_s = 300;        // a collective waiting longer fails the run, naming the rank
  double dist_bucket_mb = 25;         // gradient all-reduce bucket size
  std::string dist_reduce_dtype = "fp32";  // fp32 | bf16: the dtype gradients are summed in
  bool dist_overlap =
      true;  // collectives behind compute (ddp buckets, zero2/full_shard reductions, prefetch)

  // Micro-batches per optimizer step on each of `world` ranks.
  std::int64_t grad_accum(std::int64_t world = 1) const { return global_batch / (micro_batch * world); }
  bool loads_packed() const { return stage != Stage::kSft; }
};

std::string stage_name(Stage stage);
Stage parse_stage(const std::string& name);  // oqvl::Error for an unknown stage

struct ConfigKey {
  std::string key;    // "section.name"
  std::string type;   // "string" | "path" | "integer" | "float" | "bool"
  std::string value;  // default as TOML text
  std::string doc;
};
// Every key of the config with its default and meaning.
std::vector<ConfigKey> config_keys();

// Reads `file` (may be empty: defaults only) and applies `overrides` ("section.key=value", the
// value in TOML syntax; a bare word is taken as a string). Stage defaults fill keys the file and
// overrides leave unset (sft: lr 2e-5, weight_decay 0.1, global_batch 128). Relative paths are
// resolved against the config file's folder (the current folder for overrides). Then validate().
// With check_paths false the model folder and data files need not exist (planning: --dry-run).
TrainConfig load_config(const std::filesystem::path& file, const std::vector<std::string>& overrides = {},
                        bool check_paths = true);

// Checks values and, with check_paths, the model folder and data paths; oqvl::Error naming the key.
void validate(const TrainConfig& config, bool check_paths = true);

// The resolved config as TOML text (every key), and back (load_config of that text gives the same).
std::string to_toml(const TrainConfig& config);

}  // namespace oqvl::train
