#include "oqvl/train/dist/ddp_reducer.h"

#include <chrono>

#include "oqvl/core/error.h"
#include "oqvl/train/dist/comm_timer.h"

namespace oqvl::train {

DdpReducer::DdpReducer(std::vector<torch::Tensor> params, Comm& comm, std::int64_t bucket_bytes,
                       torch::ScalarType reduce_dtype)
    : params_(std::move(params)), comm_(comm), reduce_dtype_(reduce_dtype) {
  bucket_of_.resize(params_.size());
  index_in_bucket_.resize(params_.size());
  const auto elem = static_cast<std::int64_t>(c10::elementSize(reduce_dtype_));
  for (std::size_t i = params_.size(); i-- > 0;) {
    const auto n = params_[i].numel();
    if (buckets_.empty() ||
        (buckets_.back().elements > 0 && (buckets_.back().elements + n) * elem > bucket_bytes))
      buckets_.emplace_back();
    auto& b = buckets_.back();
    bucket_of_[i] = buckets_.size() - 1;
    index_in_bucket_[i] = b.members.size();
    b.members.push_back(i);
    b.offsets.push_back(b.elements);
    b.elements += n;
  }
  std::vector<std::vector<std::size_t>> groups;
  for (const auto& b : buckets_) groups.push_back(b.members);
  ready_ = std::make_unique<GradReady>(
      params_, groups, [this](std::size_t k, const torch::Tensor& g) { param_ready(k, g); },
      [this](std::size_t b) {
        CommTimer t(comm_seconds_);
        buckets_[b].pending = comm_.all_reduce_sum_start(buckets_[b].flat);
      });
}

void DdpReducer::arm() {
  for (auto& b : buckets_)
    b.flat = torch::empty({b.elements}, params_[b.members[0]].options().dtype(reduce_dtype_));
  ready_->arm();
}

void DdpReducer::param_ready(std::size_t k, const torch::Tensor& incoming) {
  auto& b = buckets_[bucket_of_[k]];
  const auto& p = params_[k];
  auto slot = b.flat.narrow(0, b.offsets[index_in_bucket_[k]], p.numel()).view(p.sizes());
  write_final_gradient(slot, p.grad(), incoming);
}

void DdpReducer::finish() {
  ready_->finish();
  {
    CommTimer t(comm_seconds_);
    for (auto& b : buckets_) {
      if (!b.pending) fail("DdpReducer: bucket not started");
      b.pending->wait();
      b.pending.reset();
    }
  }
  torch::NoGradGuard no_grad;
  for (auto& b : buckets_) {
    for (std::size_t m = 0; m < b.members.size(); ++m) {
      auto& p = params_[b.members[m]];
      auto sum = b.flat.narrow(0, b.offsets[m], p.numel()).view(p.sizes());
      if (!p.grad().defined()) p.mutable_grad() = torch::empty_like(p);
      p.mutable_grad().copy_(sum);
    }
    b.flat = torch::Tensor();
  }
}

double DdpReducer::take_comm_seconds() {
  const double s = comm_seconds_;
  comm_seconds_ = 0;
  return s;
}

}  // namespace oqvl::train
