// Packed shards as the trainer reads them (data/pack/packed_reader.h): a tar of packed sequences
// (json + ids.u32 + images), every json key, count and length checked.
#include <cstdint>

#include "fuzz_util.h"
#include "oqvl/data/pack/packed_reader.h"

using namespace oqvl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto path = fuzz::input_file("packed.tar", fuzz::text(data, size));
  fuzz::expect_ok_or_error([&] {
    data::PackedShardReader reader(path);
    while (auto seq = reader.next()) {
      for (std::size_t j = 0; j < seq->samples(); ++j) {
        auto ids = seq->sample_ids(j);  // the reader's checks make these in range
        if (ids.size() != seq->text_lengths[j]) std::abort();
      }
      if (seq->length > seq->context) std::abort();
    }
  });
  return 0;
}
