// The trainer's TOML run config (train/config.h, torch-free: toml++ and core only): the file as
// given, then its resolved to_toml() text read back, which must give the same text again. Paths
// are not checked (check_paths false, as `oqvl train --dry-run`).
#include <cstdint>

#include "fuzz_util.h"
#include "oqvl/train/config.h"

using namespace oqvl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto path = fuzz::input_file("run.toml", fuzz::text(data, size));
  fuzz::expect_ok_or_error([&] {
    train::TrainConfig config = train::load_config(path, {}, false);
    std::string text = train::to_toml(config);
    auto again = fuzz::input_file("resolved.toml", text);
    if (train::to_toml(train::load_config(again, {}, false)) != text) std::abort();
  });
  return 0;
}
