// Collectives for data-parallel training over libtorch's own c10d: a TCPStore rendezvous at
// MASTER_ADDR:MASTER_PORT (rank 0 serves it) and a process group: ProcessGroupGloo (CPU tensors)
// or ProcessGroupNCCL (CUDA tensors, device `device_index`; nccl_backend.h). Built when Debian's
// libgloo-dev headers were found (CMake: OQVL_HAVE_GLOO), NCCL when libtorch has CUDA and the
// nvidia-nccl wheel's nccl.h is there (OQVL_HAVE_NCCL); without them a world size above 1 is an
// error. Tensors on another device than the group's (CPU statistics with NCCL) are copied.
//
// Every collective blocks until all ranks joined it or `timeout` passed; a rank that died or hung
// turns into an oqvl::Error on the others ("rank R: all-reduce failed ..."), never a silent hang.
// The *_start forms return at once and run the collective in the backend's own threads (Gloo) or
// stream (NCCL), so it overlaps the caller's compute; its tensors must stay untouched until
// Pending::wait() returned. One thread at a time per Comm (the training thread, or autograd's
// thread while the training thread waits in backward); collectives start in the same order on
// every rank.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "oqvl/train/dist/environment.h"

namespace oqvl::train {

struct CommOptions {
  std::string backend = "gloo";                  // gloo | nccl
  int device_index = 0;                          // nccl: the CUDA device of this rank
  std::chrono::milliseconds timeout{300'000};    // per collective and for the rendezvous
  std::int64_t bucket_bytes = 25 * 1024 * 1024;  // all_reduce_sum packs tensors into buckets this big
};

// A started collective. wait() blocks (Gloo) or orders the current stream after it (NCCL) and
// throws oqvl::Error as the blocking forms do; destroying it unwaited waits and swallows errors
// (an exception is already on its way).
class Pending {
 public:
  virtual ~Pending() = default;
  virtual void wait() = 0;
};

class Comm {
 public:
  virtual ~Comm() = default;
  virtual int rank() const = 0;
  virtual int world() const = 0;
  // Sums each tensor over the ranks, in place. Tensors of one dtype are flattened into buckets
  // of about bucket_bytes, so many small gradients cost few collectives.
  virtual void all_reduce_sum(std::vector<torch::Tensor>& tensors) = 0;
  // Replaces `tensor` with rank `root`'s, in place.
  virtual void broadcast(torch::Tensor& tensor, int root) = 0;
  // Returns when every rank called it.
  virtual void barrier() = 0;
  // input [world * n] contiguous, the same on every rank in shape and dtype -> output [n]: the sum
  // over the ranks of input's rank()-th slice (what FSDP's reduce-scatter of gradients does).
  virtual void reduce_scatter_sum(const torch::Tensor& input, torch::Tensor& output) = 0;
  // input [n] -> output [world * n]: every rank's input, in rank order.
  virtual void all_gather(const torch::Tensor& input, torch::Tensor& output) = 0;
  // Started forms, for tensors already contiguous on the group's device (oqvl::Error otherwise):
  // sums `flat` over the ranks in place; reduce-scatter and all-gather as above.
  virtual std::unique_ptr<Pending> all_reduce_sum_start(torch::Tensor flat) = 0;
  virtual std::unique_ptr<Pending> reduce_scatter_sum_start(torch::Tensor input, torch::Tensor output) = 0;
  virtual std::unique_ptr<Pending> all_gather_start(torch::Tensor input, torch::Tensor output) = 0;
  // A group of some of this group's ranks (this rank among them; `ranks` in rank order, the same
  // list on every member), named `name` (unique per group, e.g. "node1"). Only members call it,
  // all of them; their collectives then involve only the members. oqvl::Error on failure.
  virtual std::unique_ptr<Comm> subgroup(const std::vector<int>& ranks, const std::string& name) = 0;
};

// One process not started by `oqvl launch` / torchrun: a Comm whose collectives are no-ops or
// copies (no store, no sockets). Otherwise the store and process group, also for a launched
// world of 1; oqvl::Error when the rendezvous fails or times out, or this build has no Gloo.
std::unique_ptr<Comm> make_comm(const DistEnv& env, const CommOptions& options = {});

// Whether this build can run world sizes above 1 (Gloo), and CUDA ranks (NCCL).
bool comm_available();
bool nccl_available();

}  // namespace oqvl::train
