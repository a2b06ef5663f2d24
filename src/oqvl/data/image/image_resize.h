// Pillow-compatible resampling of 8-bit RGB images (Image.resize with BILINEAR, BICUBIC or
// LANCZOS, no box, no reducing_gap). Like Pillow's uint8 path it is separable with antialias
// (the filter support widens by the downscale factor), resizes in two passes through an 8-bit
// intermediate (horizontal first, unless the height shrinks much more: see resize()), with weights
// normalized to sum 1 and converted to fixed point with 22 fractional bits (round half away from
// zero); each output is the fixed-point sum plus one half, shifted and clamped to 0..255. Results
// match Pillow exactly.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "oqvl/data/image/image.h"

namespace oqvl::data {

enum class ResampleFilter { kBilinear, kBicubic, kLanczos };

// Fractional bits of the fixed-point weights (Pillow's PRECISION_BITS for 8-bit images).
inline constexpr int kResamplePrecisionBits = 32 - 8 - 2;

// Weights of one axis: output i reads inputs first[i] .. first[i] + count[i] - 1 with weights
// coeffs[i * taps + k].
struct ResampleWeights {
  int in_size = 0;
  int out_size = 0;
  int taps = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<std::int32_t> coeffs;
};

// The filter's weights for resizing in_size samples to out_size.
ResampleWeights resample_weights(int in_size, int out_size, ResampleFilter filter);

// Resizes to width x height (aspect ratio is whatever the caller asks). Same size = copy.
Image resize(const Image& image, int width, int height, ResampleFilter filter);

// The same resize written as three planes: out[c * width * height + y * width + x]
// (out.size() == 3 * width * height). Saves the deinterleaving pass for CHW tensors.
void resize_planar(const Image& image, int width, int height, ResampleFilter filter,
                   std::span<std::uint8_t> out);

// Parses "bilinear", "bicubic", "lanczos" (throws oqvl::Error otherwise).
ResampleFilter parse_resample_filter(const std::string& name);

namespace detail {
// Tests: turn the AVX2 kernel off (the portable path must give the same bytes). Global.
void set_resize_avx2_enabled(bool enabled);
}  // namespace detail

}  // namespace oqvl::data
