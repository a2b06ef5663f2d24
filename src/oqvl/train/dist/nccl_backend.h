// libtorch's ProcessGroupNCCL behind a plain c10d::Backend handle (comm.cpp uses it for CUDA
// ranks). Its own file because only it is compiled with USE_C10D_NCCL and the nvidia-nccl wheel's
// nccl.h (CMake: OQVL_HAVE_NCCL, when libtorch has CUDA and the header is found).
#pragma once

#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>

#include "oqvl/train/dist/comm.h"  // nccl_available

namespace oqvl::train {

// A process group of `world` ranks on CUDA device `device` (made current), every collective
// bounded by `timeout`. oqvl::Error without NCCL; c10d's errors otherwise.
c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                                    int world, std::chrono::milliseconds timeout, int device);

}  // namespace oqvl::train
