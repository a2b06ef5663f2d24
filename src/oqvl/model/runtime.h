// libtorch runtime settings: thread count and device choice, set once by every command that
// runs a model, so results do not depend on libtorch's environment-dependent defaults.
#pragma once

#include <string>

namespace oqvl::model {

// Sets libtorch's intra-op and inter-op thread counts (0 = all hardware threads).
void set_torch_threads(int threads);

// "libtorch 2.11.0, CUDA available: yes (1 device)" style one-liner for `oqvl version`.
std::string runtime_summary();

}  // namespace oqvl::model
