// This process's memory use, for progress lines and metrics. Torch-free; thread-safe.
#pragma once

#include <cstdint>

namespace oqvl {

// The peak resident set size of this process so far, in bytes (getrusage); 0 where unknown.
std::int64_t peak_rss_bytes();

}  // namespace oqvl
