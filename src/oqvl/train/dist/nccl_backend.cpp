#include "oqvl/train/dist/nccl_backend.h"

#include "oqvl/core/error.h"

#ifdef OQVL_HAVE_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace oqvl::train {

bool nccl_available() {
#ifdef OQVL_HAVE_NCCL
  return true;
#else
  return false;
#endif
}

c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                                    int world, std::chrono::milliseconds timeout,
                                                    int device) {
#ifdef OQVL_HAVE_NCCL
  c10::cuda::set_device(static_cast<c10::DeviceIndex>(device));
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, world, options);
#else
  (void)store, (void)rank, (void)world, (void)timeout, (void)device;
  fail("this oqvl build has no NCCL (libtorch with CUDA and the nvidia-nccl wheel's nccl.h are needed)");
#endif
}

}  // namespace oqvl::train
