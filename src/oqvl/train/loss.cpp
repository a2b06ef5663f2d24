#include "oqvl/train/loss.h"

#include "oqvl/core/error.h"

namespace oqvl::train {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;
using torch::indexing::Slice;

struct LinearCrossEntropy : torch::autograd::Function<LinearCrossEntropy> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor hidden, torch::Tensor weight,
                               torch::Tensor targets, std::int64_t chunk) {
    const int64_t M = hidden.size(0);
    const bool need_hidden = ctx->needs_input_grad(0), need_weight = ctx->needs_input_grad(1);
    auto total = torch::zeros({}, hidden.options().dtype(torch::kFloat32));
    torch::Tensor grad_hidden, grad_weight;
    if (need_hidden) grad_hidden = torch::empty_like(hidden);
    if (need_weight) grad_weight = torch::zeros_like(weight, torch::kFloat32);
    for (int64_t start = 0; start < M; start += chunk) {
      const int64_t end = std::min(M, start + chunk);
      auto h = hidden.index({Slice(start, end)});                           // [C, H]
      auto t = targets.index({Slice(start, end)});                          // [C]
      auto logits = torch::matmul(h, weight.t()).to(torch::kFloat32);       // [C, V]
      auto lse = torch::logsumexp(logits, 1);                               // [C]
      total += (lse - logits.gather(1, t.unsqueeze(1)).squeeze(1)).sum();
      if (!need_hidden && !need_weight) continue;
      // d(sum CE)/d logits = softmax - onehot, formed in place in the logits buffer.
      auto g = logits.sub_(lse.unsqueeze(1)).exp_();
      g.scatter_add_(1, t.unsqueeze(1), torch::full({end - start, 1}, -1.0f, g.options()));
      auto gl = g.to(hidden.scalar_type());
      if (need_hidden) grad_hidden.index_put_({Slice(start, end)}, torch::matmul(gl, weight));
      if (need_weight) grad_weight.add_(torch::matmul(gl.t(), h).to(torch::kFloat32));
    }
    ctx->saved_data["grad_hidden"] = grad_hidden;
    ctx->saved_data["grad_weight"] = need_weight ? grad_weight.to(weight.scalar_type()) : torch::Tensor();
    return total;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    auto scale = grads[0];  // [] the incoming gradient of the summed loss
    auto gh = ctx->saved_data["grad_hidden"].toTensor();
    auto gw = ctx->saved_data["grad_weight"].toTensor();
    return {gh.defined() ? gh * scale.to(gh.scalar_type()) : torch::Tensor(),
            gw.defined() ? gw * scale.to(gw.scalar_type()) : torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor linear_cross_entropy_sum(const torch::Tensor& hidden, const torch::Tensor& weight,
                                       const torch::Tensor& targets, std::int64_t chunk) {
  if (hidden.dim() != 2 || weight.dim() != 2 || hidden.size(1) != weight.size(1))
    fail("loss: hidden must be [M, H] and weight [V, H]");
  if (targets.dim() != 1 || targets.size(0) != hidden.size(0)) fail("loss: targets must be [M]");
  if (chunk < 1) fail("loss: chunk must be >= 1");
  return LinearCrossEntropy::apply(hidden, weight, targets.to(hidden.device(), torch::kInt64), chunk);
}

}  // namespace oqvl::train
