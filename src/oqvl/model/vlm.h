// The Open-Qwen2VL model (docs/recipe.md §5): SigLIP vision tower -> adaptive-average-pooling projector ->
// Qwen2 LLM, with Prismatic's sequence assembly (docs/recipe.md §5.4):
//   each row's token ids carry one placeholder (config.image_placeholder, -200) per image; the
//   text is embedded with the LLM's embedding, every placeholder is replaced by that image's Q
//   projected tokens (144 in pre-training, 729 in SFT), the expanded row is truncated to
//   max_length, and the batch is right-padded. Labels are -100 on image slots and padding.
// All images of a batch go through the vision tower in one forward (images are consumed in
// order across rows, as Prismatic flattens the per-row image lists).
//
// The assembly is one gather from [text embeddings ; image tokens ; a zero row], so gradients
// reach both the embedding table and the projector without per-row concatenations.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "oqvl/model/projector.h"
#include "oqvl/model/qwen2.h"
#include "oqvl/model/io/safetensors.h"
#include "oqvl/model/siglip.h"
#include "oqvl/model/vlm_config.h"

namespace oqvl::model {

// One batch of (packed) rows before image expansion.
struct VlmBatch {
  torch::Tensor input_ids;  // [B, T] int64; image placeholders at image positions
  torch::Tensor lengths;    // [B] int64 valid ids per row (the rest is padding); undefined = all T
  torch::Tensor pixels;     // [N, 3, S, S] preprocessed images, in order over rows; N = #placeholders
  torch::Tensor labels;     // [B, T] int64 or undefined (= input_ids, -100 on placeholders)
  // Optional per-sample lengths in EXPANDED tokens, [B, S] int64 (0 = unused): selects
  // block-diagonal per-sample attention with positions reset (AttentionSpec::per_sample).
  // Undefined = plain causal attention over each row (what the paper trains).
  torch::Tensor sample_lengths;
};

// The LLM input after splicing.
struct AssembledBatch {
  torch::Tensor inputs_embeds;  // [B, T', H]
  torch::Tensor labels;         // [B, T'] int64, -100 on image tokens and padding
  torch::Tensor lengths;        // [B] int64 valid tokens per row after expansion/truncation
  AttentionSpec attention;      // causal(lengths) or per_sample(clamped sample lengths)
  int64_t truncated_rows = 0;   // rows cut at max_length
};

// The host-side half of assemble(): where every position of the expanded rows comes from, built
// on the CPU (the trainer's loader threads build it ahead of the step, so the step itself never
// copies ids back to the host). Gather sources: [0, B*T) text embeddings, [B*T, B*T + N*Q) image
// tokens, B*T + N*Q a zero row (padding).
struct AssemblyPlan {
  torch::Tensor text_ids;        // [B, T] int64, placeholders replaced by 0 (embedded, never gathered)
  torch::Tensor gather;          // [B, T'] int64 source row of each expanded position
  torch::Tensor labels;          // [B, T'] int64, -100 on image tokens and padding (unshifted)
  torch::Tensor lengths;         // [B] int64 valid expanded tokens per row
  torch::Tensor sample_lengths;  // [B, S] int64 clamped to the expanded rows, or undefined (causal)
  // Positions p (flat over [B, T']) whose next label is counted, and those labels: the loss is
  // CE(hidden[p] -> loss_targets) (HF's shift, without materialising [B, T', V] logits).
  torch::Tensor loss_positions;               // [M] int64
  torch::Tensor loss_targets;                 // [M] int64
  std::int64_t images = 0, image_tokens = 0;  // N, Q
  std::int64_t truncated_rows = 0;            // rows cut at max_length
};

// Builds the plan of `batch` (any device; ids/labels/lengths are read on the CPU) for `num_tokens`
// tokens per image. oqvl::Error on a placeholder count different from the batch's images
// (batch.pixels.size(0), or `images` when >= 0), an id outside the vocabulary, bad lengths.
AssemblyPlan plan_assembly(const VlmBatch& batch, const VlmConfig& config, std::int64_t num_tokens,
                           std::int64_t max_length, std::int64_t images = -1);

struct VlmOutput {
  torch::Tensor logits;  // [B, T', V]
  torch::Tensor loss;    // [] float32 token-mean CE over labels != -100 (HF shift)
  AssembledBatch batch;
};

class OpenQwen2VLImpl : public torch::nn::Module {
 public:
  explicit OpenQwen2VLImpl(const VlmConfig& config);

  // pixels [N, 3, S, S] -> projected image tokens [N, num_tokens, H]. The tower runs without
  // autograd when frozen (the paper freezes it in every stage).
  torch::Tensor encode_images(const torch::Tensor& pixels, int64_t num_tokens);

  // Splices `image_tokens` [N, Q, H] into the embedded rows of `batch` (see the file comment).
  // oqvl::Error when the number of placeholders differs from N or a row has none of its
  // length valid.
  AssembledBatch assemble(const VlmBatch& batch, const torch::Tensor& image_tokens,
                          int64_t max_length = 4096);
  // The device half of assemble(): embeds plan.text_ids and gathers the rows. image_tokens
  // [N, Q, H] must match the plan. No host synchronisation (plan tensors are copied to the
  // model's device without waiting when pinned).
  AssembledBatch splice(const AssemblyPlan& plan, const torch::Tensor& image_tokens);

  // encode_images + assemble + LLM forward + loss. num_tokens <= 0 means config().image_tokens.
  VlmOutput forward(const VlmBatch& batch, int64_t num_tokens = 0, int64_t max_length = 4096);

  // One prompt's embeddings for generation: ids with placeholders, image_tokens [n, Q, H] for
  // its n placeholders -> [L', H].
  torch::Tensor prompt_embeds(std::span<const int64_t> ids, const torch::Tensor& image_tokens);

  // Copies weights named as in the model folder (vlm_config.h: vision_tower.vision_model.*,
  // projector.*, language_model.*). Errors name the missing or mis-shaped tensor.
  void load_state(const StateDict& state);
  // This model's tensors under the folder's names (the vision tower's built blocks only).
  StateDict state_dict() const;

  const VlmConfig& config() const { return config_; }
  bool freeze_vision = true;

  SiglipVisionTower vision{nullptr};
  PoolingProjector projector{nullptr};
  Qwen2ForCausalLM llm{nullptr};

 private:
  VlmConfig config_;
};
TORCH_MODULE(OpenQwen2VL);

// Loads an oqvl model folder (config.json + model.safetensors[.index.json]) onto `device`,
// parameters in `dtype`.
OpenQwen2VL load_vlm(const std::filesystem::path& dir, torch::Dtype dtype = torch::kFloat32,
                     torch::Device device = torch::kCPU);

// Encoded image bytes (JPEG/PNG/WebP) -> [3, S, S] float32, SigLIP preprocessing of `config`
// (Pillow-exact bicubic resize, normalize).
torch::Tensor preprocess_for_vlm(std::span<const std::uint8_t> bytes, const VlmConfig& config);

}  // namespace oqvl::model
