// Random-weight models: the presets of `oqvl init` (tiny for tests, demo for the Fashion-MNIST
// demo, 1.5b = Open-Qwen2VL's shapes) and a seeded initialisation of a whole OpenQwen2VL.
//
// Initialisation follows Hugging Face's _init_weights for the towers (every >= 2-D weight
// ~ N(0, initializer_range), biases 0, norm weights 1) and PyTorch's nn.Linear default for the
// projector (weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), what Prismatic gets), all
// drawn from one CPU generator seeded with `seed`, so the same seed gives the same bytes on
// every machine and thread count. Not thread-safe (uses a private generator, not the global one).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "oqvl/model/vlm.h"
#include "oqvl/model/vlm_config.h"

namespace oqvl::model {

// The names `oqvl init --preset` accepts.
std::vector<std::string> init_preset_names();
// oqvl::Error for an unknown name (listing the known ones).
VlmConfig init_preset(const std::string& name);

// Applies "path.to.key=value" overrides to a config.json tree (VlmConfig::to_json's keys, e.g.
// text_config.num_hidden_layers=4, vision_config.image_size=32, projector.image_tokens=16);
// the value is JSON (a bare word is a string). The image processor's size follows
// vision_config.image_size unless set. oqvl::Error naming the override when the key does not
// exist in the tree, the value has another JSON type, or the result is not a valid config.
VlmConfig apply_config_overrides(const VlmConfig& base, const std::vector<std::string>& overrides);

// Re-initialises every parameter of `model` as described above.
void init_weights(OpenQwen2VLImpl& model, std::uint64_t seed, double initializer_range = 0.02);

// The projector alone, as folder tensors (projector.mlp_projector.{0,2}.{weight,bias}, fp32),
// initialised as nn.Linear does from a fresh CPU generator seeded with `seed`: the bytes equal
// Python's torch.empty(shape).uniform_(-b, b, generator=torch.Generator().manual_seed(seed))
// drawn in that order with b = 1/sqrt(fan_in). What `oqvl convert assemble` puts between two
// pretrained towers.
StateDict init_projector_tensors(const VlmConfig& config, std::uint64_t seed);

}  // namespace oqvl::model
