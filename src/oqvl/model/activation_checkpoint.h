// Activation checkpointing (what torch.utils.checkpoint does; the paper wraps every Qwen2 decoder
// layer, docs/recipe.md §7.3): the forward of a block runs without keeping its intermediate
// activations; backward runs the block again with autograd on and backpropagates through the
// re-run, so parameters used inside the block get their gradients then.
//
// The block must compute the same thing twice: no randomness (no dropout in these models), and
// the CUDA autocast state of the forward is restored for the re-run. Tensors the block captures
// (RoPE tables, masks) must not need gradients; only `x`'s gradient is returned.
#pragma once

#include <torch/torch.h>

#include <functional>

namespace oqvl::model {

using Block = std::function<torch::Tensor(const torch::Tensor&)>;

// Called around the backward of a checkpointed block (layer-sharded training uses them to bring
// the block's parameters back before the re-run and to hand its gradients on after): before_rerun
// just before the block runs again, after_backward once its backward is done. Either may be empty.
struct CheckpointHooks {
  std::function<void()> before_rerun, after_backward;
};

// block(x) with its activations recomputed in backward. With autograd off it is just block(x)
// (the hooks are not called then).
torch::Tensor checkpointed(Block block, const torch::Tensor& x, CheckpointHooks hooks = {});

}  // namespace oqvl::model
