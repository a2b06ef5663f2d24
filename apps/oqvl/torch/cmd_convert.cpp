// `oqvl convert`: Prismatic / Open-Qwen2VL checkpoints and LLaVA-style HF folders -> oqvl model folder, HF Qwen2 + SigLIP
// folders -> a new model folder (assemble), oqvl folder -> Hugging Face folders, and a folder check (docs/checkpoints.md).
#include <fmt/format.h>

#include <map>
#include <memory>
#include <optional>

#include "oqvl/torch/model_commands.h"
#include "oqvl/core/error.h"
#include "oqvl/core/log.h"
#include "oqvl/data/text/special_tokens.h"
#include "oqvl/model/io/assemble.h"
#include "oqvl/model/io/hf_export.h"
#include "oqvl/model/io/llava_import.h"
#include "oqvl/model/io/prismatic_import.h"
#include "oqvl/model/io/vlm_folder.h"
#include "oqvl/train/checkpoint.h"

namespace oqvl::cli {
namespace {

namespace m = oqvl::model;

std::optional<std::filesystem::path> opt_path(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return std::filesystem::path(s);
}

// The flags every importer shares: the output folder and how it is written, and the special
// token ids (tiny test models need other ones than the Qwen2 tokenizer's).
struct FolderFlags {
  std::string dtype = "bf16", tokenizer, out;
  bool overwrite = false;
  std::int64_t bos = -1, pad = -1, eos = -1;

