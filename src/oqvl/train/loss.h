// The language-model loss of a training step, computed only where there are labels, without
// ever forming the [M, V] logits: hidden states of the M counted positions [M, H] against the LM
// head [V, H], in vocabulary blocks. With V = 151,936 a 4096-token row would otherwise need 2.5 GB
// of fp32 logits plus their gradient; on a CPU the big tensor also made every elementwise pass
// a trip through main memory, which dominated small models' steps.
//
// Forward makes two passes over the blocks: an online log-sum-exp, then softmax - onehot per
// block, multiplied straight into the gradients of hidden and weight (the loss is a scalar, so
// backward only scales them): the head's matmul runs twice, nothing large is kept. Softmax
// statistics are fp32 whatever the input dtype (what autocast does for cross-entropy).
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace oqvl::train {

// The summed cross-entropy of CE(hidden @ weight^T -> targets) over the M rows (fp32 scalar),
// differentiable in hidden and weight. hidden [M, H], weight [V, H], targets [M] int64 in [0, V).
// M = 0 gives 0 (connected to the graph). block = vocabulary rows per block; 0 picks it from M
// (about 2^20 logits per block, 256..8192 rows).
torch::Tensor linear_cross_entropy_sum(const torch::Tensor& hidden, const torch::Tensor& weight,
                                       const torch::Tensor& targets, std::int64_t block = 0);

}  // namespace oqvl::train
