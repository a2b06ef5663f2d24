// Limits on untrusted input that a run may change (docs/untrusted-input.md, "The limits"): the
// defaults sit far above any real file, so that a forged size field is refused before anything
// is allocated for it; `oqvl --limit KEY=VALUE` raises (or lowers) one for a run that needs it.
//
// Threads: set once at start-up (the CLI, before any command runs), read-only afterwards; the
// readers copy the values into their own option structs (DecodeLimits, PickleLimits) when made.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace oqvl {

struct InputLimits {
  std::int64_t image_side = std::int64_t{1} << 14;     // pixels per side of a decoded image
  std::int64_t image_pixels = std::int64_t{1} << 28;   // pixels of a decoded image (768 MiB of RGB)
  std::int64_t pickle_depth = 1000;                    // dicts nested in a torch.save pickle
  std::int64_t pickle_values = std::int64_t{1} << 22;  // values a torch.save pickle makes and flattens to
  std::int64_t pickle_name_bytes = std::int64_t{64} << 20;  // bytes of a torch.save pickle's flattened names
  std::int64_t safetensors_header_bytes = std::int64_t{100} << 20;  // a safetensors file's JSON header
};

const InputLimits& input_limits();

// Applies "KEY=VALUE" (keys as in input_limit_keys(), VALUE a positive integer, or with a K, M,
// G suffix: powers of 1024). oqvl::Error names the bad key or value. Not thread-safe: start-up only.
void set_input_limit(std::string_view key_value);

// "image-side=16384, image-pixels=268435456, ...": the keys and the values now in force.
std::string input_limit_keys();

}  // namespace oqvl
