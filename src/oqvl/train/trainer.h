// The training loop of `oqvl train` (docs/training.md): loads the starting model, freezes what
// the stage freezes, reads data through the Loader, and runs optimizer steps of `batch.global`
// rows as `batch.micro`-row micro-batches with gradient accumulation, token-weighted loss,
// clipping, AdamW and the warmup-cosine schedule; writes metrics, progress and checkpoints, and
// resumes exactly from the newest checkpoint.
//
// One process, or one rank of a data-parallel job (docs/distributed.md): the launcher's
// environment (dist/environment.h) gives the rank; every rank holds the weights, reads its share
// of the rows (LoaderOptions::rank/world) and the gradients and step statistics are summed over
// the ranks before clipping and the update, so W ranks compute the step one process would
// (batch.global rows, token-weighted). dist.strategy zero2 / full_shard / hybrid shard the
// gradients, optimizer state and (full_shard, hybrid) weights instead (dist/sharded.h) and save
// sharded checkpoints. Only rank 0 writes the run folder and prints progress.
// Errors are oqvl::Error with one clear line.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oqvl/model/vlm.h"
#include "oqvl/train/checkpoint.h"
#include "oqvl/train/config.h"
#include "oqvl/train/dist/comm.h"
#include "oqvl/train/dist/ddp_reducer.h"
#include "oqvl/train/dist/environment.h"
#include "oqvl/train/dist/sharded.h"
#include "oqvl/train/loader.h"
#include "oqvl/train/lr_schedule.h"
#include "oqvl/train/optimizer.h"

namespace oqvl::train {

struct StepResult {
  std::int64_t step = 0;       // 1-based optimizer step just done
  double loss = 0;             // the step's loss (batch.loss rule)
  double lr = 0;               // rate used for this update
  double grad_norm = 0;        // before clipping
  std::int64_t tokens = 0;     // labelled tokens (the loss's denominator)
  std::int64_t positions = 0;  // valid positions after image expansion (throughput counts these)
  std::int64_t images = 0, samples = 0, rows = 0;
  double seconds = 0, data_wait_s = 0;
  double comm_s = 0;  // in the gradient all-reduce (distributed runs)
};

struct TrainOptions {
  bool resume = false;  // continue from the newest checkpoint of run.out
  bool quiet = false;   // no progress lines
  std::int64_t stop_after =
      0;  // stop (with a checkpoint) after this many steps in this process; 0 = run to the end
};

class Trainer {
 public:
  // Checks the config against the model (context fits an image, data readable) and prepares
  // everything; nothing is written yet. With options.resume and no checkpoint the run starts
  // fresh (with a note). Without resume, a run folder that already has checkpoints is an error.
  Trainer(TrainConfig config, TrainOptions options = {});
  ~Trainer();

  // Runs to the end (or stop_after); returns the per-step results of this process.
  std::vector<StepResult> run();

  // One optimizer step (exposed for tests).
  StepResult step();

  const TrainConfig& config() const { return config_; }
  const TrainerState& state() const { return state_; }
  model::OpenQwen2VL& model() { return model_; }
  std::int64_t image_tokens() const { return image_tokens_; }
  std::filesystem::path save();  // a checkpoint now (rank 0 writes; every rank returns its path)
  const DistEnv& dist() const { return env_; }

 private:
  torch::Tensor micro_loss_sum(MicroBatch& mb);
  bool leader() const { return env_.rank == 0; }
  void make_groups();
  // Whether steps sum gradients over a process group (also a launched world of 1, which
  // measures the collectives' cost; make_comm opens a real group exactly then).
  bool reduces() const { return comm_->world() > 1 || env_.launcher == "torchrun" || sharded_ != nullptr; }
  torch::ScalarType reduce_dtype() const {
    return config_.dist_reduce_dtype == "bf16" ? torch::kBFloat16 : torch::kFloat32;
  }
  std::filesystem::path save_sharded();

  TrainConfig config_;
  TrainOptions options_;
  DistEnv env_;
  std::unique_ptr<Comm> comm_;
  Strategy strategy_ = Strategy::kDdp;
  std::unique_ptr<Comm> node_comm_, replica_comm_;  // hybrid: this node's ranks; same local rank across nodes
  std::unique_ptr<ShardedParallel> sharded_;        // zero2 / full_shard / hybrid
  std::unique_ptr<DdpReducer> ddp_;                 // ddp with dist.overlap in a process group
  std::int64_t trainable_params_ = 0;
  torch::Device device_{torch::kCPU};
  bool autocast_ = false;
  model::OpenQwen2VL model_{nullptr};
  std::int64_t image_tokens_ = 0;
  std::unique_ptr<AdamW> optimizer_;  // ddp / one process
  std::vector<torch::Tensor> trainable_;
  LrSchedule schedule_;
  std::unique_ptr<Loader> loader_;
  TrainerState state_;
  std::string config_toml_;
};

// Trainable parameter names for a stage (the model folder's names): pretrain/sft = projector +
// LLM (+ vision with train_vision), align = projector, full = everything. Sets requires_grad
// accordingly on the model; frozen parameters are never returned.
std::vector<std::pair<std::string, torch::Tensor>> apply_stage(model::OpenQwen2VLImpl& model, Stage stage,
                                                               bool train_vision = false);

// The stage's default image tokens (729 for sft, else 144), capped at the vision grid.
std::int64_t default_image_tokens(Stage stage, const model::VlmConfig& config);

}  // namespace oqvl::train
