// Image decoding and SigLIP preprocessing (data/image/): JPEG (incl. CMYK, progressive), PNG
// (palette, 16-bit, interlaced), WebP, headers declaring huge sizes. The first byte picks the
// options; the limits are lowered so a forged header that passes them stays within libFuzzer's
// memory limit (the check itself is what is tested; the defaults are in image.h).
#include <cstdint>
#include <vector>

#include "fuzz_util.h"
#include "oqvl/data/image/image.h"
#include "oqvl/data/image/image_preprocess.h"

using namespace oqvl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t flags = data[0];
  std::span<const std::uint8_t> bytes(data + 1, size - 1);
  data::DecodeLimits limits;
  limits.max_side = 4096;
  limits.max_pixels = 1 << 22;
  data::sniff_image_format(bytes);
  fuzz::expect_ok_or_error([&] { data::probe_image(bytes); });
  fuzz::expect_ok_or_error([&] {
    data::DecodeOptions options;
    options.limits = limits;
    if (flags & 1) options.min_width = options.min_height = 8 + (flags >> 4);
    data::Image image = data::decode_image(bytes, options);
    if (image.width <= 0 || image.height <= 0 ||
        image.rgb.size() != static_cast<std::size_t>(image.width) * image.height * 3) {
      std::abort();  // decode_image's contract (image.h)
    }
    data::PreprocessConfig config;
    config.width = 1 + (flags >> 3) % 24;
    config.height = 1 + (flags >> 1) % 20;
    config.limits = limits;
    data::preprocess_image(image, config);
  });
  fuzz::expect_ok_or_error([&] {
    data::PreprocessConfig config;
    config.width = config.height = 16;
    config.dct_scaling = flags & 2;
    config.limits = limits;
    std::vector<std::uint16_t> out(data::preprocessed_size(config));
    data::preprocess_encoded_bf16(bytes, config, out);
  });
  return 0;
}
