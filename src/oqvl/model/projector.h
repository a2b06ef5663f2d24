// Open-Qwen2VL's vision-to-language projector (Prismatic AvgPoolProjector, docs/recipe.md §4 and 5.2):
// the square grid of vision tokens is average-pooled to a square grid of Q tokens with exactly
// PyTorch's AdaptiveAvgPool2d bins, then Linear(Dv -> Dl) - GELU(erf) - Linear(Dl -> Dl).
// Q is a run-time argument: 144 (12x12) in pre-training, 729 (27x27 = identity) in SFT; the MLP
// weights are the same.
//
// Parameter names are Prismatic's: mlp_projector.0.{weight,bias} [Dl, Dv], [Dl] and
// mlp_projector.2.{weight,bias} [Dl, Dl], [Dl] (index 1 is the GELU, the pool has no parameters).
// In a Prismatic checkpoint they sit under ["model"]["projector"]; flattened with a prefix
// (e.g. "projector.mlp_projector.0.weight") they are found by load_state too.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "oqvl/model/io/safetensors.h"  // StateDict

namespace oqvl::model {

// Rows [start, end) of each of `out` bins over `in` inputs, PyTorch's adaptive pooling rule:
// start = floor(i * in / out), end = ceil((i + 1) * in / out).
std::vector<std::pair<std::int64_t, std::int64_t>> adaptive_pool_bins(std::int64_t in,
                                                                      std::int64_t out);

// x [B, N, D] with N = h*h (row-major: h outer, w inner) -> [B, Q, D] with Q = q*q, each token the
// mean over its adaptive-pooling window. oqvl::Error if N or Q is not a perfect square.
torch::Tensor pool_tokens(const torch::Tensor& x, std::int64_t num_tokens);

// Token count of a Prismatic arch_specifier ending in "avgpool": "no-align+avgpool" -> 144,
// "full-align+729-avgpool" -> 729. oqvl::Error for anything else.
std::int64_t avgpool_tokens_from_arch_specifier(std::string_view arch_specifier);

class PoolingProjectorImpl : public torch::nn::Module {
 public:
  PoolingProjectorImpl(std::int64_t vision_dim = 1152, std::int64_t llm_dim = 1536);

  // features [B, N, Dv] (N a square, e.g. 729) -> [B, num_tokens, Dl].
  torch::Tensor forward(const torch::Tensor& features, std::int64_t num_tokens);

  // Copies mlp_projector.{0,2}.{weight,bias} from `state` (under any prefix ending in '.').
  void load_state(const StateDict& state);

  std::int64_t vision_dim() const { return vision_dim_; }
  std::int64_t llm_dim() const { return llm_dim_; }

 private:
  std::int64_t vision_dim_, llm_dim_;
  torch::nn::Sequential mlp_projector_{nullptr};
};
TORCH_MODULE(PoolingProjector);

}  // namespace oqvl::model
