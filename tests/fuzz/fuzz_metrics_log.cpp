// Training metrics logs (report/metrics_log.h, `oqvl plot`): JSON lines of any kind, resumed
// runs, NaN, a partial last line.
#include <cstdint>

#include "fuzz_util.h"
#include "oqvl/report/metrics_log.h"

using namespace oqvl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::expect_ok_or_error([&] { report::parse_metrics_log(fuzz::text(data, size), "metrics.jsonl"); });
  return 0;
}
