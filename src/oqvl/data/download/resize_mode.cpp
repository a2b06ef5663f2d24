#include "oqvl/data/download/resize_mode.h"

#include <algorithm>
#include <cmath>

#include "oqvl/core/error.h"
#include "oqvl/data/image/image.h"
#include "oqvl/data/image/image_encode.h"

namespace oqvl::data {
namespace {

// Python's round(x) for the sizes albumentations computes (half to even), at least 1.
int py_round_size(double x) { return std::max(1, static_cast<int>(std::nearbyint(x))); }

// The size scaling (w, h) so that its smaller (or larger) side becomes `size`, as
// albumentations' SmallestMaxSize / LongestMaxSize compute it.
std::pair<int, int> scaled_size(int w, int h, int size, bool smallest) {
  int side = smallest ? std::min(w, h) : std::max(w, h);
  double scale = static_cast<double>(size) / side;
  return {py_round_size(w * scale), py_round_size(h * scale)};
}

Image center_crop(const Image& img, int size) {
  int cw = std::min(size, img.width), ch = std::min(size, img.height);
  int x0 = (img.width - cw) / 2, y0 = (img.height - ch) / 2;
  Image out;
  out.width = cw;
  out.height = ch;
  out.rgb.resize(static_cast<std::size_t>(cw) * ch * 3);
  for (int y = 0; y < ch; ++y) std::copy_n(img.row(y0 + y) + x0 * 3, cw * 3, out.row(y));
  return out;
}

Image pad_white(const Image& img, int size) {
  int w = std::max(size, img.width), h = std::max(size, img.height);
  int top = (h - img.height) / 2, left = (w - img.width) / 2;
  Image out;
  out.width = w;
  out.height = h;
  out.rgb.assign(static_cast<std::size_t>(w) * h * 3, 255);
  for (int y = 0; y < img.height; ++y) std::copy_n(img.row(y), img.width * 3, out.row(top + y) + left * 3);
  return out;
}

std::string_view ext_of(ImageFormat f) {
  switch (f) {
    case ImageFormat::kJpeg: return "jpg";
    case ImageFormat::kPng: return "png";
    case ImageFormat::kWebp: return "webp";
    default: return "";
  }
}

}  // namespace

ResizeMode parse_resize_mode(std::string_view name) {
  if (name == "no") return ResizeMode::kNo;
  if (name == "keep_ratio") return ResizeMode::kKeepRatio;
  if (name == "keep_ratio_largest") return ResizeMode::kKeepRatioLargest;
  if (name == "center_crop") return ResizeMode::kCenterCrop;
  if (name == "border") return ResizeMode::kBorder;
  fail("unknown resize mode '{}' (no, keep_ratio, keep_ratio_largest, center_crop, border)", name);
}

std::string_view resize_mode_name(ResizeMode mode) {
  switch (mode) {
    case ResizeMode::kNo: return "no";
    case ResizeMode::kKeepRatio: return "keep_ratio";
    case ResizeMode::kKeepRatioLargest: return "keep_ratio_largest";
    case ResizeMode::kCenterCrop: return "center_crop";
    case ResizeMode::kBorder: return "border";
  }
  return "?";
}

void validate(const ResizeOptions& o) {
  if (o.image_size < 1) fail("--image-size must be >= 1 (got {})", o.image_size);
  if (o.encode_format != "jpg" && o.encode_format != "png") {
    fail("--encode-format must be jpg or png (got '{}')", o.encode_format);
  }
  if (o.encode_quality < 1 || o.encode_quality > 100)
    fail("--encode-quality must be 1..100 (got {})", o.encode_quality);
  if (o.min_image_size < 0) fail("--min-image-size must be >= 0 (got {})", o.min_image_size);
  if (!(o.max_aspect_ratio >= 1)) fail("--max-aspect-ratio must be >= 1 (got {})", o.max_aspect_ratio);
}

ResizedImage resize_downloaded(std::string_view bytes, const ResizeOptions& o) {
  ResizedImage r;
  ImageInfo info;
  try {
    info = probe_image(as_bytes(bytes));
  } catch (const Error& e) {
    r.error = fmt::format("image decoding error ({})", e.what());
    return r;
  }
  r.original_width = info.width;
  r.original_height = info.height;
  int small = std::min(info.width, info.height), large = std::max(info.width, info.height);
  if (small < o.min_image_size) {
    r.error = "image too small";
    return r;
  }
  if (static_cast<std::int64_t>(info.width) * info.height > o.max_image_area) {
    r.error = "image area too large";
    return r;
  }
  if (static_cast<double>(large) / small > o.max_aspect_ratio) {
    r.error = "aspect ratio too large";
    return r;
  }
  // The resized size, from the header's size; then a JPEG is decoded with DCT-domain
  // downscaling to no less than that (libjpeg's scaled decode: most of the decode cost of
  // large photos saved, the result within the resize accuracy budget, docs/download.md).
  bool resized = false;
  bool smallest = o.mode == ResizeMode::kKeepRatio || o.mode == ResizeMode::kCenterCrop;
  std::pair<int, int> target{info.width, info.height};
  if (o.mode != ResizeMode::kNo && (!o.resize_only_if_bigger || (smallest ? small : large) > o.image_size)) {
    target = scaled_size(info.width, info.height, o.image_size, smallest);
    resized = true;
  }
  Image img;
  try {
    DecodeOptions d;
    if (resized && o.scaled_decode) {
      d.min_width = target.first;
      d.min_height = target.second;
    }
    img = decode_image(as_bytes(bytes), d);
  } catch (const Error& e) {
    r.error = fmt::format("image decoding error ({})", e.what());
    return r;
  }
  if (resized) {
    img = resize(img, target.first, target.second, o.filter);
    if (o.mode == ResizeMode::kCenterCrop) img = center_crop(img, o.image_size);
    if (o.mode == ResizeMode::kBorder) img = pad_white(img, o.image_size);
  }
  r.width = img.width;
  r.height = img.height;
  std::string_view kept_ext = ext_of(info.format);
  if (!resized && kept_ext == o.encode_format) {
    r.bytes.assign(bytes);
    r.ext = kept_ext;
  } else if (o.encode_format == "png") {
    r.bytes = encode_png(img.rgb, img.width, img.height, 3);
    r.ext = "png";
  } else {
    r.bytes = encode_jpeg(img.rgb, img.width, img.height, 3, o.encode_quality);
    r.ext = "jpg";
  }
  r.ok = true;
  return r;
}

}  // namespace oqvl::data
