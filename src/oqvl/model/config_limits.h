// The limit every model config.json reader (siglip_config, qwen2_config) applies to its sizes:
// config files are untrusted input, and a size beyond it is refused before anything is allocated.
#pragma once

#include <cstdint>

namespace oqvl::model {

// Widths, depths, heads, vocabulary: a real SigLIP's are a few thousand, Qwen2's vocabulary is
// 151,936; 2^24 leaves room for any real model and keeps products of two sizes within 64 bits.
inline constexpr std::int64_t kMaxModelConfigSize = std::int64_t{1} << 24;

}  // namespace oqvl::model
