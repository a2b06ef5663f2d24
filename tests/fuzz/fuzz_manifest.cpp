// Training-mixture manifests (data/pack/mix.h, Mixture::load): JSON checked key by key; the
// entries of a manifest that loads add up to its totals.
#include <cstdint>

#include "fuzz_util.h"
#include "oqvl/data/pack/mix.h"

using namespace oqvl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto path = fuzz::input_file("manifest.json", fuzz::text(data, size));
  fuzz::expect_ok_or_error([&] {
    auto mix = data::Mixture::load(path);
    std::uint64_t total = 0;
    for (const auto& e : mix.entries) total += e.sequences;
    if (total != mix.sequences) std::abort();
    mix.to_json().dump();
  });
  return 0;
}
