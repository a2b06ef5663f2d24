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
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

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

// Loads a checkpoint into the model (weights), optimizer and torch's CPU generator; returns its
// state. oqvl::Error naming the file when something is missing or does not fit.
TrainerState load_checkpoint(const std::filesystem::path& dir, model::OpenQwen2VLImpl& model,
                             AdamW& optimizer);

}  // namespace oqvl::train
