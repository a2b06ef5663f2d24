// Decoded images and image decoding (JPEG, PNG, WebP when built with libwebp), producing the
// same RGB pixels as Pillow's `Image.open(f).convert("RGB")`: alpha is dropped (not
// composited), grayscale is replicated, CMYK JPEG is treated as Adobe-inverted (Pillow always
// does), 16-bit samples keep their high byte (16-bit grayscale clamps to 255 like Pillow's
// "I;16" -> "RGB"), and EXIF orientation is ignored (Pillow ignores it too). Everything here is
// thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "oqvl/core/input_limits.h"

namespace oqvl::data {

// An 8-bit RGB image: `rgb` holds height rows of width pixels, each pixel R, G, B interleaved,
// rows packed without padding (rgb.size() == width * height * 3).
struct Image {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgb;

  std::uint8_t* row(int y) { return rgb.data() + static_cast<std::size_t>(y) * width * 3; }
  const std::uint8_t* row(int y) const { return rgb.data() + static_cast<std::size_t>(y) * width * 3; }
};

enum class ImageFormat { kUnknown, kJpeg, kPng, kWebp };

// "jpeg", "png", "webp", "unknown".
std::string_view format_name(ImageFormat format);

// What a header says, read without decoding pixels.
struct ImageInfo {
  ImageFormat format = ImageFormat::kUnknown;
  int width = 0;
  int height = 0;
};

// Caps that keep a forged header from causing a huge allocation; the defaults are the run's
// input limits (core/input_limits.h, `oqvl --limit image-side=N --limit image-pixels=N`).
struct DecodeLimits {
  int max_side = static_cast<int>(input_limits().image_side);
  std::int64_t max_pixels = input_limits().image_pixels;
};

struct DecodeOptions {
  // When > 0, a JPEG at least twice this size in both dimensions is decoded with libjpeg's
  // DCT-domain downscaling (1/2, 1/4 or 1/8): the largest reduction that keeps width >=
  // min_width and height >= min_height. The result is then not Pillow's full decode, but its
  // resize to the target stays within the accuracy budget (docs/PERF.md, tests).
  int min_width = 0;
  int min_height = 0;
  DecodeLimits limits;
};

// Format from the first bytes (magic numbers only).
ImageFormat sniff_image_format(std::span<const std::uint8_t> bytes);

// Format and size from the header; throws oqvl::Error if the bytes are not a supported image
// or the header is malformed. Cheap: does not decode pixels.
ImageInfo probe_image(std::span<const std::uint8_t> bytes);

// Decodes to RGB; throws oqvl::Error ("undecodable image (...)") on corrupt, truncated or
// unsupported data, or sizes beyond options.limits.
Image decode_image(std::span<const std::uint8_t> bytes, const DecodeOptions& options = {});

inline std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace oqvl::data
