#include "oqvl/model/device.h"

#include <c10/core/CachingDeviceAllocator.h>

#include "oqvl/core/error.h"

namespace oqvl::model {

torch::Device parse_device(const std::string& d) {
  if (d == "auto")
    return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  torch::Device device = torch::kCPU;
  try {
    device = torch::Device(d);
  } catch (const std::exception&) {
    fail("--device '{}' is not a device (auto, cpu, cuda, cuda:N)", d);
  }
  if (device.is_cuda() && !torch::cuda::is_available()) fail("--device {}: CUDA is not available here", d);
  if (!device.is_cuda() && !device.is_cpu()) fail("--device '{}': only cpu and cuda are supported", d);
  return device;
}

torch::Dtype parse_dtype(const std::string& t, const torch::Device& device) {
  if (t == "auto") return device.is_cuda() ? torch::kBFloat16 : torch::kFloat32;
  if (t == "f32" || t == "float32" || t == "fp32") return torch::kFloat32;
  if (t == "bf16" || t == "bfloat16") return torch::kBFloat16;
  fail("--dtype '{}' is not one of auto, f32, bf16", t);
}

std::int64_t peak_device_bytes(const torch::Device& device) {
  if (device.is_cpu()) return -1;
  const auto stats =
      c10::getDeviceAllocator(device.type())->getDeviceStats(device.index() < 0 ? 0 : device.index());
  return stats.allocated_bytes[static_cast<std::size_t>(c10::CachingAllocator::StatType::AGGREGATE)].peak;
}

void reset_peak_device_bytes(const torch::Device& device) {
  if (device.is_cpu()) return;
  c10::getDeviceAllocator(device.type())->resetPeakStats(device.index() < 0 ? 0 : device.index());
}

}  // namespace oqvl::model