  void add(CLI::App* cmd, const char* tokenizer_help) {
    cmd->add_option("--dtype", dtype, "Weight dtype in the folder")
        ->check(CLI::IsMember({"bf16", "f32"}))
        ->capture_default_str();
    cmd->add_option("--tokenizer", tokenizer, tokenizer_help);
    cmd->add_option("--bos-id", bos, fmt::format("Override the BOS token id (default {})", data::kBosId));
    cmd->add_option("--pad-id", pad, fmt::format("Override the pad token id (default {})", data::kPadId));
    cmd->add_option("--eos-id", eos, fmt::format("Override the EOS token id (default {})", data::kImEndId));
    cmd->add_option("--out", out, "Output model folder")->required();
    cmd->add_flag("--overwrite", overwrite, "Replace an existing non-empty output folder");
  }
  template <typename Options>
  void apply_ids(Options& o) const {
    if (bos >= 0) o.bos_id = bos;
    if (pad >= 0) o.pad_id = pad;
    if (eos >= 0) o.eos_id = eos;
  }
  m::VlmWriteOptions write() const {
    m::VlmWriteOptions w;
    w.tokenizer_json = opt_path(tokenizer);
    w.safetensors.dtype = m::parse_dtype_name(dtype);
    w.overwrite = overwrite;
    return w;
  }
};

void register_prismatic(CLI::App& convert) {
  struct Args {
    std::string checkpoint, run_config, vision, vision_format = "auto", llm_config, vision_config;
    FolderFlags folder;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = convert.add_subcommand("prismatic", "Import a Prismatic / Open-Qwen2VL .pt checkpoint into an oqvl "
                                                  "model folder");
  cmd->add_option("--checkpoint", a->checkpoint, "The torch.save file (e.g. checkpoints/latest-checkpoint.pt)")
      ->required();
  cmd->add_option("--run-config", a->run_config, "The run's config.json (arch_specifier -> image tokens)");
  cmd->add_option("--vision", a->vision,
                  "SigLIP weights when the .pt has none: HF folder/.safetensors or timm/open_clip file");
  cmd->add_option("--vision-format", a->vision_format, "Names in --vision")
      ->check(CLI::IsMember({"auto", "hf", "timm"}))
      ->capture_default_str();
  cmd->add_option("--llm-config", a->llm_config, "HF Qwen2 config.json (default: Qwen2.5-1.5B)");
  cmd->add_option("--vision-config", a->vision_config,
                  "HF SigLIP vision config.json (default: so400m-384 with exact GELU, as trained)");
  a->folder.add(cmd, "tokenizer.json to copy into the folder");
  cmd->callback([a] {
    m::PrismaticImportOptions o;
    o.checkpoint = a->checkpoint;
    o.run_config = opt_path(a->run_config);
    o.vision = opt_path(a->vision);
    o.vision_format = m::parse_vision_format(a->vision_format);
    o.llm_config = opt_path(a->llm_config);
    o.vision_config = opt_path(a->vision_config);
    a->folder.apply_ids(o);
    m::import_prismatic(o, a->folder.out, a->folder.write());
    fmt::print("wrote {}\n", a->folder.out);
  });
}

void register_llava(CLI::App& convert) {
  struct Args {
    std::string checkpoint, vision, vision_format = "auto", vision_config;
    FolderFlags folder;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = convert.add_subcommand("llava", "Import a LLaVA-style Hugging Face folder (e.g. the MLM-Filter "
                                              "scorer) into an oqvl model folder");
  cmd->add_option("--checkpoint", a->checkpoint, "The HF folder (config.json with mm_* keys + weights)")->required();
  cmd->add_option("--vision", a->vision,
                  "SigLIP weights when the folder has no model.vision_tower.*: HF folder/.safetensors or timm file");
  cmd->add_option("--vision-format", a->vision_format, "Names in --vision")
      ->check(CLI::IsMember({"auto", "hf", "timm"}))
      ->capture_default_str();
  cmd->add_option("--vision-config", a->vision_config,
                  "HF SigLIP vision config.json (default: so400m-384 with HF's tanh GELU)");
  a->folder.add(cmd, "tokenizer.json to copy into the folder");
  cmd->callback([a] {
    m::LlavaImportOptions o;
    o.folder = a->checkpoint;
    o.vision = opt_path(a->vision);
    o.vision_format = m::parse_vision_format(a->vision_format);
    o.vision_config = opt_path(a->vision_config);
    a->folder.apply_ids(o);
    m::import_llava(o, a->folder.out, a->folder.write());
    fmt::print("wrote {}\n", a->folder.out);
  });
}

void register_assemble(CLI::App& convert) {
  struct Args {
    std::string llm, vision, vision_config, vision_format = "auto", vision_gelu = "erf";
    std::int64_t image_tokens = 144;
    std::uint64_t seed = 7;
    FolderFlags folder;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = convert.add_subcommand(
      "assemble", "Make the pre-training start: a Hugging Face Qwen2 LLM + a SigLIP tower + a "
                  "fresh seeded projector");
  cmd->add_option("--llm", a->llm, "HF Qwen2 folder (e.g. Qwen2.5-1.5B-Instruct: config.json + weights)")
      ->required();
  cmd->add_option("--vision", a->vision,
                  "HF SigLIP folder (e.g. siglip-so400m-patch14-384), or a weight file")
      ->required();
  cmd->add_option("--vision-config", a->vision_config,
                  "The tower's config.json (default: --vision/config.json)");
  cmd->add_option("--vision-format", a->vision_format, "Names in --vision")
      ->check(CLI::IsMember({"auto", "hf", "timm"}))
      ->capture_default_str();
  cmd->add_option("--vision-gelu", a->vision_gelu,
                  "The tower's GELU: erf (Open-Qwen2VL's timm tower), tanh, or config (its hidden_act)")
      ->check(CLI::IsMember({"erf", "tanh", "config"}))
      ->capture_default_str();
  cmd->add_option("--image-tokens", a->image_tokens,
                  "Visual tokens per image (a square <= the tower's patches)")
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "Seed of the projector's initialisation")->capture_default_str();
  a->folder.add(cmd, "tokenizer.json to copy (default: the --llm folder's, if any)");
  cmd->callback([a] {
    m::AssembleOptions o;
    o.llm = a->llm;
    o.vision = a->vision;
    o.vision_config = opt_path(a->vision_config);
    o.vision_format = m::parse_vision_format(a->vision_format);
    if (a->vision_gelu == "erf") o.vision_gelu = m::GeluKind::kErf;
    if (a->vision_gelu == "tanh") o.vision_gelu = m::GeluKind::kTanh;
    o.image_tokens = a->image_tokens;
    o.seed = a->seed;
    a->folder.apply_ids(o);
    m::assemble_vlm_folder(o, a->folder.out, a->folder.write());
    fmt::print("wrote {}\n", a->folder.out);
  });
}

void register_export_hf(CLI::App& convert) {
  struct Args {
    std::string model, part, out;
    bool overwrite = false;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = convert.add_subcommand("export-hf", "Write one tower of an oqvl model folder as a Hugging Face folder");
  cmd->add_option("--model", a->model, "oqvl model folder")->required();
  cmd->add_option("--part", a->part, "llm (Qwen2ForCausalLM) or vision (SiglipVisionModel, truncated)")
      ->check(CLI::IsMember({"llm", "vision"}))
      ->required();
  cmd->add_option("--out", a->out, "Output folder")->required();
  cmd->add_flag("--overwrite", a->overwrite, "Replace an existing non-empty output folder");
  cmd->callback([a] {
    m::export_hf(a->model, a->out, m::parse_hf_part(a->part), a->overwrite);
    fmt::print("wrote {}\n", a->out);
  });
}

void register_consolidate(CLI::App& convert) {
  struct Args {
    std::string checkpoint, out, dtype = "f32", tokenizer;
    bool overwrite = false;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = convert.add_subcommand(
      "consolidate", "Make a model folder of a training checkpoint of any layout (sharded full_shard/hybrid "
                     "chunks included)");
  cmd->add_option("--checkpoint", a->checkpoint, "RUN/checkpoints/step-N, or a run folder (its newest)")
      ->required();
  cmd->add_option("--out", a->out, "Output model folder")->required();
  cmd->add_option("--dtype", a->dtype, "Weight dtype in the folder")
      ->check(CLI::IsMember({"bf16", "f32"}))
      ->capture_default_str();
  cmd->add_option("--tokenizer", a->tokenizer, "tokenizer.json to copy into the folder");
  cmd->add_flag("--overwrite", a->overwrite, "Replace an existing non-empty output folder");
  cmd->callback([a] {
    m::VlmWriteOptions w;
    w.tokenizer_json = opt_path(a->tokenizer);
    w.safetensors.dtype = m::parse_dtype_name(a->dtype);
    w.overwrite = a->overwrite;
    const auto used = train::consolidate_checkpoint(a->checkpoint, a->out, w);
    fmt::print("wrote {} (from {})\n", a->out, used.string());
  });
}

void register_check(CLI::App& convert) {
  auto model = std::make_shared<std::string>();
  auto* cmd = convert.add_subcommand("check", "Validate an oqvl model folder and count its parameters");
  cmd->add_option("--model", *model, "oqvl model folder")->required();
  cmd->callback([model] {
    auto ckpt = m::read_vlm_folder(*model);
    m::TensorCheckReport r;
    try {
      r = m::check_vlm_tensors(ckpt.config, ckpt.tensors);
    } catch (const Error& e) {
      fail("'{}': {}", *model, e.what());
    }
    std::map<std::string, std::int64_t> dtypes;
    for (const auto& [name, t] : ckpt.tensors) dtypes[std::string(c10::toString(t.scalar_type()))] += t.numel();
    const auto& c = ckpt.config;
    fmt::print("model: {}\n", *model);
    fmt::print("vision:    {:>14} parameters  ({} of {} blocks, {}x{} px, patch {})\n", r.vision_params,
               c.vision.blocks_to_run(), c.vision.num_layers, c.vision.image_size, c.vision.image_size,
               c.vision.patch_size);
    fmt::print("projector: {:>14} parameters  ({} image tokens, {})\n", r.projector_params, c.image_tokens,
               c.arch_specifier);
    fmt::print("llm:       {:>14} parameters  ({} layers, hidden {}, vocab {}{})\n", r.llm_params,
               c.llm.num_hidden_layers, c.llm.hidden_size, c.llm.vocab_size,
               c.llm.tie_word_embeddings ? ", tied head" : "");
    fmt::print("total:     {:>14} parameters\n", r.vision_params + r.projector_params + r.llm_params);
    for (const auto& [dtype, n] : dtypes) fmt::print("dtype {}: {} parameters\n", dtype, n);
    for (const auto& name : r.ignored) fmt::print("ignored: {}\n", name);
    for (const auto& name : r.unexpected) fmt::print("unexpected: {}\n", name);
    if (!r.unexpected.empty()) fail("'{}' holds {} unexpected tensors", *model, r.unexpected.size());
    fmt::print("ok\n");
  });
}

}  // namespace

void register_convert(CLI::App& app) {
  auto* convert = app.add_subcommand(
      "convert", "Model checkpoints: import Prismatic .pt or LLaVA folders, assemble HF towers, "
                 "consolidate training checkpoints, export to Hugging Face, check a model folder");
  convert->require_subcommand(1);
  register_prismatic(*convert);
  register_llava(*convert);
  register_assemble(*convert);
  register_consolidate(*convert);
  register_export_hf(*convert);
  register_check(*convert);
}

}  // namespace oqvl::cli
