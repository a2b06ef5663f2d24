// Internal: one decoder per format behind decode_image() (image.cpp dispatches on the magic).
// Each throws oqvl::Error("undecodable image (...)") and checks sizes against the limits before
// allocating pixels.
#pragma once

#include <cstdint>
#include <span>

#include "oqvl/data/image/image.h"

namespace oqvl::data::detail {

Image decode_jpeg(std::span<const std::uint8_t> bytes, const DecodeOptions& options);
Image decode_png(std::span<const std::uint8_t> bytes, const DecodeOptions& options);
Image decode_webp(std::span<const std::uint8_t> bytes, const DecodeOptions& options);

// Throws if width x height is empty or beyond the limits.
// The end of every "exceeds the limit" message: how to raise it (core/input_limits.h).
inline constexpr const char* kImageLimitHint = "oqvl --limit image-side=N, image-pixels=N raise it";

void check_image_size(long long width, long long height, const DecodeLimits& limits, const char* format);

}  // namespace oqvl::data::detail
