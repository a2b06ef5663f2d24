// Training checkpoints: one folder per save, RUN/checkpoints/step-NNNNNNNN/, holding
//   config.json, model.safetensors   an oqvl model folder (generate/eval load it as is)
//   optimizer.safetensors            AdamW moments keyed by parameter name, and its step
//   rng.safetensors                  torch's CPU generator state
//   trainer_state.json               step, data position, counters, elapsed time
//   config.toml                      the run's resolved config
// The folder is written under a temporary name and renamed when complete, so a run killed
// during a save (even by SIGKILL) leaves either the whole checkpoint or none (stale temporaries
// are removed by the next save). The newest `keep` checkpoints are kept; checkpoints/last is a
// symbolic link to the newest.
//
// Sharded checkpoints (dist.strategy zero2 / full_shard / hybrid, docs/distributed.md) keep the
// same folder, trainer_state.json (written last: the completion marker), rng and config, and add
//   shards.json                                  every sharded tensor's global shape and dtype and
//                                                the chunks that hold it: file, key, element range
//   optimizer-RRRRR-of-SSSSS.safetensors         shard rank R's moments (1-D slices)
//   model-RRRRR-of-SSSSS.safetensors             full_shard/hybrid: the weights' slices (frozen
//                                                weights whole, in shard 0); zero2 keeps the plain
//                                                model.safetensors instead
// (the idea of torch.distributed.checkpoint). CheckpointTensors reads any of them by tensor and
// element range, so a run resumes at another world size or strategy; `oqvl convert consolidate`
// makes a model folder. The ranks write into one folder, so across nodes it must be shared storage.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oqvl/model/io/vlm_folder.h"
#include "oqvl/model/vlm.h"
#include "oqvl/train/optimizer.h"
#include "oqvl/train/row_source.h"

namespace oqvl::train {

struct TrainerState {
  std::int64_t step = 0;  // optimizer steps done
  std::int64_t total_steps = 0;
  DataPosition data;                                           // where the next step's data starts
  std::int64_t samples = 0, rows = 0, tokens = 0, images = 0;  // seen so far
  double elapsed_s = 0;                                        // training time so far (over resumes)

  nlohmann::json to_json() const;
  static TrainerState from_json(const nlohmann::json& j);  // oqvl::Error on missing keys
};

std::filesystem::path checkpoint_dir(const std::filesystem::path& run, std::int64_t step);

// Writes a checkpoint of step state.step and deletes the oldest beyond `keep`. Returns its folder.
std::filesystem::path save_checkpoint(const std::filesystem::path& run, model::OpenQwen2VLImpl& model,
                                      const AdamW& optimizer, const TrainerState& state,
                                      const std::string& config_toml, std::int64_t keep);

// The newest complete checkpoint of a run, or nullopt.
std::optional<std::filesystem::path> latest_checkpoint(const std::filesystem::path& run);

// Elements [start, start + length) of the flattened tensor `name` (shape `shape`) of namespace
// "model" or "optimizer", stored in `file` under `key`.
struct ChunkSpec {
  std::string name;
  std::vector<std::int64_t> shape;
  std::string dtype;  // safetensors dtype, e.g. "F32"
  std::int64_t start = 0, length = 0;
};

// The tensors of a checkpoint folder, plain or sharded, by namespace ("model": weights,
// "optimizer": "{param}.exp_avg" / "{param}.exp_avg_sq" moments), read lazily (files mapped,
// only the chunks asked for copied). oqvl::Error naming the folder and tensor on anything missing.
class CheckpointTensors {
 public:
  explicit CheckpointTensors(const std::filesystem::path& dir);
  ~CheckpointTensors();
  const std::filesystem::path& dir() const { return dir_; }
  bool has(const std::string& ns, const std::string& name) const;
  std::vector<std::string> names(const std::string& ns) const;  // sorted
  std::vector<std::int64_t> shape(const std::string& ns, const std::string& name) const;
  // 1-D, the stored dtype.
  torch::Tensor range(const std::string& ns, const std::string& name, std::int64_t start,
                      std::int64_t length);
  torch::Tensor full(const std::string& ns, const std::string& name);  // in its shape
  std::int64_t optimizer_steps();
  bool sharded() const { return sharded_; }

 private:
  struct Entry {
    std::vector<std::int64_t> shape;
    std::string dtype;
    struct Piece {
      std::string file, key;
      std::int64_t start = 0, length = 0;
    };
    std::vector<Piece> pieces;  // sharded; empty: a whole tensor of a plain file
  };
  const Entry& entry(const std::string& ns, const std::string& name) const;
  torch::Tensor stored(const std::string& file, const std::string& key);

  std::filesystem::path dir_;
  bool sharded_ = false;
  std::int64_t optimizer_steps_ = -1;
  std::map<std::string, std::map<std::string, Entry>> entries_;  // ns -> name
  std::map<std::string, std::string> plain_file_;                // "model/NAME" -> file (plain)
  std::map<std::string, std::unique_ptr<model::SafetensorsFile>> open_;
};

// Weights of every model tensor from a checkpoint (any layout) into `model`.
void load_model_weights(CheckpointTensors& ckpt, model::OpenQwen2VLImpl& model);
// AdamW moments for each of its (whole or sliced) parameters, and its step count. strict: every
// optimizer tensor of the checkpoint must belong to one of them (a whole-model optimizer).
void load_optimizer_state(CheckpointTensors& ckpt, AdamW& optimizer, bool strict);
// The trainer state of a checkpoint; restores torch's CPU generator to the checkpoint's state.
TrainerState load_trainer_state(const std::filesystem::path& dir);

// `oqvl convert consolidate`: a plain model folder (model.safetensors + config.json) of a
// checkpoint of any layout, or of a run folder's newest checkpoint. Returns the folder used.
std::filesystem::path consolidate_checkpoint(const std::filesystem::path& checkpoint_or_run,
                                             const std::filesystem::path& out,
                                             const model::VlmWriteOptions& options);

// A sharded save, in three phases with a barrier between each (Trainer::save):
//   1. rank 0: begin_sharded_checkpoint (stale temporaries removed, the partial folder made; a
//      zero2 save then writes the model folder into it with write_partial_model),
//   2. each writing rank: write_checkpoint_shard,
//   3. rank 0: finish_sharded_checkpoint (index, rng, config, state last; renamed into place).
std::filesystem::path begin_sharded_checkpoint(const std::filesystem::path& run, std::int64_t step);
std::filesystem::path partial_checkpoint_dir(const std::filesystem::path& run, std::int64_t step);
void write_partial_model(const std::filesystem::path& partial, model::OpenQwen2VLImpl& model,
                         bool with_weights);
std::string shard_file_name(const std::string& ns, int shard, int shards);
void write_checkpoint_shard(const std::filesystem::path& partial, const std::string& ns, int shard,
                            int shards, const std::vector<std::pair<ChunkSpec, torch::Tensor>>& chunks);
// `files`: for each shard file name, the chunks it holds.
std::filesystem::path finish_sharded_checkpoint(const std::filesystem::path& run, const TrainerState& state,
                                                const std::map<std::string, std::vector<ChunkSpec>>& files,
                                                const std::string& strategy, std::int64_t optimizer_steps,
                                                const std::string& config_toml, std::int64_t keep);

}  // namespace oqvl::train
