// Collectives for data-parallel training over libtorch's own c10d: a TCPStore rendezvous at
// MASTER_ADDR:MASTER_PORT (rank 0 serves it) and a ProcessGroupGloo (CPU tensors). NCCL for GPUs
// is not wired yet (oqvl::Error naming it). Built with Gloo when Debian's libgloo-dev headers were
// found (CMake: OQVL_HAVE_GLOO); without them a world size above 1 is an error.
//
// Every collective blocks until all ranks joined it or `timeout` passed; a rank that died or hung
// turns into an oqvl::Error on the others ("rank R: all-reduce failed ..."), never a silent hang.
// One thread per Comm.
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
  std::string backend = "gloo";                  // gloo (nccl: not yet)
  std::chrono::milliseconds timeout{300'000};    // per collective and for the rendezvous
  std::int64_t bucket_bytes = 25 * 1024 * 1024;  // all_reduce_sum packs tensors into buckets this big
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
};

// world 1: a Comm whose collectives are no-ops (no store, no sockets). Otherwise the store and
// process group; oqvl::Error when the rendezvous fails or times out, or this build has no Gloo.
std::unique_ptr<Comm> make_comm(const DistEnv& env, const CommOptions& options = {});

// Whether this build can run world sizes above 1.
bool comm_available();

}  // namespace oqvl::train
