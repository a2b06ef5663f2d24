// Format sniffing, header probing and decode dispatch. The probes parse just enough of each
// container to find the size, so the curation filter can check sizes without decoding.
#include "oqvl/data/image/image.h"

#include <cstring>

#include "oqvl/core/error.h"
#include "oqvl/data/image/image_codecs.h"

namespace oqvl::data {
namespace {

std::uint32_t be16(const std::uint8_t* p) { return (std::uint32_t{p[0]} << 8) | p[1]; }
std::uint32_t be32(const std::uint8_t* p) { return (be16(p) << 16) | be16(p + 2); }
std::uint32_t le16(const std::uint8_t* p) { return (std::uint32_t{p[1]} << 8) | p[0]; }
std::uint32_t le24(const std::uint8_t* p) { return le16(p) | (std::uint32_t{p[2]} << 16); }

// Walks the JPEG marker segments up to the first start-of-frame (SOF0..SOF15 except DHT,
// JPG and DAC), which holds the size.
ImageInfo probe_jpeg(std::span<const std::uint8_t> b) {
  std::size_t pos = 2;
  while (pos + 4 <= b.size()) {
    if (b[pos] != 0xFF) fail("undecodable image (jpeg: no marker at byte {})", pos);
    std::uint8_t marker = b[pos + 1];
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      pos += 2;  // markers without a length
      continue;
    }
    if (marker == 0xD9 || marker == 0xDA) break;  // end of image / start of scan before a frame
    std::uint32_t length = be16(&b[pos + 2]);
    if (length < 2) fail("undecodable image (jpeg: bad segment length at byte {})", pos);
    bool is_sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (is_sof) {
      if (length < 7 || pos + 9 > b.size()) break;
      int height = static_cast<int>(be16(&b[pos + 5]));
      int width = static_cast<int>(be16(&b[pos + 7]));
      return {ImageFormat::kJpeg, width, height};
    }
    pos += 2 + length;
  }
  fail("undecodable image (jpeg: no frame header found)");
}

ImageInfo probe_png(std::span<const std::uint8_t> b) {
  // Signature (8) + IHDR length (4) + "IHDR" (4) + width (4) + height (4).
  if (b.size() < 24 || std::memcmp(&b[12], "IHDR", 4) != 0) fail("undecodable image (png: missing IHDR)");
  return {ImageFormat::kPng, static_cast<int>(be32(&b[16]) & 0x7FFFFFFF),
          static_cast<int>(be32(&b[20]) & 0x7FFFFFFF)};
}

// RIFF container: "RIFF" size "WEBP" then the first chunk: VP8X (extended: canvas size),
// VP8L (lossless: 14-bit sizes after a 0x2F signature) or "VP8 " (lossy: key-frame header).
ImageInfo probe_webp(std::span<const std::uint8_t> b) {
  if (b.size() < 30) fail("undecodable image (webp: header too short)");
  const std::uint8_t* c = &b[12];
  if (std::memcmp(c, "VP8X", 4) == 0) {
    return {ImageFormat::kWebp, static_cast<int>(le24(c + 12) + 1), static_cast<int>(le24(c + 15) + 1)};
  }
  if (std::memcmp(c, "VP8L", 4) == 0) {
    if (c[8] != 0x2F) fail("undecodable image (webp: bad VP8L signature)");
    std::uint32_t bits = le16(c + 9) | (le16(c + 11) << 16);
    return {ImageFormat::kWebp, static_cast<int>((bits & 0x3FFF) + 1),
            static_cast<int>(((bits >> 14) & 0x3FFF) + 1)};
  }
  if (std::memcmp(c, "VP8 ", 4) == 0) {
    const std::uint8_t* f = c + 8;  // frame tag (3), start code (3), width (2), height (2)
    if (f[3] != 0x9D || f[4] != 0x01 || f[5] != 0x2A) fail("undecodable image (webp: bad VP8 start code)");
    return {ImageFormat::kWebp, static_cast<int>(le16(f + 6) & 0x3FFF),
            static_cast<int>(le16(f + 8) & 0x3FFF)};
  }
  fail("undecodable image (webp: unknown chunk)");
}

}  // namespace

std::string_view format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg: return "jpeg";
    case ImageFormat::kPng: return "png";
    case ImageFormat::kWebp: return "webp";
    case ImageFormat::kUnknown: break;
  }
  return "unknown";
}

ImageFormat sniff_image_format(std::span<const std::uint8_t> b) {
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return ImageFormat::kJpeg;
  static constexpr std::uint8_t kPngMagic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (b.size() >= 8 && std::memcmp(b.data(), kPngMagic, 8) == 0) return ImageFormat::kPng;
  if (b.size() >= 12 && std::memcmp(b.data(), "RIFF", 4) == 0 && std::memcmp(b.data() + 8, "WEBP", 4) == 0)
    return ImageFormat::kWebp;
  return ImageFormat::kUnknown;
}

ImageInfo probe_image(std::span<const std::uint8_t> bytes) {
  ImageInfo info;
  switch (sniff_image_format(bytes)) {
    case ImageFormat::kJpeg: info = probe_jpeg(bytes); break;
    case ImageFormat::kPng: info = probe_png(bytes); break;
    case ImageFormat::kWebp: info = probe_webp(bytes); break;
    case ImageFormat::kUnknown: fail("undecodable image (not JPEG, PNG or WebP; {} bytes)", bytes.size());
  }
  if (info.width <= 0 || info.height <= 0)
    fail("undecodable image ({}: zero size in header)", format_name(info.format));
  return info;
}

Image decode_image(std::span<const std::uint8_t> bytes, const DecodeOptions& options) {
  switch (sniff_image_format(bytes)) {
    case ImageFormat::kJpeg: return detail::decode_jpeg(bytes, options);
    case ImageFormat::kPng: return detail::decode_png(bytes, options);
    case ImageFormat::kWebp: return detail::decode_webp(bytes, options);
    case ImageFormat::kUnknown: break;
  }
  fail("undecodable image (not JPEG, PNG or WebP; {} bytes)", bytes.size());
}

namespace detail {

std::string image_size_problem(long long width, long long height, const DecodeLimits& limits) {
  if (width <= 0 || height <= 0) return fmt::format("empty size {}x{}", width, height);
  // Sides first: within them the product cannot overflow (max_side <= INT_MAX).
  if (width > limits.max_side || height > limits.max_side || width * height > limits.max_pixels)
    return fmt::format("{}x{} exceeds the limit of {} per side / {} pixels; {}", width, height,
                       limits.max_side, limits.max_pixels, kImageLimitHint);
  return {};
}

void check_image_size(long long width, long long height, const DecodeLimits& limits, const char* format) {
  const std::string problem = image_size_problem(width, height, limits);
  if (!problem.empty()) fail("undecodable image ({}: {})", format, problem);
}

}  // namespace detail
}  // namespace oqvl::data
