// AdamW as torch.optim.AdamW computes it (decoupled decay, bias-corrected moments), over named
// parameters, with its state keyed by parameter name so checkpoints survive code changes that
// reorder modules. Two groups as the paper's code builds them (docs/recipe.md §7.2): weights with
// >= 2 dimensions whose name does not end in ".bias" decay; biases and 1-D weights (norms) do not.
// Only parameters that require gradients are given: frozen ones never enter the optimizer.
//
// Not thread-safe; call from the training thread.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "oqvl/model/io/safetensors.h"  // StateDict

namespace oqvl::train {

struct AdamWOptions {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double weight_decay = 0.01;
};

// Whether the paper's grouping decays this parameter.
bool decays(const std::string& name, const torch::Tensor& param);

class AdamW {
 public:
  struct Param {
    std::string name;
    torch::Tensor param;
    bool decay = false;
    torch::Tensor exp_avg, exp_avg_sq;  // fp32, created on the first step
    // A slice (sharded training): `param` is elements [offset, offset + numel) of the flattened
    // parameter `name` of shape `full_shape`. A whole parameter: offset 0, full_shape = its shape.
    std::int64_t offset = 0;
    std::vector<std::int64_t> full_shape;
  };

  AdamW(std::vector<std::pair<std::string, torch::Tensor>> named_params, AdamWOptions options);

  // Over slices of parameters (train/dist/sharded.h): each Param names its parameter, slice and
  // decay group (decided on the whole parameter); the tensors need not require gradients, and
  // their gradients are passed to step(lr, grads).
  static AdamW over_slices(std::vector<Param> slices, AdamWOptions options);

  // One update of every parameter with a gradient at learning rate `lr`; parameters without a
  // gradient are skipped (as torch does). Increments step().
  void step(double lr);
  // The same with the gradients given: grads[i] belongs to params()[i] (undefined = skipped).
  void step(double lr, const std::vector<torch::Tensor>& grads);
  void zero_grad();
  // Checkpoint loading: the moments of params()[i] (any shape with its number of elements) and
  // the step count.
  void set_moments(std::size_t i, const torch::Tensor& exp_avg, const torch::Tensor& exp_avg_sq);
  void set_steps(std::int64_t steps) { step_ = steps; }

  std::int64_t steps() const { return step_; }
  const std::vector<Param>& params() const { return params_; }
  std::int64_t decayed_count() const;  // parameters in the decay group

  // "{name}.exp_avg", "{name}.exp_avg_sq" for every parameter, plus "step" (int64 scalar).
  // Whole parameters only (a slice's moments are saved as checkpoint chunks).
  model::StateDict state_dict() const;
  // The inverse; oqvl::Error naming a missing or mis-shaped tensor or an unknown name.
  void load_state_dict(const model::StateDict& state);

 private:
  AdamW() = default;
  std::vector<Param> params_;
  AdamWOptions options_;
  std::int64_t step_ = 0;
};

// Global L2 norm of the gradients of `params` (fp32 accumulation), and clipping to max_norm as
// torch.nn.utils.clip_grad_norm_ does (scale = max_norm / (norm + 1e-6), applied when < 1).
// Returns the norm before clipping. max_norm <= 0: only measures.
double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm);

}  // namespace oqvl::train
