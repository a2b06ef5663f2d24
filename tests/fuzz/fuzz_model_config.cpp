// A model folder's config.json (model/vlm_config.h, qwen2_config.h, siglip_config.h; torch-free):
// mode byte 0 = oqvl's own config.json (VlmConfig::from_file, what every model command reads),
// 1 = a Hugging Face SigLIP config, else a Hugging Face Qwen2 config. A config it accepts must
// pass validate() and describe a tower whose layer and patch counts are in range.
#include <cstdint>

#include "fuzz_util.h"
#include "oqvl/model/vlm_config.h"

using namespace oqvl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto path = fuzz::input_file("config.json", fuzz::text(data + 1, size - 1));
  fuzz::expect_ok_or_error([&] {
    if (data[0] == 0) {
      auto c = model::VlmConfig::from_file(path);
      c.validate();
      if (c.image_tokens <= 0 || c.image_tokens > c.vision.num_patches()) std::abort();
      if (c.vision.blocks_to_run() < 0 || c.vision.blocks_to_run() > c.vision.num_layers) std::abort();
      (void)c.to_json().dump();
    } else if (data[0] == 1) {
      auto v = model::SiglipVisionConfig::from_hf_json_file(path);
      if (v.num_patches() <= 0 || v.head_dim() <= 0) std::abort();
    } else {
      auto q = model::Qwen2Config::from_json_file(path.string());
      if (q.num_attention_heads % q.num_key_value_heads != 0) std::abort();
    }
  });
  return 0;
}
