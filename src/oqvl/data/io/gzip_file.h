// Reading gzip-compressed files whole (zlib), for inputs that come gzipped: Fashion-MNIST's idx
// files, URL lists (`.tsv.gz`, `.jsonl.gz`). Thread-safe.
#pragma once

#include <filesystem>
#include <string>

namespace oqvl::data {

// The decompressed content of `path`; a file that is not gzip is returned as it is (zlib's
// transparent mode). Throws oqvl::Error naming the path when it cannot be opened or the gzip
// stream is corrupt or truncated.
std::string read_gzip_file(const std::filesystem::path& path);

}  // namespace oqvl::data
