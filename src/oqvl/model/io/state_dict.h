// Loading module weights from a StateDict (name -> tensor): checked look-ups whose errors name
// the tensor, the one strict module loader, and a reader for dicts written by torch.save.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "oqvl/model/io/safetensors.h"  // StateDict

namespace oqvl::model {

// The tensor `name`; oqvl::Error "missing tensor 'name'" if absent, or naming both shapes if
// `shape` is given and differs.
const torch::Tensor& require_tensor(const StateDict& state, const std::string& name);
const torch::Tensor& require_tensor(const StateDict& state, const std::string& name, c10::IntArrayRef shape);

// Tensors a module knowingly does not load (a head it does not run, blocks past its feature
// layer, buffers it recomputes). Called with the name without the module's prefix.
using IgnorableTensor = std::function<bool(std::string_view name)>;

// The one loading rule every module shares: copies every named parameter of `module` from
// state[prefix + parameter name] (converting dtype/device), and fails naming every missing tensor
// at once, a wrong shape by tensor, and any other tensor under `prefix` that `ignorable` does not
// accept. Tensors outside `prefix` are not this module's and are left alone. `what` starts each
// message ("SigLIP weights").
void load_module(torch::nn::Module& module, const StateDict& state, const std::string& prefix,
                 std::string_view what, const IgnorableTensor& ignorable = {});

// A plain dict {str: Tensor} written by Python's torch.save (read with torch::pickle_load).
StateDict load_torch_pickle(const std::filesystem::path& path);

// "[2, 3, 4]".
std::string shape_string(c10::IntArrayRef shape);

}  // namespace oqvl::model
