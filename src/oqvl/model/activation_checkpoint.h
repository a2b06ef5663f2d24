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

// block(x) with its activations recomputed in backward. With autograd off it is just block(x).
torch::Tensor checkpointed(Block block, const torch::Tensor& x);

}  // namespace oqvl::model
