#include "oqvl/model/io/assemble.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/json.h"
#include "oqvl/core/log.h"
#include "oqvl/model/init.h"
#include "oqvl/model/io/hf_weights.h"

namespace oqvl::model {

namespace fs = std::filesystem;

namespace {

// image_mean / image_std of an HF preprocessor_config.json, when it has them; the size is only
// compared (the tower's image_size decides).
void apply_preprocessor_config(const fs::path& file, VlmConfig& c, std::vector<std::string>& warnings) {
  const auto j = read_json_file(file, "preprocessor config");
  auto triple = [&](const char* key, std::array<float, 3>& out) {
    if (!j.contains(key)) return;
    const auto& v = j[key];
    if (!v.is_array() || v.size() != 3 || !v[0].is_number() || !v[1].is_number() || !v[2].is_number())
      fail("'{}': {} is not a list of 3 numbers", file.string(), key);
    for (int i = 0; i < 3; ++i)
      out[i] = json_number<float>(v[i], fmt::format("'{}': {}", file.string(), key));
  };
  triple("image_mean", c.image_mean);
  triple("image_std", c.image_std);
  if (j.contains("size") && j["size"].is_object() && j["size"].contains("height") &&
      j["size"]["height"].is_number_integer() &&
      j["size"]["height"].get<std::int64_t>() != c.vision.image_size)
    warnings.push_back(fmt::format("'{}': size.height {} differs from the tower's image_size {}; images are "
                                   "resized to {}",
                                   file.string(), j["size"]["height"].get<std::int64_t>(),
                                   c.vision.image_size, c.vision.image_size));
}

// A config.json naming another model_type is the wrong folder (e.g. --llm and --vision swapped);
// one without model_type is accepted.
void require_model_type(const nlohmann::json& j, const fs::path& file,
                        std::initializer_list<const char*> types, const char* flag, const char* what) {
  if (!j.is_object() || !j.contains("model_type") || !j["model_type"].is_string()) return;
  const auto type = j["model_type"].get<std::string>();
  for (const char* t : types)
    if (type == t) return;
  fail("{} '{}': model_type is '{}', not {} (are --llm and --vision swapped?)", flag, file.string(), type,
       what);
}

}  // namespace

Assembled assemble_vlm(const AssembleOptions& o) {
  Assembled result;
  auto& warnings = result.warnings;
  VlmConfig& c = result.checkpoint.config;
  StateDict& out = result.checkpoint.tensors;

  if (!fs::is_directory(o.llm))
    fail("--llm '{}' is not a folder (a Hugging Face Qwen2 model folder)", o.llm.string());
  const fs::path llm_config = o.llm / "config.json";
  if (!fs::is_regular_file(llm_config))
    fail("'{}' has no config.json (not a Hugging Face model folder)", o.llm.string());
  const auto llm_json = read_json_file(llm_config, "Qwen2 config");
  require_model_type(llm_json, llm_config, {"qwen2"}, "--llm", "a Qwen2 LLM");
  try {
    c.llm = Qwen2Config::from_json(llm_json);
  } catch (const Error& e) {
    fail("'{}': {}", llm_config.string(), e.what());
  }

  fs::path vision_config;
  if (o.vision_config) {
    vision_config = *o.vision_config;
  } else if (fs::is_directory(o.vision)) {
    vision_config = o.vision / "config.json";
  } else {
    fail("--vision '{}' is not a folder: pass the tower's config.json with --vision-config",
         o.vision.string());
  }
  if (!fs::is_regular_file(vision_config))
    fail("'{}' does not exist (the SigLIP config.json)", vision_config.string());
  require_model_type(read_json_file(vision_config, "SigLIP config"), vision_config,
                     {"siglip", "siglip_vision_model"}, "--vision", "a SigLIP tower");
  c.vision = SiglipVisionConfig::from_hf_json_file(vision_config);
  if (o.vision_gelu) c.vision.gelu = *o.vision_gelu;
  if (fs::is_directory(o.vision) && fs::is_regular_file(o.vision / "preprocessor_config.json"))
    apply_preprocessor_config(o.vision / "preprocessor_config.json", c, warnings);

  c.image_tokens = o.image_tokens;
  c.arch_specifier = o.image_tokens == 144 ? "no-align+avgpool"
                                           : fmt::format("no-align+{}-avgpool", o.image_tokens);
  if (o.bos_id) c.bos_id = *o.bos_id;
  if (o.pad_id) c.pad_id = *o.pad_id;
  if (o.eos_id) c.eos_id = *o.eos_id;
  try {
    c.validate();
  } catch (const Error& e) {
    fail("assembling '{}' + '{}': {}", o.llm.string(), o.vision.string(), e.what());
  }

  const std::string llm_dir = o.llm.string();
  log::info("reading {}", llm_dir);
  std::vector<std::string> other;
  for (auto& [name, t] : load_hf_folder_weights(o.llm)) {
    if (name.starts_with("model.") || name == "lm_head.weight") {
      out[kLanguageModelPrefix + name] = t;
    } else {
      other.push_back(name);
    }
  }
  if (!out.count(std::string(kLanguageModelPrefix) + "model.embed_tokens.weight"))
    fail("'{}' has no tensor 'model.embed_tokens.weight' (not a Qwen2ForCausalLM folder?)", llm_dir);
  if (!other.empty())
    warnings.push_back(fmt::format("'{}': ignoring {} tensors outside model.* and lm_head (first: '{}')",
                                   llm_dir, other.size(), other.front()));
  drop_tied_lm_head(out, c, llm_dir, warnings);

  log::info("reading vision weights {}", o.vision.string());
  for (auto& [name, t] : load_siglip_vision(o.vision, o.vision_format, c.vision))
    out[kVisionPrefix + name] = t;
  for (auto& [name, t] : init_projector_tensors(c, o.seed)) out[name] = t;

  try {
    const auto report = check_vlm_tensors(c, out);
    if (!report.unexpected.empty()) fail("unexpected tensor '{}'", report.unexpected.front());
    log::info("assembled: vision {} + projector {} + llm {} parameters", report.vision_params,
              report.projector_params, report.llm_params);
  } catch (const Error& e) {
    fail("assembling '{}' + '{}': {}", llm_dir, o.vision.string(), e.what());
  }
  if (fs::is_regular_file(o.llm / "tokenizer.json")) result.tokenizer_json = o.llm / "tokenizer.json";
  return result;
}

void assemble_vlm_folder(const AssembleOptions& options, const fs::path& out, VlmWriteOptions write) {
  AtomicDir::check_target(out, write.overwrite);
  auto assembled = assemble_vlm(options);
  for (const auto& w : assembled.warnings) log::warn("{}", w);
  if (!write.tokenizer_json) write.tokenizer_json = assembled.tokenizer_json;
  log::info("writing {}", out.string());
  write_vlm_folder(out, assembled.checkpoint.config, assembled.checkpoint.tensors, write);
}

}  // namespace oqvl::model
