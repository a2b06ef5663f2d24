// The ddp strategy's gradient all-reduce overlapped with backward (dist.overlap): the trainable
// parameters are laid into buckets of about dist.bucket_mb, in reverse order (roughly the order
// backward finishes them), and during the step's last backward each bucket's all-reduce starts
// as soon as its gradients are final (grad_ready.h), while backward computes the rest.
//
// The sums are the blocking path's exactly: each bucket holds the accumulated gradient (the
// earlier micro-batches' .grad plus this backward's, added as autograd adds them) in the reduce
// dtype; a gradient this rank did not reach is zeros. Training thread, plus autograd's thread
// inside backward.
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
  // Before the step's last backward.
  void arm();
  // After it: starts what is left, waits for every bucket and writes the sums to each
  // parameter's .grad (defined for every parameter afterwards).
  void finish();
  // Seconds spent starting and waiting for the all-reduces since the last call: the part of
  // communication that backward did not hide.
  double take_comm_seconds();
  std::size_t buckets() const { return buckets_.size(); }

 private:
  struct Bucket {
    std::vector<std::size_t> members;
    std::vector<std::int64_t> offsets;
    std::int64_t elements = 0;
    torch::Tensor flat;  // during the armed backward
    std::unique_ptr<Pending> pending;
  };
  void param_ready(std::size_t k, const torch::Tensor& incoming);

  std::vector<torch::Tensor> params_;
  Comm& comm_;
  torch::ScalarType reduce_dtype_;
  std::vector<Bucket> buckets_;
  std::vector<std::size_t> bucket_of_, index_in_bucket_;
  std::unique_ptr<GradReady> ready_;
  double comm_seconds_ = 0;
};

}  // namespace oqvl::train
