// The language-model loss of a training step, computed only where there are labels and in
// chunks: hidden states of the M counted positions [M, H] against the LM head [V, H]. With
// V = 151,936 a 4096-token row would otherwise need [4096, V] fp32 logits (2.5 GB) plus their
// gradient; here at most `chunk` rows of logits exist at a time.
//
// The gradient is computed in the forward pass, chunk by chunk (the loss is a scalar, so its
// gradient is known up to the incoming scale), and backward only scales it: no logits are kept
// and none are recomputed. Logits and softmax are fp32 whatever the input dtype (what autocast
// does for cross-entropy).
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace oqvl::train {

// The summed cross-entropy of CE(hidden @ weight^T -> targets) over the M rows (fp32 scalar),
// differentiable in hidden and weight. hidden [M, H], weight [V, H], targets [M] int64 in [0, V).
// M = 0 gives 0 (connected to the graph). chunk = rows per block.
torch::Tensor linear_cross_entropy_sum(const torch::Tensor& hidden, const torch::Tensor& weight,
                                       const torch::Tensor& targets, std::int64_t chunk = 1024);

}  // namespace oqvl::train
