// WebP decoding with libwebp when the build found it (GPU machines may lack it: then WebP bytes
// give a clear error). Alpha is dropped like Pillow's convert("RGB"). Animated WebP is not
// supported (Pillow would return the first frame).
#include "oqvl/core/error.h"
#include "oqvl/data/image/image_codecs.h"

#ifdef OQVL_HAVE_WEBP
#include <webp/decode.h>
#endif

namespace oqvl::data::detail {

#ifdef OQVL_HAVE_WEBP
Image decode_webp(std::span<const std::uint8_t> bytes, const DecodeOptions& options) {
  WebPBitstreamFeatures features;
  if (WebPGetFeatures(bytes.data(), bytes.size(), &features) != VP8_STATUS_OK)
    fail("undecodable image (webp: bad header)");
  if (features.has_animation) fail("undecodable image (webp: animated WebP is not supported)");
  check_image_size(features.width, features.height, options.limits, "webp");
  Image out;
  out.width = features.width;
  out.height = features.height;
  out.rgb.resize(static_cast<std::size_t>(out.width) * out.height * 3);
  if (!WebPDecodeRGBInto(bytes.data(), bytes.size(), out.rgb.data(), out.rgb.size(), out.width * 3))
    fail("undecodable image (webp: corrupt or truncated data)");
  return out;
}
#else
Image decode_webp(std::span<const std::uint8_t>, const DecodeOptions&) {
  fail("undecodable image (webp: this oqvl was built without libwebp)");
}
#endif

}  // namespace oqvl::data::detail
