#include "oqvl/model/io/vlm_folder.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/log.h"
#include "oqvl/model/io/state_dict.h"
#include "oqvl/model/siglip.h"

namespace oqvl::model {

namespace fs = std::filesystem;

namespace {}  // namespace

// ---------------------------------------------------------------------------------------------
// Reading and checking

void require_model_weights(const fs::path& dir) {
  if (fs::exists(dir / "model.safetensors") || fs::exists(dir / "model.safetensors.index.json")) return;
  if (fs::exists(dir / "shards.json"))
    fail(
        "'{}' is a sharded training checkpoint (full_shard/hybrid): make a model folder of it with `oqvl convert "
        "consolidate --checkpoint {} --out MODEL`",
        dir.string(), dir.string());
  fail("'{}' has no weights (neither model.safetensors nor model.safetensors.index.json)", dir.string());
}

VlmCheckpoint read_vlm_folder(const fs::path& dir) {
  if (!fs::exists(dir)) fail("model folder '{}' does not exist", dir.string());
  if (!fs::is_directory(dir)) fail("'{}' is not a folder (an oqvl model is a folder)", dir.string());
  if (!fs::exists(dir / "config.json"))
    fail("'{}' has no config.json (not an oqvl model folder; convert checkpoints with `oqvl convert`)",
         dir.string());
  require_model_weights(dir);
  VlmCheckpoint out;
  out.config = VlmConfig::from_file(dir / "config.json");
  out.tensors = load_safetensors(dir);
  return out;
}

std::vector<TensorSpec> expected_vlm_tensors(const VlmConfig& config) {
  std::vector<TensorSpec> out;
  auto add = [&](std::string name, std::vector<std::int64_t> shape, bool optional = false) {
    out.push_back({std::move(name), std::move(shape), optional});
  };
  const auto& v = config.vision;
  const std::string vp = kVisionPrefix;
  const auto D = v.hidden_size, I = v.intermediate_size;
  add(vp + "embeddings.patch_embedding.weight", {D, v.num_channels, v.patch_size, v.patch_size});
  add(vp + "embeddings.patch_embedding.bias", {D});
  add(vp + "embeddings.position_embedding.weight", {v.num_patches(), D});
  for (std::int64_t i = 0; i < v.blocks_to_run(); ++i) {
    const std::string b = fmt::format("{}encoder.layers.{}.", vp, i);
    for (const char* ln : {"layer_norm1", "layer_norm2"}) {
      add(b + ln + ".weight", {D});
      add(b + ln + ".bias", {D});
    }
    for (const char* p : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
      add(b + "self_attn." + p + ".weight", {D, D});
      add(b + "self_attn." + p + ".bias", {D});
    }
    add(b + "mlp.fc1.weight", {I, D});
    add(b + "mlp.fc1.bias", {I});
    add(b + "mlp.fc2.weight", {D, I});
    add(b + "mlp.fc2.bias", {D});
  }

  const std::string pp = std::string(kProjectorPrefix) + "mlp_projector.";
  const auto& l = config.llm;
  const auto H = l.hidden_size;
  add(pp + "0.weight", {H, D});
  add(pp + "0.bias", {H});
  add(pp + "2.weight", {H, H});
  add(pp + "2.bias", {H});

  const std::string lp = kLanguageModelPrefix;
  const auto q = l.num_attention_heads * l.head_dim, kv = l.num_key_value_heads * l.head_dim;
  add(lp + "model.embed_tokens.weight", {l.vocab_size, H});
  for (std::int64_t i = 0; i < l.num_hidden_layers; ++i) {
    const std::string b = fmt::format("{}model.layers.{}.", lp, i);
    add(b + "self_attn.q_proj.weight", {q, H});
    add(b + "self_attn.q_proj.bias", {q});
    add(b + "self_attn.k_proj.weight", {kv, H});
    add(b + "self_attn.k_proj.bias", {kv});
    add(b + "self_attn.v_proj.weight", {kv, H});
    add(b + "self_attn.v_proj.bias", {kv});
    add(b + "self_attn.o_proj.weight", {H, q});
    add(b + "mlp.gate_proj.weight", {l.intermediate_size, H});
    add(b + "mlp.up_proj.weight", {l.intermediate_size, H});
    add(b + "mlp.down_proj.weight", {H, l.intermediate_size});
    add(b + "input_layernorm.weight", {H});
    add(b + "post_attention_layernorm.weight", {H});
  }
  add(lp + "model.norm.weight", {H});
  add(lp + "lm_head.weight", {l.vocab_size, H}, /*optional=*/l.tie_word_embeddings);
  return out;
}

TensorCheckReport check_vlm_tensors(const VlmConfig& config, const StateDict& tensors) {
  TensorCheckReport report;
  std::set<std::string> known;
  for (const auto& spec : expected_vlm_tensors(config)) {
    known.insert(spec.name);
    auto it = tensors.find(spec.name);
    if (it == tensors.end()) {
      if (spec.optional) continue;
      fail("missing tensor '{}' (expected shape {})", spec.name, shape_string(spec.shape));
    }
    const auto& t = it->second;
    if (t.sizes() != c10::IntArrayRef(spec.shape))
      fail("tensor '{}' has shape {}, expected {}", spec.name, shape_string(t.sizes()),
           shape_string(spec.shape));
    if (!t.is_floating_point())
      fail("tensor '{}' has dtype {}, expected a floating-point type", spec.name,
           std::string(c10::toString(t.scalar_type())));
    auto& count = spec.name.starts_with(kVisionPrefix)      ? report.vision_params
                  : spec.name.starts_with(kProjectorPrefix) ? report.projector_params
                                                            : report.llm_params;
    count += t.numel();
  }
  const std::string vp = kVisionPrefix;
  for (const auto& [name, t] : tensors) {
    if (known.count(name)) continue;
    const bool ignorable = name.starts_with(vp) &&
                           siglip_tensor_not_run(std::string_view(name).substr(vp.size()), config.vision);
    (ignorable ? report.ignored : report.unexpected).push_back(name);
  }
  return report;
}

// ---------------------------------------------------------------------------------------------
// Writing

void write_safetensors_folder(const fs::path& dir, const StateDict& tensors,
                              const SafetensorsWriteOptions& options) {
  // Group names (sorted) into shards by their size in the output dtype.
  std::vector<std::vector<std::string>> shards(1);
  std::uint64_t shard_bytes = 0, total = 0;
  for (const auto& [name, t] : tensors) {
    const auto dtype = options.dtype.value_or(t.scalar_type());
    const std::uint64_t n = static_cast<std::uint64_t>(t.numel()) * c10::elementSize(dtype);
    if (!shards.back().empty() && shard_bytes + n > options.max_shard_bytes) {
      shards.emplace_back();
      shard_bytes = 0;
    }
    shards.back().push_back(name);
    shard_bytes += n;
    total += n;
  }
  const std::map<std::string, std::string> metadata = {{"format", "pt"}};
  const auto count = shards.size();
  nlohmann::json weight_map = nlohmann::json::object();
  for (std::size_t k = 0; k < count; ++k) {
    const std::string file = count == 1 ? "model.safetensors"
                                        : fmt::format("model-{:05d}-of-{:05d}.safetensors", k + 1, count);
    StateDict shard;
    for (const auto& name : shards[k]) {
      const auto& t = tensors.at(name);
      shard.emplace(name, options.dtype ? t.to(*options.dtype) : t);
      weight_map[name] = file;
    }
    log::debug("writing {} ({} tensors)", (dir / file).string(), shard.size());
    save_safetensors(dir / file, shard, metadata);
  }
  if (count > 1) {
    nlohmann::json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
    write_file_atomic(dir / "model.safetensors.index.json", index.dump(2) + "\n");
  }
}

void write_vlm_folder(const fs::path& dir, const VlmConfig& config, const StateDict& tensors,
                      const VlmWriteOptions& options) {
  config.validate();
  const auto report = check_vlm_tensors(config, tensors);
  if (!report.unexpected.empty())
    fail("unexpected tensor '{}'{} for this model config", report.unexpected.front(),
         report.unexpected.size() > 1 ? fmt::format(" (and {} more)", report.unexpected.size() - 1) : "");
  if (options.tokenizer_json && !fs::is_regular_file(*options.tokenizer_json))
    fail("tokenizer '{}' does not exist", options.tokenizer_json->string());
  StateDict kept = tensors;
  for (const auto& name : report.ignored) kept.erase(name);

  AtomicDir out(dir, options.overwrite);
  write_file_atomic(out.temp() / "config.json", config.to_json().dump(2) + "\n");
  if (options.tokenizer_json)
    write_file_atomic(out.temp() / "tokenizer.json", read_file(*options.tokenizer_json));
  write_safetensors_folder(out.temp(), kept, options.safetensors);
  out.commit();
}

torch::ScalarType parse_dtype_name(const std::string& name) {
  if (name == "f32" || name == "float32") return torch::kFloat32;
  if (name == "bf16" || name == "bfloat16") return torch::kBFloat16;
  if (name == "f16" || name == "float16") return torch::kFloat16;
  fail("unknown dtype '{}' (f32, bf16, f16)", name);
}

std::string hf_dtype_name(torch::ScalarType dtype) {
  switch (dtype) {
    case torch::kFloat32: return "float32";
    case torch::kBFloat16: return "bfloat16";
    case torch::kFloat16: return "float16";
    case torch::kFloat64: return "float64";
    default: fail("dtype {} has no Hugging Face name", std::string(c10::toString(dtype)));
  }
}

}  // namespace oqvl::model
