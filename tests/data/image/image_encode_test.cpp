#include "oqvl/data/image/image_encode.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

#include "oqvl/core/error.h"
#include "oqvl/data/image/image.h"

namespace {

std::vector<std::uint8_t> gradient(int w, int h, int channels) {
  std::vector<std::uint8_t> px(static_cast<std::size_t>(w) * h * channels);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c)
        px[(static_cast<std::size_t>(y) * w + x) * channels + c] = static_cast<std::uint8_t>(
            (x * 7 + y * 3 + c * 50) % 256);
  return px;
}

TEST(ImageEncode, PngRoundTripsExactly) {
  auto px = gradient(37, 21, 3);
  std::string png = oqvl::data::encode_png(px, 37, 21, 3);
  auto img = oqvl::data::decode_image(oqvl::data::as_bytes(png));
  ASSERT_EQ(img.width, 37);
  ASSERT_EQ(img.height, 21);
  EXPECT_EQ(img.rgb, px);
}

TEST(ImageEncode, GrayPngDecodesToEqualChannels) {
  auto px = gradient(9, 4, 1);
  auto img = oqvl::data::decode_image(oqvl::data::as_bytes(oqvl::data::encode_png(px, 9, 4, 1)));
  for (std::size_t i = 0; i < px.size(); ++i) {
    EXPECT_EQ(img.rgb[3 * i], px[i]);
    EXPECT_EQ(img.rgb[3 * i + 2], px[i]);
  }
}

TEST(ImageEncode, JpegRoundTripsClosely) {
  // A smooth image at quality 95 comes back within a few levels.
  std::vector<std::uint8_t> px(64 * 48 * 3);
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 64; ++x)
      for (int c = 0; c < 3; ++c) px[(y * 64 + x) * 3 + c] = static_cast<std::uint8_t>(x * 2 + y + c * 30);
  std::string jpg = oqvl::data::encode_jpeg(px, 64, 48, 3, 95);
  auto info = oqvl::data::probe_image(oqvl::data::as_bytes(jpg));
  EXPECT_EQ(info.format, oqvl::data::ImageFormat::kJpeg);
  auto img = oqvl::data::decode_image(oqvl::data::as_bytes(jpg));
  ASSERT_EQ(img.rgb.size(), px.size());
  double sum = 0;
  for (std::size_t i = 0; i < px.size(); ++i) sum += std::abs(int(img.rgb[i]) - int(px[i]));
  EXPECT_LT(sum / px.size(), 3.0);
}

TEST(ImageEncode, BadArgumentsAreErrors) {
  std::vector<std::uint8_t> px(10);
  EXPECT_THROW(oqvl::data::encode_png(px, 4, 4, 3), oqvl::Error);    // too few bytes
  EXPECT_THROW(oqvl::data::encode_jpeg(px, 10, 1, 2), oqvl::Error);  // 2 channels
  EXPECT_THROW(oqvl::data::encode_jpeg(px, 10, 1, 1, 0), oqvl::Error);
  EXPECT_THROW(oqvl::data::encode_png(px, 0, 1, 1), oqvl::Error);
}

}  // namespace
