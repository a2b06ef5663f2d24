// The --device and --dtype values every model command takes, parsed in one place so that
// `generate`, `eval`, `score mlm` and `score clip` accept the same spellings.
#pragma once

#include <torch/torch.h>

#include <string>

namespace oqvl::model {

// "auto" (CUDA device 0 when libtorch sees one, else CPU), "cpu", "cuda", "cuda:N".
// oqvl::Error for anything else, or for CUDA where libtorch sees none.
torch::Device parse_device(const std::string& device);

// "auto" (bf16 on CUDA, f32 on CPU), "f32" / "float32" / "fp32", "bf16" / "bfloat16".
torch::Dtype parse_dtype(const std::string& dtype, const torch::Device& device);

// Peak bytes allocated on an accelerator since the last reset (torch's caching allocator, what
// torch.cuda.max_memory_allocated reports); -1 on the CPU, where libtorch keeps no such count.
std::int64_t peak_device_bytes(const torch::Device& device);
void reset_peak_device_bytes(const torch::Device& device);

}  // namespace oqvl::model
