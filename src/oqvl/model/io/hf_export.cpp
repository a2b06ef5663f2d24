#include "oqvl/model/io/hf_export.h"

#include <nlohmann/json.hpp>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/log.h"
#include "oqvl/model/io/vlm_folder.h"

namespace oqvl::model {

namespace fs = std::filesystem;

HfPart parse_hf_part(const std::string& name) {
  if (name == "llm") return HfPart::kLlm;
  if (name == "vision") return HfPart::kVision;
  fail("unknown part '{}' (llm, vision)", name);
}

void export_hf(const fs::path& model_dir, const fs::path& out_dir, HfPart part, bool overwrite) {
  AtomicDir::check_target(out_dir, overwrite);
  log::info("reading {}", model_dir.string());
  auto ckpt = read_vlm_folder(model_dir);
  const auto& c = ckpt.config;
  try {
    check_vlm_tensors(c, ckpt.tensors);
  } catch (const Error& e) {
    fail("'{}': {}", model_dir.string(), e.what());
  }

  const std::string from = part == HfPart::kLlm ? kLanguageModelPrefix : kVisionPrefix;
  const std::string to = part == HfPart::kLlm ? "" : "vision_model.";
  StateDict tensors;
  for (auto& [name, t] : ckpt.tensors) {
    if (name.rfind(from, 0) != 0) continue;
    const std::string rest = name.substr(from.size());
    if (part == HfPart::kLlm && c.llm.tie_word_embeddings && rest == "lm_head.weight") continue;
    tensors[to + rest] = t;
  }
  if (tensors.empty()) fail("'{}' has no {} tensors", model_dir.string(), from);
  const auto dtype = tensors.begin()->second.scalar_type();

  nlohmann::json config;
  if (part == HfPart::kLlm) {
    config = qwen2_to_hf_json(c.llm);
    config["eos_token_id"] = c.eos_id;
    config["pad_token_id"] = c.pad_id;
  } else {
    auto vision = c.vision;
    vision.num_layers = vision.blocks_to_run();  // only these blocks are stored
    config = siglip_vision_to_hf_json(vision);
    config["architectures"] = {"SiglipVisionModel"};
    config["vision_use_head"] = false;
    log::warn("the exported vision tower is truncated to its first {} blocks (the feature layer) and has no "
              "post_layernorm: use output_hidden_states=True and hidden_states[-1]",
              vision.num_layers);
  }
  config["torch_dtype"] = hf_dtype_name(dtype);

  AtomicDir out(out_dir, overwrite);
  write_file_atomic(out.temp() / "config.json", config.dump(2) + "\n");
  if (part == HfPart::kLlm && fs::exists(model_dir / "tokenizer.json"))
    write_file_atomic(out.temp() / "tokenizer.json", read_file(model_dir / "tokenizer.json"));
  write_safetensors_folder(out.temp(), tensors);
  out.commit();
}

}  // namespace oqvl::model
