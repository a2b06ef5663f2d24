// Internal: one decoder per format behind decode_image() (image.cpp dispatches on the magic).
// Each throws oqvl::Error("undecodable image (...)") and checks sizes against the limits before
// allocating pixels.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "oqvl/data/image/image.h"

namespace oqvl::data::detail {

Image decode_jpeg(std::span<const std::uint8_t> bytes, const DecodeOptions& options);
Image decode_png(std::span<const std::uint8_t> bytes, const DecodeOptions& options);
Image decode_webp(std::span<const std::uint8_t> bytes, const DecodeOptions& options);

// The end of every "exceeds the limit" message: how to raise it (core/input_limits.h).
inline constexpr const char* kImageLimitHint = "oqvl --limit image-side=N, image-pixels=N raise it";

// Why width x height is refused ("empty size WxH", "WxH exceeds the limit of ..."), or "" when
// it is within the limits. For decoders that cannot throw at that point (libpng's longjmp).
std::string image_size_problem(long long width, long long height, const DecodeLimits& limits);

// Throws "undecodable image (FORMAT: <image_size_problem>)" if there is a problem.
void check_image_size(long long width, long long height, const DecodeLimits& limits, const char* format);

}  // namespace oqvl::data::detail
