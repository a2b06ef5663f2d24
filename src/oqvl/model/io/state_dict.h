// Loading module weights from a StateDict (name -> tensor): checked look-ups whose errors name
// the tensor, a checked copy into a parameter, and a reader for dicts written by torch.save.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

#include "oqvl/model/io/safetensors.h"  // StateDict

namespace oqvl::model {

// The tensor `name`; oqvl::Error "missing tensor 'name'" if absent, or naming both shapes if
// `shape` is given and differs.
const torch::Tensor& require_tensor(const StateDict& state, const std::string& name);
const torch::Tensor& require_tensor(const StateDict& state, const std::string& name,
                                    c10::IntArrayRef shape);

// Copies state[name] into `param` (no autograd), converting dtype/device to param's; the shape
// must equal param's.
void load_param(torch::Tensor& param, const StateDict& state, const std::string& name);

// Copies every named parameter of `module` from state[prefix + parameter name]; extra entries in
// `state` are ignored.
void load_module(torch::nn::Module& module, const StateDict& state, const std::string& prefix = "");

// A plain dict {str: Tensor} written by Python's torch.save (read with torch::pickle_load).
StateDict load_torch_pickle(const std::filesystem::path& path);

// "[2, 3, 4]".
std::string shape_string(c10::IntArrayRef shape);

}  // namespace oqvl::model
