// JPEG decoding with libjpeg-turbo. libjpeg reports fatal errors by calling error_exit, whose
// default calls exit(): ours longjmps back to decode_into(), a function that owns no C++
// objects with destructors (the output lives in the caller's frame), and the caller throws.
// "Premature end of data" is only a warning in libjpeg (it pads with gray); we make it an error.
#include <algorithm>
#include <csetjmp>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>

// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>
// jerror.h after jpeglib.h: it names the message codes.
#include <jerror.h>

#include "oqvl/core/error.h"
#include "oqvl/data/image/image_codecs.h"

namespace oqvl::data::detail {
namespace {

// Progressive JPEGs with thousands of tiny scans decode very slowly (a known DoS); real files
// have at most a few dozen.
constexpr int kMaxScans = 1000;

struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void on_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void on_emit_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;  // trace messages
  // Warnings: corrupt entropy data is tolerated (Pillow decodes such files too), but running
  // out of data means the file is truncated.
  if (cinfo->err->msg_code == JWRN_JPEG_EOF) on_error_exit(cinfo);
}

void on_progress(j_common_ptr cinfo) {
  auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->is_decompressor && d->input_scan_number > kMaxScans) {
    auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
    std::snprintf(err->message, sizeof err->message, "more than %d progressive scans", kMaxScans);
    std::longjmp(err->jump, 1);
  }
}

// Largest DCT reduction 1/2, 1/4, 1/8 that keeps both sides >= the wanted size.
unsigned dct_denominator(const jpeg_decompress_struct& cinfo, const DecodeOptions& options) {
  if (options.min_width <= 0 || options.min_height <= 0) return 1;
  for (unsigned denom : {8u, 4u, 2u}) {
    if (cinfo.image_width >= denom * static_cast<unsigned>(options.min_width) &&
        cinfo.image_height >= denom * static_cast<unsigned>(options.min_height))
      return denom;
  }
  return 1;
}

// Pillow reads every 4-component JPEG as Adobe-inverted CMYK ("CMYK;I") and converts with
// R = (255 - C) * (255 - K) / 255 rounded; with inverted storage that is stored_C * stored_K.
inline std::uint8_t mul_div_255(unsigned a, unsigned b) {
  unsigned t = a * b + 128;
  return static_cast<std::uint8_t>((t + (t >> 8)) >> 8);
}

// Returns true on success; on failure err.message says why. Only C objects live here.
bool decode_into(std::span<const std::uint8_t> bytes, const DecodeOptions& options,
                 jpeg_decompress_struct& cinfo, ErrorManager& err, Image& out,
                 std::vector<std::uint8_t>& cmyk_row) {
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error_exit;
  err.pub.emit_message = on_emit_message;
  err.message[0] = '\0';
  jpeg_progress_mgr progress{};
  progress.progress_monitor = on_progress;
  if (setjmp(err.jump)) return false;
  jpeg_create_decompress(&cinfo);
  cinfo.progress = &progress;
  jpeg_mem_src(&cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  // Size check on the header, before libjpeg allocates anything image-sized (scoped: no C++
  // object may be alive when libjpeg longjmps).
  {
    const std::string problem = image_size_problem(cinfo.image_width, cinfo.image_height, options.limits);
    if (!problem.empty()) {
      std::snprintf(err.message, sizeof err.message, "%s", problem.c_str());
      return false;
    }
  }
  bool cmyk = cinfo.num_components == 4;
  cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  unsigned denom = dct_denominator(cinfo, options);
  cinfo.scale_num = 1;
  cinfo.scale_denom = denom;
  jpeg_start_decompress(&cinfo);
  out.width = static_cast<int>(cinfo.output_width);
  out.height = static_cast<int>(cinfo.output_height);
  out.rgb.resize(static_cast<std::size_t>(out.width) * out.height * 3);
  // Several rows per call: with 2:1 vertical subsampling libjpeg otherwise buffers and copies
  // every other row.
  constexpr int kBatch = 16;
  if (cmyk) cmyk_row.resize(static_cast<std::size_t>(out.width) * 4 * kBatch);
  JSAMPROW rows[kBatch];
  while (cinfo.output_scanline < cinfo.output_height) {
    const int first = static_cast<int>(cinfo.output_scanline);
    const int want = std::min<int>(kBatch, out.height - first);
    for (int r = 0; r < want; ++r)
      rows[r] = cmyk ? cmyk_row.data() + static_cast<std::size_t>(r) * out.width * 4 : out.row(first + r);
    const int got = static_cast<int>(jpeg_read_scanlines(&cinfo, rows, want));
    if (got <= 0) {
      std::snprintf(err.message, sizeof err.message, "no scanline returned");
      return false;
    }
    for (int r = 0; cmyk && r < got; ++r) {
      const std::uint8_t* s = rows[r];
      std::uint8_t* dst = out.row(first + r);
      for (int x = 0; x < out.width; ++x, s += 4, dst += 3) {
        dst[0] = mul_div_255(s[0], s[3]);
        dst[1] = mul_div_255(s[1], s[3]);
        dst[2] = mul_div_255(s[2], s[3]);
      }
    }
  }
  jpeg_finish_decompress(&cinfo);
  return true;
}

}  // namespace

Image decode_jpeg(std::span<const std::uint8_t> bytes, const DecodeOptions& options) {
  jpeg_decompress_struct cinfo;
  std::memset(&cinfo, 0, sizeof cinfo);
  ErrorManager err;
  Image out;
  std::vector<std::uint8_t> cmyk_row;
  bool ok = decode_into(bytes, options, cinfo, err, out, cmyk_row);
  jpeg_destroy_decompress(&cinfo);
  if (!ok) {
    std::string message = err.message;
    if (message.find("Premature end") != std::string::npos) fail("undecodable image (truncated JPEG data)");
    fail("undecodable image (jpeg: {})", message);
  }
  return out;
}

}  // namespace oqvl::data::detail
