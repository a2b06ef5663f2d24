// Resampling weights, bf16 rounding and the normalization of SigLIP preprocessing.
#include "oqvl/data/image/image_preprocess.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>

#include "oqvl/core/error.h"

namespace {

using namespace oqvl::data;

Image gradient(int w, int h) {
  Image im{w, h, std::vector<std::uint8_t>(static_cast<std::size_t>(w) * h * 3)};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c)
        im.row(y)[x * 3 + c] = static_cast<std::uint8_t>((x * 7 + y * 3 + c * 50) & 255);
  return im;
}

TEST(Resize, WeightsSumToOneInFixedPoint) {
  for (auto filter : {ResampleFilter::kBilinear, ResampleFilter::kBicubic, ResampleFilter::kLanczos})
    for (auto [in, out] : {std::pair{1000, 384}, {384, 384}, {40, 384}, {7, 3}}) {
      ResampleWeights w = resample_weights(in, out, filter);
      for (int i = 0; i < out; ++i) {
        long sum = 0;
        for (int k = 0; k < w.count[i]; ++k) sum += w.coeffs[i * w.taps + k];
        EXPECT_NEAR(sum, 1L << kResamplePrecisionBits, w.count[i]);
        EXPECT_GE(w.first[i], 0);
        EXPECT_LE(w.first[i] + w.count[i], in);
      }
    }
}

TEST(Resize, SameSizeIsACopyAndConstantStaysConstant) {
  Image g = gradient(50, 40);
  EXPECT_EQ(resize(g, 50, 40, ResampleFilter::kBicubic).rgb, g.rgb);
  Image flat{30, 20, std::vector<std::uint8_t>(30 * 20 * 3, 77)};
  for (auto filter : {ResampleFilter::kBilinear, ResampleFilter::kBicubic, ResampleFilter::kLanczos})
    for (std::uint8_t v : resize(flat, 71, 9, filter).rgb) EXPECT_EQ(v, 77);
  EXPECT_THROW(resize(g, 0, 10, ResampleFilter::kBicubic), oqvl::Error);
  EXPECT_THROW(parse_resample_filter("cubic"), oqvl::Error);
}

// resize_planar() must equal resize() de-interleaved on every pass order: none, horizontal
// only, vertical only, vertical first, horizontal first; and the portable kernel must equal
// the AVX2 one.
TEST(Resize, PlanarAndPortablePathsMatch) {
  Image g = gradient(123, 77);
  const std::pair<int, int> sizes[] = {{123, 77}, {50, 77}, {123, 30}, {110, 20}, {60, 70}, {300, 200}};
  for (auto filter : {ResampleFilter::kBilinear, ResampleFilter::kBicubic, ResampleFilter::kLanczos})
    for (auto [w, h] : sizes) {
      SCOPED_TRACE(std::to_string(w) + "x" + std::to_string(h));
      Image ref = resize(g, w, h, filter);
      std::vector<std::uint8_t> planes(static_cast<std::size_t>(w) * h * 3);
      resize_planar(g, w, h, filter, planes);
      for (int c = 0; c < 3; ++c)
        for (int i = 0; i < w * h; ++i)
          ASSERT_EQ(planes[c * w * h + i], ref.rgb[i * 3 + c]) << "c " << c << " i " << i;
      detail::set_resize_avx2_enabled(false);
      Image portable = resize(g, w, h, filter);
      detail::set_resize_avx2_enabled(true);
      EXPECT_EQ(portable.rgb, ref.rgb);
    }
}

TEST(Preprocess, Bf16RoundsToNearestEven) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(float_to_bf16(-1.0f), 0xBF80);
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3F808000u)), 0x3F80);  // tie -> even
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3F818000u)), 0x3F82);  // tie -> even (up)
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3F808001u)), 0x3F81);
  EXPECT_EQ(float_to_bf16(0.0f), 0x0000);
}

TEST(Preprocess, NormalizesPlanarLikeTorchvision) {
  Image g = gradient(384, 384);  // already the target size: only normalization
  PreprocessConfig config;
  std::vector<float> out = preprocess_image(g, config);
  ASSERT_EQ(out.size(), 3u * 384 * 384);
  const std::size_t plane = 384 * 384;
  for (std::size_t i = 0; i < plane; i += 997)
    for (int c = 0; c < 3; ++c) {
      float expected = (static_cast<float>(g.rgb[i * 3 + c]) / 255.0f - 0.5f) / 0.5f;
      EXPECT_EQ(out[c * plane + i], expected);
    }
  std::vector<std::uint16_t> bf(out.size());
  preprocess_image_bf16(g, config, bf);
  for (std::size_t i = 0; i < out.size(); i += 101) EXPECT_EQ(bf[i], float_to_bf16(out[i]));

  // Other towers: CLIP mean/std and size.
  PreprocessConfig clip;
  clip.width = clip.height = 224;
  clip.mean = {0.48145466f, 0.4578275f, 0.40821073f};
  clip.std = {0.26862954f, 0.26130258f, 0.27577711f};
  Image white{10, 10, std::vector<std::uint8_t>(300, 255)};
  std::vector<float> w = preprocess_image(white, clip);
  ASSERT_EQ(w.size(), 3u * 224 * 224);
  EXPECT_FLOAT_EQ(w[0], (1.0f - clip.mean[0]) / clip.std[0]);
  EXPECT_FLOAT_EQ(w[2 * 224 * 224], (1.0f - clip.mean[2]) / clip.std[2]);
  std::vector<float> small(10);
  EXPECT_THROW(preprocess_image(white, clip, small), oqvl::Error);
}

}  // namespace
