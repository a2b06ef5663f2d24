// safetensors headers and sharded indexes (model/io/safetensors_header.h, torch-free): mode byte
// 0 = the rest is a whole .safetensors file, else a model.safetensors.index.json. Entries the
// parser accepts must lie inside the data section.
#include <cstdint>

#include "fuzz_util.h"
#include "oqvl/model/io/safetensors_header.h"

using namespace oqvl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::span<const std::uint8_t> rest(data + 1, size - 1);
  if (data[0] == 0) {
    fuzz::expect_ok_or_error([&] {
      auto header = model::parse_safetensors_header(rest, "model.safetensors");
      for (const auto& e : header.entries) {
        if (e.begin > e.end || header.data_start + e.end > rest.size()) std::abort();
      }
    });
  } else {
    fuzz::expect_ok_or_error(
        [&] { model::parse_safetensors_index(fuzz::text(rest.data(), rest.size()), "index.json"); });
  }
  return 0;
}
