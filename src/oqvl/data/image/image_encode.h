// Image encoders (JPEG via libjpeg-turbo, PNG via libpng) for writing shards: the demo data
// set and re-encoded images. Input is interleaved 8-bit pixels, row-major, no padding.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace oqvl::data {

// channels: 1 (gray) or 3 (RGB). quality: 1..100 (Pillow's default is 75).
std::string encode_jpeg(std::span<const std::uint8_t> pixels, int width, int height, int channels,
                        int quality = 95);

// channels: 1 (gray), 3 (RGB) or 4 (RGBA). Deterministic bytes (no timestamps).
std::string encode_png(std::span<const std::uint8_t> pixels, int width, int height, int channels);

}  // namespace oqvl::data
