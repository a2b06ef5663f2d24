#include "oqvl/core/hash.h"

#include <fmt/format.h>

#include "oqvl/core/files.h"

namespace oqvl {

std::string file_fingerprint(const std::filesystem::path& path) {
  MappedFile file(path);  // tokenizer files are MBs: no copy
  return fmt::format("fnv1a64:{:016x}", fnv1a64(file.view()));
}

}  // namespace oqvl
