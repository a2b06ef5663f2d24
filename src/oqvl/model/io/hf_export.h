// Exporting one tower of an oqvl model folder as a Hugging Face transformers folder.
//
//   llm     Qwen2ForCausalLM: config.json (qwen2_to_hf_json + torch_dtype, eos_token_id),
//           model.safetensors (the language_model.* tensors without the prefix; a tied lm_head is
//           not stored, as save_pretrained does), tokenizer.json when the model folder has one.
//   vision  SiglipVisionModel: config.json (siglip_vision_to_hf_json, vision_use_head false) and
//           "vision_model.*" tensors. The oqvl folder keeps only the blocks up to the feature layer
//           and no post_layernorm, so the exported tower is TRUNCATED: num_hidden_layers is set to
//           the number of blocks kept, and the Open-Qwen2VL feature is HF's
//           output_hidden_states=True -> hidden_states[-1] (last_hidden_state passes through a
//           post_layernorm that transformers initializes fresh, since none is stored).
#pragma once

#include <filesystem>
#include <string>

namespace oqvl::model {

enum class HfPart { kLlm, kVision };
HfPart parse_hf_part(const std::string& name);  // "llm" | "vision"

// Reads `model_dir` (read_vlm_folder + check_vlm_tensors) and writes `out_dir` atomically
// (AtomicDir; an existing non-empty folder is refused unless `overwrite`). Tensors keep the
// folder's dtype.
void export_hf(const std::filesystem::path& model_dir, const std::filesystem::path& out_dir, HfPart part,
               bool overwrite = false);

}  // namespace oqvl::model
