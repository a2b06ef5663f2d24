#include "oqvl/train/sft_source.h"

#include "oqvl/core/error.h"

namespace oqvl::train {

std::unique_ptr<RowSource> make_sft_source(const SftSourceOptions& options) {
  fail("data.sft: SFT data is not wired in yet ('{}')", options.file.string());
}

}  // namespace oqvl::train
