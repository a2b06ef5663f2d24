#include "oqvl/train/optimizer.h"

#include <cmath>
#include <set>

#include "oqvl/core/error.h"
#include "oqvl/model/io/state_dict.h"

namespace oqvl::train {

bool decays(const std::string& name, const torch::Tensor& param) {
  return param.dim() >= 2 && !name.ends_with(".bias");
}

AdamW::AdamW(std::vector<std::pair<std::string, torch::Tensor>> named_params, AdamWOptions options)
    : options_(options) {
  std::set<std::string> seen;
  for (auto& [name, p] : named_params) {
    if (!p.requires_grad()) fail("optimizer: parameter '{}' does not require gradients (frozen)", name);
    if (!seen.insert(name).second) fail("optimizer: parameter '{}' given twice", name);
    params_.push_back({name, p, decays(name, p), {}, {}, 0, p.sizes().vec()});
  }
}

AdamW AdamW::over_slices(std::vector<Param> slices, AdamWOptions options) {
  AdamW out;
  out.options_ = options;
  out.params_ = std::move(slices);
  return out;
}

void AdamW::set_moments(std::size_t i, const torch::Tensor& exp_avg, const torch::Tensor& exp_avg_sq) {
  auto& p = params_.at(i);
  for (const auto* t : {&exp_avg, &exp_avg_sq})
    if (t->numel() != p.param.numel())
      fail("optimizer state: '{}' has {} elements, the parameter {}", p.name, t->numel(), p.param.numel());
  p.exp_avg = exp_avg.to(p.param.device(), torch::kFloat32).reshape(p.param.sizes()).clone();
  p.exp_avg_sq = exp_avg_sq.to(p.param.device(), torch::kFloat32).reshape(p.param.sizes()).clone();
}

std::int64_t AdamW::decayed_count() const {
  std::int64_t n = 0;
  for (const auto& p : params_) n += p.decay;
  return n;
}

void AdamW::zero_grad() {
  for (auto& p : params_) {
    auto& g = p.param.mutable_grad();
    if (g.defined()) g = torch::Tensor();  // set_to_none, as torch's default
  }
}

void AdamW::step(double lr) {
  std::vector<torch::Tensor> grads;
  grads.reserve(params_.size());
  for (const auto& p : params_) grads.push_back(p.param.grad());
  step(lr, grads);
}

void AdamW::step(double lr, const std::vector<torch::Tensor>& grads) {
  if (grads.size() != params_.size())
    fail("optimizer: {} gradients for {} parameters", grads.size(), params_.size());
  torch::NoGradGuard no_grad;
  ++step_;
  const double bias1 = 1.0 - std::pow(options_.beta1, static_cast<double>(step_));
  const double bias2 = 1.0 - std::pow(options_.beta2, static_cast<double>(step_));
  const double step_size = lr / bias1;
  const double bias2_sqrt = std::sqrt(bias2);
  for (std::size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i];
    const auto& grad = grads[i];
    if (!grad.defined()) continue;
    if (!p.exp_avg.defined()) {
      p.exp_avg = torch::zeros_like(p.param, torch::kFloat32);
      p.exp_avg_sq = torch::zeros_like(p.param, torch::kFloat32);
    }
    auto g = grad.to(torch::kFloat32);
    // The order of torch.optim.AdamW's single-tensor path, so fp32 results agree closely.
    if (p.decay && options_.weight_decay != 0) p.param.mul_(1.0 - lr * options_.weight_decay);
    p.exp_avg.lerp_(g, 1.0 - options_.beta1);
    p.exp_avg_sq.mul_(options_.beta2).addcmul_(g, g, 1.0 - options_.beta2);
    auto denom = (p.exp_avg_sq.sqrt() / bias2_sqrt).add_(options_.eps);
    if (p.param.scalar_type() == torch::kFloat32) {
      p.param.addcdiv_(p.exp_avg, denom, -step_size);
    } else {  // a low-precision parameter without a master copy: update in fp32, round once
      p.param.copy_(p.param.to(torch::kFloat32).addcdiv_(p.exp_avg, denom, -step_size));
    }
  }
}

model::StateDict AdamW::state_dict() const {
  model::StateDict out;
  for (const auto& p : params_) {
    out[p.name + ".exp_avg"] = p.exp_avg.defined() ? p.exp_avg : torch::zeros_like(p.param, torch::kFloat32);
    out[p.name + ".exp_avg_sq"] = p.exp_avg_sq.defined() ? p.exp_avg_sq
                                                         : torch::zeros_like(p.param, torch::kFloat32);
  }
  out["step"] = torch::tensor(step_, torch::kInt64);
  return out;
}

void AdamW::load_state_dict(const model::StateDict& state) {
  auto it = state.find("step");
  if (it == state.end()) fail("optimizer state: no 'step'");
  step_ = it->second.item<std::int64_t>();
  std::set<std::string> used{"step"};
  for (auto& p : params_) {
    for (auto* field : {&p.exp_avg, &p.exp_avg_sq}) {
      const auto name = p.name + (field == &p.exp_avg ? ".exp_avg" : ".exp_avg_sq");
      auto t = state.find(name);
      if (t == state.end()) fail("optimizer state: no '{}' (was the run started with another stage?)", name);
      if (t->second.sizes() != p.param.sizes())
        fail("optimizer state: '{}' has shape {} but the parameter has {}", name,
             model::shape_string(t->second.sizes()), model::shape_string(p.param.sizes()));
      *field = t->second.to(p.param.device(), torch::kFloat32).clone();
      used.insert(name);
    }
  }
  for (const auto& [name, t] : state)
    if (!used.count(name))
      fail("optimizer state: unknown tensor '{}' (not a trainable parameter of this run)", name);
}

double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> norms;
  for (const auto& p : params)
    if (p.grad().defined()) norms.push_back(p.grad().to(torch::kFloat32).norm(2));
  if (norms.empty()) return 0.0;
  auto total = torch::stack(norms).norm(2);
  if (max_norm > 0) {
    // As torch: the coefficient is clamped to 1 on the device, so the step needs no host read.
    auto coef = (max_norm / (total + 1e-6)).clamp_max(1.0);
    for (const auto& p : params)
      if (p.grad().defined()) p.grad().mul_(coef.to(p.grad().scalar_type()));
  }
  return total.item<double>();
}

}  // namespace oqvl::train
