#include "oqvl/model/init.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "oqvl/core/error.h"
#include "oqvl/core/strings.h"

namespace oqvl::model {

namespace {

// nn.Linear's reset_parameters (kaiming_uniform, a = sqrt(5)) = U(+-1/sqrt(fan_in)), the same bound
// for the bias from its weight's fan-in, drawn in named_parameters order (0.weight, 0.bias, ...).
void init_projector_uniform(PoolingProjectorImpl& projector, at::Generator& gen) {
  torch::NoGradGuard no_grad;
  const auto params = projector.named_parameters(true);
  for (const auto& item : params) {
    auto p = item.value();
    const auto& name = item.key();
    std::int64_t fan_in = p.dim() >= 2 ? p.size(1) : 0;
    if (p.dim() == 1) {
      const auto weight_name = name.substr(0, name.size() - 4) + "weight";  // ".bias" -> ".weight"
      if (const auto* w = params.find(weight_name)) fan_in = w->size(1);
    }
    if (fan_in <= 0) fail("init: projector tensor '{}' has no fan-in", name);
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    p.copy_(torch::empty(p.sizes(), torch::kFloat32).uniform_(-bound, bound, gen));
  }
}

}  // namespace

std::vector<std::string> init_preset_names() { return {"tiny", "demo", "1.5b"}; }

VlmConfig init_preset(const std::string& name) {
  VlmConfig c;
  if (name == "1.5b") return VlmConfig::open_qwen2vl();
  if (name == "tiny" || name == "demo") {
    // tiny: the shapes of tools/vlm_reference.py's tiny model (the tests' reference).
    // demo: what the Fashion-MNIST demo trains from scratch on 2 cores (docs/training.md):
    // 28x28 photos at patch 4 (49 patches -> 16 tokens), narrow towers, the real vocabulary.
    const bool demo = name == "demo";
    c.vision.image_size = 28;
    c.vision.patch_size = 4;
    c.vision.hidden_size = demo ? 64 : 32;
    c.vision.intermediate_size = demo ? 128 : 48;
    c.vision.num_layers = 3;  // feature layer -2: two blocks run
    c.vision.num_heads = 4;
    c.vision.gelu = GeluKind::kErf;
    c.llm.hidden_size = demo ? 64 : 32;
    c.llm.intermediate_size = demo ? 128 : 64;
    c.llm.num_hidden_layers = 2;
    c.llm.num_attention_heads = 4;
    c.llm.num_key_value_heads = 2;
    c.llm.head_dim = demo ? 16 : 8;
    c.image_tokens = 16;
    c.validate();
    return c;
  }
  fail("init: unknown preset '{}' (known: {})", name, fmt::join(init_preset_names(), ", "));
}

VlmConfig apply_config_overrides(const VlmConfig& base, const std::vector<std::string>& overrides) {
  auto tree = base.to_json();
  bool size_set = false;
  for (const auto& item : overrides) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) fail("--set '{}': expected path.to.key=value", item);
    const auto path = item.substr(0, eq);
    const auto text = item.substr(eq + 1);
    nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) value = text;  // a bare word
    nlohmann::json* node = &tree;
    std::size_t start = 0;
    for (;;) {
      const auto dot = path.find('.', start);
      const auto key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (!node->is_object() || !node->contains(key))
        fail("--set '{}': the model config has no key '{}' (see config.json of `oqvl init`)", item, path);
      node = &(*node)[key];
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    const bool numbers = node->is_number() && value.is_number();
    if (node->type() != value.type() && !numbers)
      fail("--set '{}': '{}' is a {}, not a {}", item, path, node->type_name(), value.type_name());
    if (node->is_number_integer() && !value.is_number_integer())
      fail("--set '{}': '{}' must be an integer", item, path);
    *node = value;
    if (path == "image_processor.size") size_set = true;
  }
  if (!size_set) tree["image_processor"]["size"] = tree["vision_config"]["image_size"];
  auto out = VlmConfig::from_json(tree);
  out.validate();
  return out;
}

void init_weights(OpenQwen2VLImpl& model, std::uint64_t seed, double initializer_range) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto fill = [&](torch::Tensor& p, const std::string& name) {
    auto cpu = torch::empty(p.sizes(), torch::kFloat32);
    const bool norm = name.find("norm") != std::string::npos;
    if (p.dim() >= 2 && !norm) {
      cpu.normal_(0.0, initializer_range, gen);
    } else if (norm && name.ends_with("weight")) {
      cpu.fill_(1.0);
    } else {
      cpu.zero_();
    }
    p.copy_(cpu);
  };
  for (auto& item : model.vision->named_parameters(true)) fill(item.value(), item.key());
  init_projector_uniform(*model.projector, gen);
  for (auto& item : model.llm->named_parameters(true)) fill(item.value(), item.key());
}

StateDict init_projector_tensors(const VlmConfig& config, std::uint64_t seed) {
  PoolingProjector projector(config.vision.hidden_size, config.llm.hidden_size);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  init_projector_uniform(*projector, gen);
  StateDict out;
  for (const auto& item : projector->named_parameters(true))
    out[std::string(kProjectorPrefix) + item.key()] = item.value().detach().clone();
  return out;
}

}  // namespace oqvl::model
