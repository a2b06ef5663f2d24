#include "oqvl/train/loss.h"

#include <algorithm>
#include <limits>

#include "oqvl/core/error.h"

namespace oqvl::train {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;
using torch::indexing::Slice;

// Elements of one [M, block] logits tile: small enough to stay in cache on a CPU, large enough
// that each matmul is still a real one.
constexpr std::int64_t kTileElements = 1 << 20;

struct LinearCrossEntropy : torch::autograd::Function<LinearCrossEntropy> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor hidden, torch::Tensor weight,
                               torch::Tensor targets, std::int64_t block) {
    const int64_t M = hidden.size(0), V = weight.size(0);
    const bool need_hidden = ctx->needs_input_grad(0), need_weight = ctx->needs_input_grad(1);
    // Softmax statistics in fp32 (fp64 inputs keep fp64: the unit tests compare in fp64).
    const auto acc = hidden.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat32;
    auto opts = hidden.options().dtype(acc);
    torch::NoGradGuard no_grad;
    // Pass 1: an online log-sum-exp over vocabulary blocks (never a [M, V] tensor).
    auto run_max = torch::full({M}, -std::numeric_limits<double>::infinity(), opts);
    auto run_sum = torch::zeros({M}, opts);
    for (int64_t v0 = 0; v0 < V; v0 += block) {
      const int64_t v1 = std::min(V, v0 + block);
      auto logits = torch::matmul(hidden, weight.index({Slice(v0, v1)}).t()).to(acc);  // [M, b]
      auto new_max = torch::maximum(run_max, std::get<0>(logits.max(1)));
      run_sum.mul_((run_max - new_max).exp_()).add_(logits.sub_(new_max.unsqueeze(1)).exp_().sum(1));
      run_max = new_max;
    }
    auto lse = run_max + run_sum.log();                  // [M]
    auto target_rows = weight.index_select(0, targets);  // [M, H]
    auto target_logit = (hidden.to(acc) * target_rows.to(acc)).sum(1);
    auto total = M > 0 ? (lse - target_logit).sum() : torch::zeros({}, opts);

    // Pass 2: d(sum CE)/d logits = softmax - onehot, block by block, straight into the gradients
    // (the loss is a scalar, so backward only has to scale them).
    torch::Tensor grad_hidden, grad_weight;
    if ((need_hidden || need_weight) && M > 0) {
      auto h_acc = hidden.to(acc);
      if (need_hidden) grad_hidden = torch::zeros({M, hidden.size(1)}, opts);
      if (need_weight) grad_weight = torch::empty({V, weight.size(1)}, weight.options().dtype(acc));
      for (int64_t v0 = 0; v0 < V; v0 += block) {
        const int64_t v1 = std::min(V, v0 + block);
        auto w = weight.index({Slice(v0, v1)});
        auto p = torch::matmul(hidden, w.t()).to(acc).sub_(lse.unsqueeze(1)).exp_();  // [M, b]
        if (need_hidden) grad_hidden.addmm_(p, w.to(acc));
        if (need_weight) {
          auto rows = grad_weight.narrow(0, v0, v1 - v0);
          torch::mm_out(rows, p.t(), h_acc);
        }
      }
      if (need_hidden) grad_hidden.sub_(target_rows.to(acc));
      if (need_weight) grad_weight.index_add_(0, targets, h_acc, -1.0);
    } else {  // nothing counted: zero gradients, still connected to the graph
      if (need_weight) grad_weight = torch::zeros({V, weight.size(1)}, weight.options().dtype(acc));
      if (need_hidden) grad_hidden = torch::zeros({M, hidden.size(1)}, opts);
    }
    ctx->saved_data["grad_hidden"] = need_hidden ? grad_hidden.to(hidden.scalar_type()) : torch::Tensor();
    ctx->saved_data["grad_weight"] = need_weight ? grad_weight.to(weight.scalar_type()) : torch::Tensor();
    return total;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    auto scale = grads[0];  // [] the incoming gradient of the summed loss
    auto gh = ctx->saved_data["grad_hidden"].toTensor();
    auto gw = ctx->saved_data["grad_weight"].toTensor();
    return {gh.defined() ? gh * scale.to(gh.scalar_type()) : torch::Tensor(),
            gw.defined() ? gw * scale.to(gw.scalar_type()) : torch::Tensor(), torch::Tensor(),
            torch::Tensor()};
  }
};

}  // namespace

torch::Tensor linear_cross_entropy_sum(const torch::Tensor& hidden, const torch::Tensor& weight,
                                       const torch::Tensor& targets, std::int64_t block) {
  if (hidden.dim() != 2 || weight.dim() != 2 || hidden.size(1) != weight.size(1))
    fail("loss: hidden must be [M, H] and weight [V, H]");
  if (targets.dim() != 1 || targets.size(0) != hidden.size(0)) fail("loss: targets must be [M]");
  if (block < 0) fail("loss: block must be >= 0");
  if (block == 0)
    block = std::clamp<std::int64_t>(kTileElements / std::max<std::int64_t>(1, hidden.size(0)), 256, 8192);
  return LinearCrossEntropy::apply(hidden, weight, targets.to(hidden.device(), torch::kInt64), block);
}

}  // namespace oqvl::train
