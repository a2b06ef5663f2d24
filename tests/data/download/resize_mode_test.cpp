// img2dataset's resize modes: output geometry, checks, kept bytes, errors for non-images.
#include "oqvl/data/download/resize_mode.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "oqvl/core/error.h"
#include "oqvl/data/image/image.h"
#include "oqvl/data/image/image_encode.h"

namespace oqvl::data {
namespace {

std::string png(int w, int h) {
  std::vector<std::uint8_t> px(static_cast<std::size_t>(w) * h * 3);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(i * 7);
  return encode_png(px, w, h, 3);
}

ResizedImage run(const std::string& bytes, ResizeMode mode, int size, bool only_bigger = false) {
  ResizeOptions o;
  o.mode = mode;
  o.image_size = size;
  o.resize_only_if_bigger = only_bigger;
  return resize_downloaded(bytes, o);
}

TEST(ResizeMode, Geometry) {
  std::string img = png(300, 200);
  auto r = run(img, ResizeMode::kKeepRatio, 100);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.width, 150);
  EXPECT_EQ(r.height, 100);
  EXPECT_EQ(r.original_width, 300);
  EXPECT_EQ(r.original_height, 200);
  EXPECT_EQ(r.ext, "jpg");
  ImageInfo info = probe_image(as_bytes(r.bytes));
  EXPECT_EQ(info.width, 150);
  r = run(img, ResizeMode::kKeepRatioLargest, 100);
  EXPECT_EQ(r.width, 100);
  EXPECT_EQ(r.height, 67);  // round(200 / 3)
  r = run(img, ResizeMode::kCenterCrop, 100);
  EXPECT_EQ(r.width, 100);
  EXPECT_EQ(r.height, 100);
  r = run(img, ResizeMode::kBorder, 100);
  EXPECT_EQ(r.width, 100);
  EXPECT_EQ(r.height, 100);
  Image border = decode_image(as_bytes(r.bytes));
  // Padding rows (top 16 of 100: (100 - 67) / 2) are white, up to JPEG error.
  EXPECT_GT(border.row(2)[150], 240);
  r = run(img, ResizeMode::kKeepRatio, 400);  // upscales unless only-if-bigger
  EXPECT_EQ(r.height, 400);
  r = run(img, ResizeMode::kKeepRatio, 400, /*only_bigger=*/true);
  EXPECT_EQ(r.height, 200);
}

TEST(ResizeMode, NoKeepsBytesOfTheSameFormat) {
  std::string img = png(40, 30);
  ResizeOptions o;
  o.mode = ResizeMode::kNo;
  o.encode_format = "png";
  auto r = resize_downloaded(img, o);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.bytes, img);
  EXPECT_EQ(r.ext, "png");
  o.encode_format = "jpg";  // another format: re-encoded
  r = resize_downloaded(img, o);
  EXPECT_EQ(r.ext, "jpg");
  EXPECT_EQ(probe_image(as_bytes(r.bytes)).format, ImageFormat::kJpeg);
}

TEST(ResizeMode, Checks) {
  ResizeOptions o;
  o.min_image_size = 50;
  EXPECT_EQ(resize_downloaded(png(40, 300), o).error, "image too small");
  o.min_image_size = 0;
  o.max_aspect_ratio = 3;
  EXPECT_EQ(resize_downloaded(png(40, 300), o).error, "aspect ratio too large");
  o.max_aspect_ratio = 10;
  EXPECT_TRUE(resize_downloaded(png(40, 300), o).ok);
  o.max_image_area = 1000;
  EXPECT_EQ(resize_downloaded(png(40, 300), o).error, "image area too large");
  auto r = resize_downloaded("<html>nope</html>", ResizeOptions{});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("image decoding error", 0), 0u) << r.error;
  std::string cut = png(64, 64);
  cut.resize(cut.size() / 2);
  EXPECT_FALSE(resize_downloaded(cut, ResizeOptions{}).ok);
}

TEST(ResizeMode, ScaledJpegDecodeStaysCloseToTheFullDecode) {
  // A smooth photo-like 1024x768 JPEG; to 256 px the 1/2-scale DCT decode is used.
  int w = 1024, h = 768;
  std::vector<std::uint8_t> px(static_cast<std::size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      std::uint8_t* p = &px[(static_cast<std::size_t>(y) * w + x) * 3];
      p[0] = static_cast<std::uint8_t>(128 + 100 * std::sin(x / 37.0));
      p[1] = static_cast<std::uint8_t>(128 + 100 * std::cos(y / 23.0));
      p[2] = static_cast<std::uint8_t>((x + y) / 8);
    }
  }
  std::string jpeg = encode_jpeg(px, w, h, 3, 95);
  ResizeOptions o;
  o.mode = ResizeMode::kKeepRatio;
  o.encode_format = "png";  // lossless output: the comparison sees the resize only
  auto fast = resize_downloaded(jpeg, o);
  o.scaled_decode = false;
  auto exact = resize_downloaded(jpeg, o);
  ASSERT_TRUE(fast.ok && exact.ok);
  EXPECT_EQ(fast.width, 341);
  EXPECT_EQ(fast.height, 256);
  EXPECT_EQ(exact.width, 341);
  Image a = decode_image(as_bytes(fast.bytes)), b = decode_image(as_bytes(exact.bytes));
  double sum = 0;
  int worst = 0;
  for (std::size_t i = 0; i < a.rgb.size(); ++i) {
    int d = std::abs(a.rgb[i] - b.rgb[i]);
    sum += d;
    worst = std::max(worst, d);
  }
  EXPECT_LT(sum / static_cast<double>(a.rgb.size()), 1.0);
  EXPECT_LT(worst, 24);
}

TEST(ResizeMode, Names) {
  for (const char* n : {"no", "keep_ratio", "keep_ratio_largest", "center_crop", "border"}) {
    EXPECT_EQ(resize_mode_name(parse_resize_mode(n)), n);
  }
  EXPECT_THROW(parse_resize_mode("squash"), Error);
  ResizeOptions o;
  o.encode_format = "gif";
  EXPECT_THROW(validate(o), Error);
}

}  // namespace
}  // namespace oqvl::data
