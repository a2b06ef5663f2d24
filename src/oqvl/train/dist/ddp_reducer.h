// The ddp strategy's gradient all-reduce overlapped with backward (dist.overlap): the trainable
// parameters are laid into buckets of about dist.bucket_mb, in reverse order (roughly the order
// backward finishes them), and during the step's last backward each bucket's all-reduce starts
// as soon as its gradients are final (grad_ready.h), while backward computes the rest.
//
// With fp32 sums the parameters' .grad are views of the buckets for the whole step (PyTorch
// DDP's gradient_as_bucket_view): autograd accumulates the micro-batches into them in place and
// the all-reduce sums them in place, so no gradient is copied and no memory is added. With bf16
// sums each bucket is a bf16 copy, made as the gradient becomes final, written back after. The
// sums are the blocking path's bit for bit; a gradient this rank did not reach is zeros.
// Training thread, plus autograd's thread inside backward.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "oqvl/train/dist/comm.h"
#include "oqvl/train/dist/grad_ready.h"

namespace oqvl::train {

class DdpReducer {
 public:
  DdpReducer(std::vector<torch::Tensor> params, Comm& comm, std::int64_t bucket_bytes,
             torch::ScalarType reduce_dtype = torch::kFloat32);
  // Before the step's first backward: fp32 sums point every .grad at its (zeroed) bucket slot.
  void begin_step();
  // Before the step's last backward.
  void arm();
  // After it: starts what is left, waits for every bucket; every parameter's .grad then holds
  // the sum over the ranks.
  void finish();
  // Seconds spent starting and waiting for the all-reduces since the last call: the part of
  // communication that backward did not hide.
  double take_comm_seconds();
  std::size_t buckets() const { return buckets_.size(); }
  // Buckets whose all-reduce started inside the last step's backward.
  std::size_t started_in_backward() const { return ready_->started_in_backward(); }

 private:
  struct Bucket {
    std::vector<std::size_t> members;
    std::vector<std::int64_t> offsets;
    std::int64_t elements = 0;
    torch::Tensor flat;  // fp32: for the whole run (the .grad views); bf16: during the last backward
    std::unique_ptr<Pending> pending;
  };
  torch::Tensor slot(std::size_t k);  // parameter k's place in its bucket
  void param_ready(std::size_t k);

  std::vector<torch::Tensor> params_;
  Comm& comm_;
  torch::ScalarType reduce_dtype_;
  bool views_ = false;  // .grad are bucket views (the reduce dtype is the parameters')
  std::vector<Bucket> buckets_;
  std::vector<std::size_t> bucket_of_, index_in_bucket_;
  std::unique_ptr<GradReady> ready_;
  double comm_seconds_ = 0;
};

}  // namespace oqvl::train
