// WebDataset tar shards (data/io/tar_reader.h): every dialect the reader knows (ustar, GNU long
// names, pax, base-256 sizes), truncation and padding, in both bad-input modes, plus resuming at
// the offsets the reader reported.
#include <cstdint>
#include <vector>

#include "fuzz_util.h"
#include "oqvl/core/bad_input.h"
#include "oqvl/data/io/tar_reader.h"

using namespace oqvl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto path = fuzz::input_file("shard.tar", fuzz::text(data, size));
  std::vector<std::uint64_t> offsets;
  fuzz::expect_ok_or_error([&] {
    data::TarReader reader(path);
    while (auto s = reader.next()) offsets.push_back(s->offset);
  });
  fuzz::expect_ok_or_error([&] {
    SkipCounter skipped;
    data::TarReaderOptions options;
    options.on_bad = OnBadInput::kSkip;
    options.skipped = &skipped;
    data::TarReader reader(path, options);
    while (reader.next()) {
    }
  });
  for (std::size_t i = 0; i < offsets.size() && i < 8; ++i) {
    fuzz::expect_ok_or_error([&] {
      data::TarReader reader(path);
      reader.start_at(offsets[i]);
      if (!reader.next()) std::abort();  // a reported offset must give that sample back
    });
  }
  return 0;
}
