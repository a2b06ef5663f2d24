// Reading the weights of a Hugging Face checkpoint folder, whichever of HF's four layouts it uses:
// model.safetensors, model.safetensors.index.json + shards, pytorch_model.bin, or
// pytorch_model.bin.index.json + shards. Shared by the LLaVA importer and `convert assemble`.
#pragma once

#include <filesystem>

#include "oqvl/model/io/safetensors.h"  // StateDict

namespace oqvl::model {

// Every tensor of the folder, in the file's dtype and names. oqvl::Error naming the folder when
// it holds none of the four layouts, or from the readers for a malformed file or index.
StateDict load_hf_folder_weights(const std::filesystem::path& dir);

}  // namespace oqvl::model
