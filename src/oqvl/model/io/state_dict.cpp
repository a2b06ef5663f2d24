#include "oqvl/model/io/state_dict.h"

#include <torch/csrc/jit/serialization/pickle.h>

#include <fstream>
#include <iterator>

#include <fmt/ranges.h>

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

const torch::Tensor& require_tensor(const StateDict& state, const std::string& name, c10::IntArrayRef shape) {
  const torch::Tensor& t = require_tensor(state, name);
  if (t.sizes() != shape) {
    fail("tensor '{}' has shape {}, expected {}", name, shape_string(t.sizes()), shape_string(shape));
  }
  return t;
}

void load_module(torch::nn::Module& module, const StateDict& state, const std::string& prefix,
                 std::string_view what, const IgnorableTensor& ignorable) {
  auto params = module.named_parameters(/*recurse=*/true);
  std::vector<std::string> missing;
  for (const auto& item : params)
    if (!state.count(prefix + item.key())) missing.push_back(prefix + item.key());
  if (!missing.empty()) fail("{}: {} missing tensor(s): {}", what, missing.size(), fmt::join(missing, ", "));
  for (const auto& [name, tensor] : state) {
    if (!name.starts_with(prefix)) continue;
    const std::string_view local = std::string_view(name).substr(prefix.size());
    if (params.contains(std::string(local)) || (ignorable && ignorable(local))) continue;
    fail("{}: unexpected tensor '{}'", what, name);
  }
  torch::NoGradGuard no_grad;
  for (auto& item : params) {
    const torch::Tensor& t = state.at(prefix + item.key());
    if (t.sizes() != item.value().sizes())
      fail("{}: tensor '{}' has shape {}, expected {}", what, prefix + item.key(), shape_string(t.sizes()),
           shape_string(item.value().sizes()));
    item.value().copy_(t.to(item.value().device(), item.value().scalar_type()));
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
