#include "oqvl/eval/shared_prefix.h"

#include <algorithm>
#include <string>

#include "oqvl/core/error.h"
#include "oqvl/eval/few_shot.h"
#include "oqvl/model/generate.h"

namespace oqvl::eval {

SharedPrefix build_shared_prefix(model::OpenQwen2VL& model, const data::Tokenizer& tokenizer,
                                 const std::vector<const McItem*>& demonstrations, std::int64_t image_tokens,
                                 const data::ImagePromptOptions& prompt_options) {
  if (demonstrations.empty()) fail("few-shot: a shared prefix needs at least one demonstration");
  const auto& cfg = model->config();
  const auto& weight = model->llm->model->embed_tokens->weight;
  SharedPrefix out;
  const std::string text = few_shot_prefix(demonstrations);
  out.images = data::count_image_markers(text);
  out.ids = data::tokenize_image_prompt(tokenizer, text, prompt_options);
  std::vector<torch::Tensor> pixels;
  for (const McItem* d : demonstrations) {
    try {
      const std::string bytes = item_image_bytes(*d);
      pixels.push_back(model::preprocess_for_vlm(
          {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, cfg));
    } catch (const Error& e) {
      fail("few-shot demonstration item {} (line {}): image: {}", d->index, d->row, e.what());
    }
  }
  if (pixels.size() != out.images)
    fail("few-shot: the prefix has {} image markers for {} demonstrations", out.images, pixels.size());
  torch::InferenceMode inference;
  auto tokens = model->encode_images(torch::stack(pixels).to(weight.device(), weight.scalar_type()),
                                     image_tokens);
  auto embeds = model->prompt_embeds(out.ids, tokens);  // [P, H]
  out.positions = embeds.size(0);
  out.cache = model::prefill_prefix(model->llm, embeds);
  return out;
}

bool begins_with_prefix(const SharedPrefix& prefix, std::span<const std::int64_t> ids) {
  return ids.size() > prefix.ids.size() && std::equal(prefix.ids.begin(), prefix.ids.end(), ids.begin());
}

}  // namespace oqvl::eval
