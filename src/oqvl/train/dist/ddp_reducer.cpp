#include "oqvl/train/dist/ddp_reducer.h"

#include "oqvl/core/error.h"
#include "oqvl/train/dist/comm_timer.h"

namespace oqvl::train {

DdpReducer::DdpReducer(std::vector<torch::Tensor> params, Comm& comm, std::int64_t bucket_bytes,
                       torch::ScalarType reduce_dtype)
    : params_(std::move(params)), comm_(comm), reduce_dtype_(reduce_dtype) {
  if (params_.empty()) fail("DdpReducer: no parameters");
  views_ = true;
  for (const auto& p : params_)
    views_ = views_ && p.scalar_type() == reduce_dtype_ && p.device() == params_[0].device();
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
  const auto options = params_[0].options().dtype(reduce_dtype_);
  if (views_)
    for (auto& b : buckets_) b.flat = torch::zeros({b.elements}, options);
  std::vector<std::vector<std::size_t>> groups;
  for (const auto& b : buckets_) groups.push_back(b.members);
  ready_ = std::make_unique<GradReady>(
      params_, groups, [this](std::size_t k) { param_ready(k); },
      [this](std::size_t b) {
        CommTimer t(comm_seconds_);
        buckets_[b].pending = comm_.all_reduce_sum_start(buckets_[b].flat);
      });
}

torch::Tensor DdpReducer::slot(std::size_t k) {
  auto& b = buckets_[bucket_of_[k]];
  return b.flat.narrow(0, b.offsets[index_in_bucket_[k]], params_[k].numel()).view(params_[k].sizes());
}

void DdpReducer::begin_step() {
  if (!views_) return;
  torch::NoGradGuard no_grad;
  for (auto& b : buckets_) b.flat.zero_();
  for (std::size_t k = 0; k < params_.size(); ++k) params_[k].mutable_grad() = slot(k);
}

void DdpReducer::arm() {
  if (!views_)
    for (auto& b : buckets_)
      b.flat = torch::empty({b.elements}, params_[b.members[0]].options().dtype(reduce_dtype_));
  ready_->arm();
}

void DdpReducer::param_ready(std::size_t k) {
  auto s = slot(k);
  const auto& g = params_[k].grad();
  if (views_ && g.defined() && g.data_ptr() == s.data_ptr()) return;  // accumulated in place
  // Not a view (bf16 sums, or someone replaced .grad): copy, rounded once; unreached: zeros.
  if (g.defined()) {
    s.copy_(g);
  } else {
    s.zero_();
  }
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
  for (std::size_t k = 0; k < params_.size(); ++k) {
    auto s = slot(k);
    auto& g = params_[k].mutable_grad();
    if (g.defined() && g.data_ptr() == s.data_ptr()) continue;
    if (!g.defined()) g = torch::empty_like(params_[k]);
    g.copy_(s);
  }
  if (!views_)
    for (auto& b : buckets_) b.flat = torch::Tensor();
}

double DdpReducer::take_comm_seconds() {
  const double s = comm_seconds_;
  comm_seconds_ = 0;
  return s;
}

}  // namespace oqvl::train
