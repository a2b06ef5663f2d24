#include "oqvl/model/vlm.h"

#include <limits>
#include <optional>

#include "oqvl/core/error.h"
#include "oqvl/data/image/image_preprocess.h"
#include "oqvl/model/io/state_dict.h"
#include "oqvl/model/io/vlm_folder.h"

namespace oqvl::model {

namespace {

using torch::indexing::Slice;

torch::ScalarType param_dtype(torch::nn::Module& module) {
  auto params = module.parameters();
  return params.empty() ? torch::kFloat32 : params.front().scalar_type();
}

}  // namespace

OpenQwen2VLImpl::OpenQwen2VLImpl(const VlmConfig& config) : config_(config) {
  config_.validate();
  vision = register_module("vision_tower", SiglipVisionTower(config_.vision));
  projector = register_module("projector",
                              PoolingProjector(config_.vision.hidden_size, config_.llm.hidden_size));
  llm = register_module("language_model", Qwen2ForCausalLM(config_.llm));
}

torch::Tensor OpenQwen2VLImpl::encode_images(const torch::Tensor& pixels, int64_t num_tokens) {
  if (num_tokens <= 0) num_tokens = config_.image_tokens;
  const auto S = config_.vision.image_size;
  if (pixels.dim() != 4 || pixels.size(1) != 3 || pixels.size(2) != S || pixels.size(3) != S)
    fail("encode_images: pixels must be [N, 3, {}, {}], got {}", S, S, shape_string(pixels.sizes()));
  torch::Tensor features;  // [N, P, Dv]
  {
    std::optional<torch::NoGradGuard> no_grad;
    if (freeze_vision) no_grad.emplace();
    features = vision->forward(pixels);
  }
  return projector->forward(features.to(param_dtype(*projector)), num_tokens);  // [N, Q, H]
}

AssemblyPlan plan_assembly(const VlmBatch& batch, const VlmConfig& config, int64_t num_tokens,
                           int64_t max_length, int64_t images) {
  const auto& ids = batch.input_ids;
  if (!ids.defined() || ids.dim() != 2) fail("VLM batch: input_ids must be [B, T]");
  const int64_t B = ids.size(0), T = ids.size(1);
  if (max_length <= 0) fail("VLM batch: max_length must be > 0");
  if (num_tokens <= 0) fail("VLM batch: image tokens per image must be > 0");
  const int64_t N = images >= 0 ? images : (batch.pixels.defined() ? batch.pixels.size(0) : 0);
  const int64_t Q = num_tokens;
  auto ids_cpu = ids.to(torch::kCPU, torch::kInt64).contiguous();
  auto lengths = batch.lengths.defined() ? batch.lengths.to(torch::kCPU, torch::kInt64).contiguous()
                                         : torch::full({B}, T, torch::kInt64);
  if (lengths.dim() != 1 || lengths.size(0) != B) fail("VLM batch: lengths must be [B]");
  torch::Tensor labels_in;
  if (batch.labels.defined()) {
    if (batch.labels.sizes() != ids.sizes()) fail("VLM batch: labels must have input_ids' shape");
    labels_in = batch.labels.to(torch::kCPU, torch::kInt64).contiguous();
  }
  auto id = ids_cpu.accessor<int64_t, 2>();
  const int64_t* label_data = labels_in.defined() ? labels_in.data_ptr<int64_t>() : nullptr;
  auto len = lengths.accessor<int64_t, 1>();
  const int64_t image_base = B * T, zero_row = B * T + N * Q;
  std::vector<std::vector<int64_t>> index(B), label(B);
  int64_t image = 0, truncated = 0, T_out = 1;
  for (int64_t b = 0; b < B; ++b) {
    if (len[b] < 0 || len[b] > T) fail("VLM batch: row {} length {} is outside [0, {}]", b, len[b], T);
    for (int64_t t = 0; t < len[b]; ++t) {
      if (id[b][t] == config.image_placeholder) {
        if (image >= N)
          fail("VLM batch: more image placeholders than images ({}); row {} position {}", N, b, t);
        for (int64_t q = 0; q < Q; ++q) {
          index[b].push_back(image_base + image * Q + q);
          label[b].push_back(-100);
        }
        ++image;
      } else {
        if (id[b][t] < 0 || id[b][t] >= config.llm.vocab_size)
          fail("VLM batch: token id {} at row {} position {} is outside the vocabulary ({})", id[b][t], b, t,
               config.llm.vocab_size);
        index[b].push_back(b * T + t);
        label[b].push_back(label_data ? label_data[b * T + t] : id[b][t]);
      }
    }
    if (static_cast<int64_t>(index[b].size()) > max_length) {  // Prismatic truncates after splicing
      index[b].resize(max_length);
      label[b].resize(max_length);
      ++truncated;
    }
    T_out = std::max<int64_t>(T_out, index[b].size());
  }
  if (image != N) fail("VLM batch: {} image placeholders but {} images", image, N);
  AssemblyPlan plan;
  plan.images = N;
  plan.image_tokens = Q;
  plan.truncated_rows = truncated;
  plan.lengths = torch::empty({B}, torch::kInt64);
  plan.gather = torch::full({B, T_out}, zero_row, torch::kInt64);
  plan.labels = torch::full({B, T_out}, -100, torch::kInt64);
  std::vector<int64_t> loss_positions, loss_targets;
  auto* out_len = plan.lengths.data_ptr<int64_t>();
  for (int64_t b = 0; b < B; ++b) {
    const auto n = static_cast<int64_t>(index[b].size());
    out_len[b] = n;
    if (n == 0) continue;
    std::copy(index[b].begin(), index[b].end(), plan.gather.data_ptr<int64_t>() + b * T_out);
    std::copy(label[b].begin(), label[b].end(), plan.labels.data_ptr<int64_t>() + b * T_out);
    for (int64_t t = 0; t + 1 < n; ++t) {  // HF's shift: position t predicts label t + 1
      if (label[b][t + 1] == -100) continue;
      loss_positions.push_back(b * T_out + t);
      loss_targets.push_back(label[b][t + 1]);
    }
  }
  plan.loss_positions = torch::tensor(loss_positions, torch::kInt64);
  plan.loss_targets = torch::tensor(loss_targets, torch::kInt64);
  plan.text_ids = ids_cpu.clone();
  plan.text_ids.masked_fill_(plan.text_ids.eq(config.image_placeholder), 0);
  if (batch.sample_lengths.defined()) {
    auto sl = batch.sample_lengths.to(torch::kCPU, torch::kInt64).contiguous().clone();
    if (sl.dim() != 2 || sl.size(0) != B) fail("VLM batch: sample_lengths must be [B, S]");
    auto acc = sl.accessor<int64_t, 2>();
    for (int64_t b = 0; b < B; ++b) {
      int64_t used = 0;
      for (int64_t s = 0; s < sl.size(1); ++s) {  // clamp to what survived truncation
        if (acc[b][s] < 0) fail("VLM batch: negative sample length in row {}", b);
        acc[b][s] = std::min(acc[b][s], out_len[b] - used);
        used += acc[b][s];
      }
    }
    plan.sample_lengths = sl;
  }
  return plan;
}

AssembledBatch OpenQwen2VLImpl::assemble(const VlmBatch& batch, const torch::Tensor& image_tokens,
                                         int64_t max_length) {
  const int64_t H = config_.llm.hidden_size;
  if (image_tokens.dim() != 3 || image_tokens.size(2) != H)
    fail("VLM batch: image tokens must be [N, Q, {}], got {}", H, shape_string(image_tokens.sizes()));
  return splice(plan_assembly(batch, config_, image_tokens.size(1), max_length, image_tokens.size(0)),
                image_tokens);
}

AssembledBatch OpenQwen2VLImpl::splice(const AssemblyPlan& plan, const torch::Tensor& image_tokens) {
  const int64_t H = config_.llm.hidden_size;
  if (image_tokens.dim() != 3 || image_tokens.size(2) != H || image_tokens.size(0) != plan.images ||
      (plan.images > 0 && image_tokens.size(1) != plan.image_tokens))
    fail("VLM batch: image tokens must be [{}, {}, {}], got {}", plan.images, plan.image_tokens, H,
         shape_string(image_tokens.sizes()));
  const int64_t B = plan.text_ids.size(0), T = plan.text_ids.size(1), T_out = plan.gather.size(1);
  const auto device = llm->model->embed_tokens->weight.device();
  auto text = llm->embed(plan.text_ids.to(device, /*non_blocking=*/true)).reshape({B * T, H});  // [B*T, H]
  auto zeros = torch::zeros({1, H}, text.options());
  auto source = torch::cat(
      {text, image_tokens.to(text.device(), text.scalar_type()).reshape({plan.images * plan.image_tokens, H}),
       zeros});
  AssembledBatch out;
  out.inputs_embeds =
      source.index_select(0, plan.gather.view({-1}).to(device, /*non_blocking=*/true)).view({B, T_out, H});
  out.labels = plan.labels.to(device, /*non_blocking=*/true);
  out.lengths = plan.lengths;
  out.truncated_rows = plan.truncated_rows;
  out.attention = plan.sample_lengths.defined() ? AttentionSpec::per_sample(plan.sample_lengths)
                                                : AttentionSpec::causal(plan.lengths);
  return out;
}

VlmOutput OpenQwen2VLImpl::forward(const VlmBatch& batch, int64_t num_tokens, int64_t max_length) {
  if (num_tokens <= 0) num_tokens = config_.image_tokens;
  torch::Tensor image_tokens;
  if (batch.pixels.defined() && batch.pixels.size(0) > 0) {
    image_tokens = encode_images(batch.pixels.to(llm->model->embed_tokens->weight.device()), num_tokens);
  } else {
    image_tokens = torch::zeros({0, num_tokens, config_.llm.hidden_size},
                                llm->model->embed_tokens->weight.options());
  }
  VlmOutput out;
  out.batch = assemble(batch, image_tokens, max_length);
  out.logits = llm->forward_embeds(out.batch.inputs_embeds, out.batch.attention);
  out.loss = causal_lm_loss(out.logits, out.batch.labels);
  return out;
}

torch::Tensor OpenQwen2VLImpl::prompt_embeds(std::span<const int64_t> ids, const torch::Tensor& image_tokens) {
  if (ids.empty()) fail("prompt_embeds: empty prompt");
  VlmBatch batch;
  batch.input_ids = torch::tensor(std::vector<int64_t>(ids.begin(), ids.end()), torch::kInt64).view({1, -1});
  auto tokens = image_tokens.defined()
                    ? image_tokens
                    : torch::zeros({0, config_.image_tokens, config_.llm.hidden_size},
                                   llm->model->embed_tokens->weight.options());
  auto assembled = assemble(batch, tokens, /*max_length=*/std::numeric_limits<int64_t>::max());
  return assembled.inputs_embeds[0];  // [L', H]
}

void OpenQwen2VLImpl::load_state(const StateDict& state) {
  StateDict vision_state, projector_state, llm_state;
  for (const auto& [name, tensor] : state) {
    if (name.starts_with(kVisionPrefix)) {
      vision_state.emplace(name.substr(std::string_view(kVisionPrefix).size()), tensor);
    } else if (name.starts_with(kProjectorPrefix)) {
      projector_state.emplace(name.substr(std::string_view(kProjectorPrefix).size()), tensor);
    } else if (name.starts_with(kLanguageModelPrefix)) {
      llm_state.emplace(name.substr(std::string_view(kLanguageModelPrefix).size()), tensor);
    } else {
      fail("model weights: unexpected tensor '{}' (expected the prefixes {}, {} or {})", name, kVisionPrefix,
           kProjectorPrefix, kLanguageModelPrefix);
    }
  }
  if (vision_state.empty()) fail("model weights: no tensors under '{}'", kVisionPrefix);
  if (projector_state.empty()) fail("model weights: no tensors under '{}'", kProjectorPrefix);
  if (llm_state.empty()) fail("model weights: no tensors under '{}'", kLanguageModelPrefix);
  vision->load_state(vision_state);
  projector->load_state(projector_state);
  llm->load_state(llm_state);
}

StateDict OpenQwen2VLImpl::state_dict() const {
  StateDict out;
  for (const auto& item : vision->named_parameters(true)) out[kVisionPrefix + item.key()] = item.value();
  for (const auto& item : projector->named_parameters(true))
    out[kProjectorPrefix + item.key()] = item.value();
  for (const auto& item : llm->named_parameters(true))
    out[kLanguageModelPrefix + item.key()] = item.value();
  return out;
}

OpenQwen2VL load_vlm(const std::filesystem::path& dir, torch::Dtype dtype, torch::Device device) {
  if (!std::filesystem::is_directory(dir)) fail("model '{}' is not a folder", dir.string());
  auto config = VlmConfig::from_file(dir / "config.json");
  require_model_weights(dir);
  OpenQwen2VL model(config);
  try {
    model->load_state(load_safetensors(dir));
  } catch (const Error& e) {
    fail("model '{}': {}", dir.string(), e.what());
  }
  model->to(device, dtype);
  model->eval();
  return model;
}

torch::Tensor preprocess_for_vlm(std::span<const std::uint8_t> bytes, const VlmConfig& config) {
  data::PreprocessConfig pc;
  pc.width = pc.height = static_cast<int>(config.vision.image_size);
  pc.mean = config.image_mean;
  pc.std = config.image_std;
  auto out = torch::empty({3, config.vision.image_size, config.vision.image_size}, torch::kFloat32);
  data::preprocess_encoded(bytes, pc, std::span<float>(out.data_ptr<float>(), out.numel()));
  return out;
}

}  // namespace oqvl::model
