// DataComp / DFN .npy uid lists (data/curate/uid_list.h): npy format versions 1-3, both dtypes,
// truncated bodies, huge declared shapes.
#include <cstdint>

#include "fuzz_util.h"
#include "oqvl/data/curate/uid_list.h"

using namespace oqvl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::expect_ok_or_error([&] {
    auto uids = data::UidSet::parse_npy(fuzz::text(data, size), "uids.npy");
    // What parse_npy promises: a sorted set.
    for (std::size_t i = 1; i < uids.size(); ++i) {
      if (uids.uids()[i] < uids.uids()[i - 1]) std::abort();
    }
    uids.contains({1, 2});
  });
  fuzz::expect_ok_or_error([&] { data::parse_uid_hex(fuzz::text(data, size)); });
  return 0;
}
