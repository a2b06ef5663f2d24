// What img2dataset's resizer does to a downloaded image, on oqvl's image code: decode, check
// (min image size, max aspect ratio, max area), resize by mode, re-encode.
//
// Modes (img2dataset's names and geometry; sizes rounded half to even like Python's round()):
//   no                  keep the pixels; the downloaded bytes are kept as they are
//   keep_ratio          smallest side = image_size, aspect ratio kept
//   keep_ratio_largest  largest side = image_size
//   center_crop         keep_ratio, then the centred image_size x image_size square
//   border              keep_ratio_largest, then padded to image_size x image_size (white, centred)
// With resize_only_if_bigger an image already within image_size is left alone (bytes kept).
// Differences from img2dataset (docs/download.md): resampling is Pillow's antialiased filters
// (ResampleFilter; img2dataset uses OpenCV's INTER_AREA / INTER_LANCZOS4), and alpha is dropped
// as Pillow's convert("RGB") does (img2dataset composites it on white).
// Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "oqvl/data/image/image_resize.h"

namespace oqvl::data {

enum class ResizeMode { kNo, kKeepRatio, kKeepRatioLargest, kCenterCrop, kBorder };

// "no", "keep_ratio", "keep_ratio_largest", "center_crop", "border" (oqvl::Error otherwise).
ResizeMode parse_resize_mode(std::string_view name);
std::string_view resize_mode_name(ResizeMode mode);

struct ResizeOptions {
  ResizeMode mode = ResizeMode::kBorder;  // img2dataset's default
  int image_size = 256;
  bool resize_only_if_bigger = false;
  ResampleFilter filter = ResampleFilter::kBicubic;
  int min_image_size = 0;
  double max_aspect_ratio = std::numeric_limits<double>::infinity();
  std::int64_t max_image_area = std::numeric_limits<std::int64_t>::max();
  // JPEGs at least twice the resized size are decoded at 1/2, 1/4 or 1/8 scale in the DCT
  // domain (never below the resized size) before the resize; false: full decode, then resize.
  bool scaled_decode = true;
  std::string encode_format = "jpg";  // jpg | png
  int encode_quality = 95;            // jpg
};

// Checks the options (image_size >= 1, format, quality); oqvl::Error saying which is wrong.
void validate(const ResizeOptions& options);

struct ResizedImage {
  bool ok = false;
  std::string error;  // img2dataset's words: "image too small", "aspect ratio too large",
                      // "image area too large", or "image decoding error (...)"
  std::string bytes;  // the encoded image (or the downloaded bytes when kept)
  std::string ext;    // its tar extension: "jpg", "png", "webp" (kept bytes keep their format)
  int width = 0, height = 0;
  int original_width = 0, original_height = 0;
};

// Never throws for bad image bytes (the error says why); throws only on allocation failure.
ResizedImage resize_downloaded(std::string_view bytes, const ResizeOptions& options);

}  // namespace oqvl::data
