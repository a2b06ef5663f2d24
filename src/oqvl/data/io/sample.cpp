#include "oqvl/data/io/sample.h"

#include <fmt/format.h>

#include "oqvl/core/error.h"

namespace oqvl::data {

const Field* Sample::find(std::string_view exts) const {
  while (true) {
    std::size_t cut = exts.find(';');
    std::string_view want = exts.substr(0, cut);
    for (const Field& f : fields) {
      if (f.ext == want) return &f;
    }
    if (cut == std::string_view::npos) return nullptr;
    exts.remove_prefix(cut + 1);
  }
}

std::string_view Sample::bytes(std::string_view exts) const {
  const Field* f = find(exts);
  if (!f) {
    std::string have;
    for (const Field& g : fields) have += (have.empty() ? "" : ",") + g.ext;
    fail("sample {} has no field '{}' (it has: {})", where(), exts, have.empty() ? "none" : have);
  }
  return f->bytes;
}

void Sample::add(std::string ext, std::string data) {
  fields.push_back(Field{std::move(ext), std::move(data)});
}

std::uint64_t Sample::payload_bytes() const {
  std::uint64_t n = 0;
  for (const Field& f : fields) n += f.bytes.size();
  return n;
}

std::string Sample::where() const {
  if (shard.empty()) return fmt::format("'{}'", key);
  return fmt::format("'{}' ({} @ byte {})", key, shard, offset);
}

}  // namespace oqvl::data
