// Vision-tower input preprocessing (SigLIP in Open-Qwen2VL, docs/recipe.md §5.1): resize to a fixed size
// ignoring aspect ratio with Pillow's antialiased BICUBIC, then ToTensor ([0, 1]) and
// Normalize((x - mean) / std), as torchvision does it: the resized image is 8-bit, and the
// float math is float32 in that order, so results equal torchvision's bit for bit given the
// same 8-bit pixels. Output is planar CHW: out[c * H * W + y * W + x]. Thread-safe; each thread
// keeps one reusable 3 x H x W byte buffer.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "oqvl/data/image/image.h"
#include "oqvl/data/image/image_resize.h"

namespace oqvl::data {

struct PreprocessConfig {
  int width = 384;
  int height = 384;
  ResampleFilter filter = ResampleFilter::kBicubic;
  std::array<float, 3> mean{0.5f, 0.5f, 0.5f};
  std::array<float, 3> std{0.5f, 0.5f, 0.5f};
  // Decode JPEGs at 1/2, 1/4 or 1/8 size in the DCT domain, keeping at least twice the target
  // size. Off by default: it is faster on large JPEGs but its box-like reduction is sharper
  // than Pillow's widened cubic, so detailed images differ from Pillow (~0.5/255 mean, up to
  // ~10/255 at single pixels on the goldens; docs/PERF.md); img2dataset-sized images (shorter
  // side 512) never qualify anyway.
  bool dct_scaling = false;
  DecodeLimits limits;
};

// Number of values one preprocessed image has (3 * height * width).
std::size_t preprocessed_size(const PreprocessConfig& config);

// float32 -> bfloat16 bits, rounding to nearest even (as torch's .to(torch.bfloat16)).
std::uint16_t float_to_bf16(float value);

// Resizes and normalizes `image` into `out` (preprocessed_size(config) floats).
void preprocess_image(const Image& image, const PreprocessConfig& config, std::span<float> out);
std::vector<float> preprocess_image(const Image& image, const PreprocessConfig& config);

// The same as bfloat16 bit patterns.
void preprocess_image_bf16(const Image& image, const PreprocessConfig& config, std::span<std::uint16_t> out);

// Decodes encoded bytes (decoding large JPEGs directly at a reduced size when
// config.dct_scaling) and preprocesses them. Throws oqvl::Error on undecodable bytes.
void preprocess_encoded(std::span<const std::uint8_t> bytes, const PreprocessConfig& config,
                        std::span<float> out);
void preprocess_encoded_bf16(std::span<const std::uint8_t> bytes, const PreprocessConfig& config,
                             std::span<std::uint16_t> out);

// The decode options preprocess_encoded uses for `config`.
DecodeOptions decode_options_for(const PreprocessConfig& config);

}  // namespace oqvl::data
