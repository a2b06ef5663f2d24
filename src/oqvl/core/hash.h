// Build-independent 64-bit hashes for values that are stored and compared across runs and
// machines (seeds derived from names, fingerprints of input files). Not for dedup of millions
// of samples: data/curate/content_hash.h is faster there, but its values differ between builds.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace oqvl {

// FNV-1a 64 of `bytes`: the same value with every compiler, library and machine.
constexpr std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : bytes) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return h;
}

// "fnv1a64:<16 hex digits>" of a whole file's content, for option fingerprints (a tokenizer
// file replaced between two runs changes it). Throws oqvl::Error naming the path if unreadable.
std::string file_fingerprint(const std::filesystem::path& path);

}  // namespace oqvl
