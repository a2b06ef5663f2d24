#include "oqvl/data/image/image_encode.h"

#include <jpeglib.h>
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <vector>

#include "oqvl/core/error.h"

namespace oqvl::data {
namespace {

void check_shape(std::span<const std::uint8_t> pixels, int width, int height, int channels,
                 const char* what) {
  if (width <= 0 || height <= 0) fail("{}: invalid size {}x{}", what, width, height);
  auto need = static_cast<std::size_t>(width) * height * channels;
  if (pixels.size() != need) {
    fail("{}: {} bytes of pixels for {}x{}x{} (need {})", what, pixels.size(), width, height, channels, need);
  }
}

// libjpeg reports errors through a callback that must not return: jump back to the encoder.
struct JpegErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

}  // namespace

std::string encode_jpeg(std::span<const std::uint8_t> pixels, int width, int height, int channels,
                        int quality) {
  if (channels != 1 && channels != 3) fail("encode_jpeg: {} channels (need 1 or 3)", channels);
  if (quality < 1 || quality > 100) fail("encode_jpeg: quality {} (need 1..100)", quality);
  check_shape(pixels, width, height, channels, "encode_jpeg");

  jpeg_compress_struct cinfo{};
  JpegErrorManager err{};
  cinfo.err = jpeg_std_error(&err.base);
  err.base.error_exit = jpeg_error_exit;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  // Locals touched after setjmp are only the ones above, which are not modified after it.
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&cinfo);
    std::free(buffer);
    fail("encode_jpeg: {}", err.message);
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(width);
  cinfo.image_height = static_cast<JDIMENSION>(height);
  cinfo.input_components = channels;
  cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  const std::size_t stride = static_cast<std::size_t>(width) * channels;
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(pixels.data() + cinfo.next_scanline * stride);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::string out(reinterpret_cast<const char*>(buffer), size);
  jpeg_destroy_compress(&cinfo);
  std::free(buffer);
  return out;
}

namespace {
void png_append(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char*>(data), length);
}
void png_flush_nothing(png_structp) {}
void png_error_throw(png_structp png, png_const_charp message) {
  auto* msg = static_cast<std::string*>(png_get_error_ptr(png));
  *msg = message;
  png_longjmp(png, 1);
}
}  // namespace

std::string encode_png(std::span<const std::uint8_t> pixels, int width, int height, int channels) {
  static constexpr int kColorType[] = {0, PNG_COLOR_TYPE_GRAY, 0, PNG_COLOR_TYPE_RGB,
                                       PNG_COLOR_TYPE_RGB_ALPHA};
  if (channels != 1 && channels != 3 && channels != 4) {
    fail("encode_png: {} channels (need 1, 3 or 4)", channels);
  }
  check_shape(pixels, width, height, channels, "encode_png");
  std::string out;
  std::string message;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &message, png_error_throw, nullptr);
  if (!png) fail("encode_png: out of memory");
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    fail("encode_png: {}", message);
  }
  png_set_write_fn(png, &out, png_append, png_flush_nothing);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               kColorType[channels], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const std::size_t stride = static_cast<std::size_t>(width) * channels;
  for (int y = 0; y < height; ++y) {
    png_write_row(png, const_cast<png_bytep>(pixels.data() + y * stride));
  }
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return out;
}

}  // namespace oqvl::data
