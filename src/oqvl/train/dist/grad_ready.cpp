#include "oqvl/train/dist/grad_ready.h"

#include "oqvl/core/error.h"

namespace oqvl::train {

void write_final_gradient(torch::Tensor& slot, const torch::Tensor& acc, const torch::Tensor& incoming) {
  if (incoming.defined() && acc.defined()) {
    if (slot.scalar_type() == acc.scalar_type()) {
      slot.copy_(acc);
      slot.add_(incoming);
    } else {
      slot.copy_(acc + incoming);
    }
  } else if (incoming.defined()) {
    slot.copy_(incoming);
  } else if (acc.defined()) {
    slot.copy_(acc);
  } else {
    slot.zero_();
  }
}

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
  for (std::size_t k = 0; k < params_.size(); ++k) {
    if (group_of_[k] == groups.size()) fail("GradReady: parameter {} is in no group", k);
    hook_ids_.push_back(params_[k].register_hook([this, k](const torch::Tensor& g) { on_gradient(k, g); }));
  }
}

GradReady::~GradReady() {
  for (std::size_t k = 0; k < hook_ids_.size(); ++k) params_[k].remove_hook(hook_ids_[k]);
}

void GradReady::arm() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::fill(arrived_.begin(), arrived_.end(), 0);
  std::fill(seen_.begin(), seen_.end(), 0);
  next_group_ = 0;
  twice_ = false;
  armed_ = true;
  start_ready_groups();  // empty groups
}

void GradReady::on_gradient(std::size_t k, const torch::Tensor& incoming) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!armed_) return;
  if (seen_[k]) {
    twice_ = true;  // reported by finish(): throwing inside autograd's thread loses the message
    return;
  }
  seen_[k] = 1;
  torch::NoGradGuard no_grad;
  param_ready_(k, incoming);
  ++arrived_[group_of_[k]];
  start_ready_groups();
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
        param_ready_(k, torch::Tensor());
        ++arrived_[g];
      }
  start_ready_groups();
}

}  // namespace oqvl::train
