#include "oqvl/data/curate/content_hash.h"

#include <cstring>

#ifdef OQVL_HAVE_XXHASH
#include <xxhash.h>
#endif

namespace oqvl::data {
namespace {

[[maybe_unused]] inline std::uint64_t mix64(std::uint64_t z) {
  // SplitMix64's finaliser: every input bit affects every output bit.
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

[[maybe_unused]] std::uint64_t fallback_hash64(std::string_view bytes) {
  // Two independent lanes of multiply-rotate over 8-byte little-endian words, folded with the
  // length and finalised; a few GB/s, enough for dedup keys (not a cryptographic hash).
  constexpr std::uint64_t kP1 = 0x9E3779B185EBCA87ULL, kP2 = 0xC2B2AE3D27D4EB4FULL;
  std::uint64_t a = 0x243F6A8885A308D3ULL, b = 0x13198A2E03707344ULL;
  const char* p = bytes.data();
  std::size_t n = bytes.size();
  auto rotl = [](std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); };
  while (n >= 16) {
    std::uint64_t w0, w1;
    std::memcpy(&w0, p, 8);
    std::memcpy(&w1, p + 8, 8);
    a = rotl(a ^ (w0 * kP2), 31) * kP1;
    b = rotl(b ^ (w1 * kP2), 29) * kP1;
    p += 16;
    n -= 16;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, p, n < 8 ? n : 8);
  a = rotl(a ^ (tail * kP2), 31) * kP1;
  if (n > 8) {
    tail = 0;
    std::memcpy(&tail, p + 8, n - 8);
    b = rotl(b ^ (tail * kP2), 29) * kP1;
  }
  return mix64(a ^ rotl(b, 17) ^ (bytes.size() * kP1));
}

}  // namespace

std::uint64_t content_hash64(std::string_view bytes) {
#ifdef OQVL_HAVE_XXHASH
  return XXH3_64bits(bytes.data(), bytes.size());
#else
  return fallback_hash64(bytes);
#endif
}

std::string_view content_hash_name() {
#ifdef OQVL_HAVE_XXHASH
  return "xxh3_64";
#else
  return "oqvl_fallback64";
#endif
}

}  // namespace oqvl::data
