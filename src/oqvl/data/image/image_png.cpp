// PNG decoding with libpng, converted to RGB the way Pillow's open + convert("RGB") does:
// palette -> RGB (tRNS ignored), 1/2/4-bit gray scaled to 0..255, gray replicated, alpha
// dropped, 16-bit samples reduced to their high byte, except 16-bit gray without alpha, which
// Pillow opens as "I;16" and clamps to 255 when converting. Gamma and ICC chunks are ignored
// (Pillow ignores them too). libpng errors longjmp back to read_into() (no C++ objects there).
#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>

#include "oqvl/core/error.h"
#include "oqvl/data/image/image_codecs.h"

namespace oqvl::data::detail {
namespace {

struct Reader {
  const std::uint8_t* data;
  std::size_t size;
  std::size_t pos;
  char message[256];
};

void on_read(png_structp png, png_bytep out, png_size_t n) {
  auto* r = static_cast<Reader*>(png_get_io_ptr(png));
  if (n > r->size - r->pos) png_error(png, "truncated PNG data");
  std::memcpy(out, r->data + r->pos, n);
  r->pos += n;
}

void on_error(png_structp png, png_const_charp message) {
  auto* r = static_cast<Reader*>(png_get_error_ptr(png));
  std::snprintf(r->message, sizeof r->message, "%s", message);
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}

bool read_into(png_structp png, png_infop info, Reader& reader, const DecodeOptions& options, Image& out,
               std::vector<std::uint8_t>& buffer, std::vector<png_bytep>& rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_read_fn(png, &reader, on_read);
  // libpng's own side limit (default 10^6) would refuse first with its message: ours (with the
  // --limit hint) is checked below, right after the header and before any pixel is allocated.
  png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
  png_read_info(png, info);
  png_uint_32 width = png_get_image_width(png, info);
  png_uint_32 height = png_get_image_height(png, info);
  {
    // Scoped: no C++ object may be alive when libpng longjmps.
    const std::string problem = image_size_problem(width, height, options.limits);
    if (!problem.empty()) {
      std::snprintf(reader.message, sizeof reader.message, "%s", problem.c_str());
      return false;
    }
  }
  int color = png_get_color_type(png, info);
  int depth = png_get_bit_depth(png, info);
  bool gray16 = color == PNG_COLOR_TYPE_GRAY && depth == 16;
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  // Palette expansion also turns tRNS into an alpha channel: strip it as well.
  if ((color & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS)) png_set_strip_alpha(png);
  if (depth == 16 && !gray16) png_set_strip_16(png);
  if (!gray16 && !(color & PNG_COLOR_MASK_COLOR) && color != PNG_COLOR_TYPE_PALETTE) png_set_gray_to_rgb(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  std::size_t rowbytes = png_get_rowbytes(png, info);
  std::size_t expected = gray16 ? std::size_t{width} * 2 : std::size_t{width} * 3;
  if (rowbytes != expected) {
    std::snprintf(reader.message, sizeof reader.message, "unexpected row size %zu", rowbytes);
    return false;
  }
  out.width = static_cast<int>(width);
  out.height = static_cast<int>(height);
  out.rgb.resize(std::size_t{width} * height * 3);
  if (gray16) buffer.resize(rowbytes * height);
  rows.resize(height);
  for (png_uint_32 y = 0; y < height; ++y)
    rows[y] = gray16 ? buffer.data() + y * rowbytes : out.row(static_cast<int>(y));
  png_read_image(png, rows.data());
  if (gray16) {
    for (png_uint_32 y = 0; y < height; ++y) {
      const std::uint8_t* s = rows[y];
      std::uint8_t* d = out.row(static_cast<int>(y));
      for (png_uint_32 x = 0; x < width; ++x, s += 2, d += 3) {
        unsigned v = (unsigned{s[0]} << 8) | s[1];  // big-endian sample
        d[0] = d[1] = d[2] = static_cast<std::uint8_t>(std::min(v, 255u));
      }
    }
  }
  return true;
}

}  // namespace

Image decode_png(std::span<const std::uint8_t> bytes, const DecodeOptions& options) {
  Reader reader{bytes.data(), bytes.size(), 0, {}};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, on_error, on_warning);
  if (!png) fail("undecodable image (png: out of memory)");
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    fail("undecodable image (png: out of memory)");
  }
  Image out;
  std::vector<std::uint8_t> buffer;
  std::vector<png_bytep> rows;
  bool ok = read_into(png, info, reader, options, out, buffer, rows);
  png_destroy_read_struct(&png, &info, nullptr);
  if (!ok) {
    std::string message = reader.message;
    if (message == "truncated PNG data") fail("undecodable image (truncated PNG data)");
    fail("undecodable image (png: {})", message);
  }
  return out;
}

}  // namespace oqvl::data::detail
