#include "oqvl/model/io/state_dict.h"

#include <torch/csrc/jit/serialization/pickle.h>

#include <fstream>
#include <iterator>

#include "oqvl/core/error.h"

namespace oqvl::model {

std::string shape_string(c10::IntArrayRef shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    out += (i ? ", " : "") + std::to_string(shape[i]);
  }
  return out + "]";
}

const torch::Tensor& require_tensor(const StateDict& state, const std::string& name) {
  auto it = state.find(name);
  if (it == state.end()) fail("missing tensor '{}' in the state dict", name);
  return it->second;
}

const torch::Tensor& require_tensor(const StateDict& state, const std::string& name,
                                    c10::IntArrayRef shape) {
  const torch::Tensor& t = require_tensor(state, name);
  if (t.sizes() != shape) {
    fail("tensor '{}' has shape {}, expected {}", name, shape_string(t.sizes()),
         shape_string(shape));
  }
  return t;
}

void load_param(torch::Tensor& param, const StateDict& state, const std::string& name) {
  const torch::Tensor& t = require_tensor(state, name, param.sizes());
  torch::NoGradGuard no_grad;
  param.copy_(t.to(param.device(), param.scalar_type()));
}

void load_module(torch::nn::Module& module, const StateDict& state, const std::string& prefix) {
  for (auto& item : module.named_parameters(/*recurse=*/true)) {
    load_param(item.value(), state, prefix + item.key());
  }
}

StateDict load_torch_pickle(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open '{}'", path.string());
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  c10::IValue value;
  try {
    value = torch::pickle_load(bytes);
  } catch (const c10::Error& e) {
    fail("'{}' is not a torch.save file: {}", path.string(), e.what_without_backtrace());
  }
  if (!value.isGenericDict()) fail("'{}' does not hold a dict", path.string());
  StateDict out;
  for (const auto& entry : value.toGenericDict()) {
    if (!entry.key().isString() || !entry.value().isTensor()) {
      fail("'{}' is not a dict of str -> Tensor", path.string());
    }
    out.emplace(entry.key().toStringRef(), entry.value().toTensor());
  }
  return out;
}

}  // namespace oqvl::model
