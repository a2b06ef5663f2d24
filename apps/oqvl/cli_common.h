// Helpers shared by the CLI's commands.
#pragma once

#include <filesystem>

namespace oqvl::cli {

// The default tokenizer: assets/qwen2-tokenizer/tokenizer.json in the folder of the oqvl
// executable or any folder above it (build/oqvl finds the repo's copy; an install can put
// assets/ beside bin/), else in the current folder. No path is baked in at compile time, so a
// moved checkout or a copied build keeps working. Throws oqvl::Error if there is none.
std::filesystem::path default_tokenizer_path();

}  // namespace oqvl::cli
