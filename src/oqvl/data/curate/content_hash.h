// 64-bit content hashes for deduplication (exact image bytes, url + caption).
//
// With xxHash available at build time (OQVL_HAVE_XXHASH) this is XXH3-64 with seed 0, so the
// values match Python's `xxhash.xxh3_64_intdigest`. Without it (the GPU machines lack the
// headers) a hash written in this project is used instead: the values then differ between the
// two builds, but within one run every sample is hashed the same way, so deduplication is
// consistent. Nothing persists these values across runs.
#pragma once

#include <cstdint>
#include <string_view>

namespace oqvl::data {

// Hash of a byte string.
std::uint64_t content_hash64(std::string_view bytes);

// "xxh3_64" or "oqvl_fallback64": which hash content_hash64 is (reported in filter summaries).
std::string_view content_hash_name();

}  // namespace oqvl::data
