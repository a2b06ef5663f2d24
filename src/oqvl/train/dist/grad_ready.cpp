#include "oqvl/train/dist/grad_ready.h"

#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include "oqvl/core/error.h"

namespace oqvl::train {

struct GradReady::Hook : torch::autograd::PostAccumulateGradHook {
  Hook(GradReady* owner, std::size_t k) : owner(owner), k(k) {}
  void operator()(const torch::autograd::Variable&) override { owner->on_gradient(k); }
  GradReady* owner;
  std::size_t k;
};

GradReady::GradReady(std::vector<torch::Tensor> params, const std::vector<std::vector<std::size_t>>& groups,
                     ParamReady param_ready, GroupReady group_ready)
    : params_(std::move(params)),
      group_of_(params_.size(), groups.size()),
      group_size_(groups.size(), 0),
      arrived_(groups.size(), 0),
      seen_(params_.size(), 0),
      groups_(groups),
      param_ready_(std::move(param_ready)),
      group_ready_(std::move(group_ready)) {
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (auto k : groups[g]) {
      if (k >= params_.size() || group_of_[k] != groups.size())
        fail("GradReady: parameter {} is out of range or in two groups", k);
      group_of_[k] = g;
      ++group_size_[g];
    }
  // Everything checked before the first hook goes in: a throwing constructor runs no destructor.
  for (std::size_t k = 0; k < params_.size(); ++k) {
    if (group_of_[k] == groups.size()) fail("GradReady: parameter {} is in no group", k);
    if (!params_[k].requires_grad() || !params_[k].is_leaf())
      fail("GradReady: parameter {} is not a leaf that requires gradients", k);
    if (torch::autograd::impl::post_acc_grad_hooks(params_[k]))
      fail("GradReady: parameter {} already has a post-accumulate hook", k);
  }
  for (std::size_t k = 0; k < params_.size(); ++k)
    torch::autograd::impl::set_post_acc_grad_hooks(params_[k], std::make_unique<Hook>(this, k));
}

GradReady::~GradReady() {
  for (auto& p : params_) torch::autograd::impl::set_post_acc_grad_hooks(p, nullptr);
}

void GradReady::arm() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::fill(arrived_.begin(), arrived_.end(), 0);
  std::fill(seen_.begin(), seen_.end(), 0);
  next_group_ = 0;
  started_in_backward_ = 0;
  twice_ = false;
  armed_ = true;
  start_ready_groups();  // empty groups
}

void GradReady::on_gradient(std::size_t k) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!armed_) return;
  if (seen_[k]) {
    twice_ = true;
    return;
  }
  seen_[k] = 1;
  torch::NoGradGuard no_grad;
  param_ready_(k);
  ++arrived_[group_of_[k]];
  const auto before = next_group_;
  start_ready_groups();
  started_in_backward_ += next_group_ - before;
}

void GradReady::start_ready_groups() {
  while (next_group_ < groups_.size() && arrived_[next_group_] == group_size_[next_group_])
    group_ready_(next_group_++);
}

void GradReady::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!armed_) fail("GradReady: finish() without arm()");
  armed_ = false;
  if (twice_)
    fail("GradReady: a parameter's gradient arrived twice in one backward (used by two re-run blocks?)");
  torch::NoGradGuard no_grad;
  for (std::size_t g = next_group_; g < groups_.size(); ++g)
    for (auto k : groups_[g])
      if (!seen_[k]) {
        seen_[k] = 1;
        param_ready_(k);
        ++arrived_[g];
      }
  start_ready_groups();
}

}  // namespace oqvl::train
