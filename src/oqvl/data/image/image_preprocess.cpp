// Resize (Pillow-compatible) then a per-channel 256-entry table maps each 8-bit value to its
// normalized value: the table is computed with torchvision's float32 operations in its order
// (x / 255, then (x - mean) / std; torch 2.11's CPU kernels give the same bits for all 256
// values), so the per-pixel work is one lookup and the result is exact.
#include "oqvl/data/image/image_preprocess.h"

#include <bit>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "oqvl/core/error.h"

namespace oqvl::data {
namespace {

void check_config(const PreprocessConfig& config) {
  if (config.width <= 0 || config.height <= 0)
    fail("preprocess: bad size {}x{}", config.width, config.height);
  for (float s : config.std)
    if (s == 0.0f) fail("preprocess: std must be non-zero");
}

// Table lookup over contiguous planes.
template <typename T>
void lookup(const std::uint8_t* src, const T* table, T* dst, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dst[i] = table[src[i]];
}

#if defined(__x86_64__) && defined(__GNUC__)
// The float lookup with AVX2 gathers (gcc does not vectorize the loop above): ~2x faster.
__attribute__((target("avx2"))) void lookup_avx2(const std::uint8_t* src, const float* table, float* dst,
                                                 std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i index = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(src + i)));
    _mm256_storeu_ps(dst + i, _mm256_i32gather_ps(table, index, 4));
  }
  for (; i < n; ++i) dst[i] = table[src[i]];
}

void lookup(const std::uint8_t* src, const float* table, float* dst, std::size_t n) {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return lookup_avx2(src, table, dst, n);
  for (std::size_t i = 0; i < n; ++i) dst[i] = table[src[i]];
}
#endif

template <typename T, typename Convert>
void normalize_planar(const Image& image, const PreprocessConfig& config, std::span<T> out, Convert convert) {
  check_config(config);
  if (out.size() != preprocessed_size(config))
    fail("preprocess: output holds {} values, needs {}", out.size(), preprocessed_size(config));
  // The resized planes, reused across calls on the same thread.
  thread_local std::vector<std::uint8_t> planes;
  planes.resize(preprocessed_size(config));
  resize_planar(image, config.width, config.height, config.filter, planes);
  const std::size_t plane = static_cast<std::size_t>(config.width) * config.height;
  for (int c = 0; c < 3; ++c) {
    std::array<T, 256> table;
    for (int v = 0; v < 256; ++v)
      table[v] = convert((static_cast<float>(v) / 255.0f - config.mean[c]) / config.std[c]);
    lookup(planes.data() + c * plane, table.data(), out.data() + c * plane, plane);
  }
}

}  // namespace

std::size_t preprocessed_size(const PreprocessConfig& config) {
  return 3 * static_cast<std::size_t>(config.width) * static_cast<std::size_t>(config.height);
}

std::uint16_t float_to_bf16(float value) {
  std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<std::uint16_t>((bits >> 16) | 0x40);
  bits += 0x7FFFu + ((bits >> 16) & 1u);
  return static_cast<std::uint16_t>(bits >> 16);
}

void preprocess_image(const Image& image, const PreprocessConfig& config, std::span<float> out) {
  normalize_planar(image, config, out, [](float v) { return v; });
}

std::vector<float> preprocess_image(const Image& image, const PreprocessConfig& config) {
  std::vector<float> out(preprocessed_size(config));
  preprocess_image(image, config, out);
  return out;
}

void preprocess_image_bf16(const Image& image, const PreprocessConfig& config, std::span<std::uint16_t> out) {
  normalize_planar(image, config, out, float_to_bf16);
}

DecodeOptions decode_options_for(const PreprocessConfig& config) {
  DecodeOptions options;
  options.limits = config.limits;
  // Keep at least twice the target after DCT scaling, so that the final cubic still does a
  // 2x+ reduction: reducing all the way to ~1x with the DCT (a box-like filter) differs from
  // Pillow's widened cubic by ~5/255 on average on detailed images (measured on the goldens).
  if (config.dct_scaling) {
    options.min_width = 2 * config.width;
    options.min_height = 2 * config.height;
  }
  return options;
}

void preprocess_encoded(std::span<const std::uint8_t> bytes, const PreprocessConfig& config,
                        std::span<float> out) {
  preprocess_image(decode_image(bytes, decode_options_for(config)), config, out);
}

void preprocess_encoded_bf16(std::span<const std::uint8_t> bytes, const PreprocessConfig& config,
                             std::span<std::uint16_t> out) {
  preprocess_image_bf16(decode_image(bytes, decode_options_for(config)), config, out);
}

}  // namespace oqvl::data
