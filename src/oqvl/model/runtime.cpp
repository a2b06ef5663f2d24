#include "oqvl/model/runtime.h"

#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include "oqvl/core/thread_pool.h"

namespace oqvl::model {

void set_torch_threads(int threads) {
  int n = resolve_thread_count(threads);
  at::set_num_threads(n);
  // Inter-op threads can only be set once per process, before any inter-op work starts.
  static bool inter_op_set = false;
  if (!inter_op_set) {
    at::set_num_interop_threads(1);
    inter_op_set = true;
  }
}

std::string runtime_summary() {
  bool cuda = torch::cuda::is_available();
  return fmt::format("libtorch {}, intra-op threads {}, CUDA {}", TORCH_VERSION,
                     at::get_num_threads(),
                     cuda ? fmt::format("available ({} device(s))", torch::cuda::device_count())
                          : std::string("not available"));
}

}  // namespace oqvl::model
