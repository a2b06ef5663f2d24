#include "oqvl/model/io/prismatic_import.h"

#include <fmt/format.h>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <nlohmann/json.hpp>

#include "oqvl/core/error.h"
#include "oqvl/core/json.h"
#include "oqvl/core/strings.h"
#include "oqvl/core/files.h"
#include "oqvl/core/log.h"
#include "oqvl/model/projector.h"
#include "oqvl/model/siglip.h"
#include "oqvl/model/io/state_dict.h"
#include "oqvl/model/io/torch_save.h"

namespace oqvl::model {

namespace fs = std::filesystem;

namespace {

// Tensors of a weight file fetched by name on demand, so a full SigLIP model (text tower too)
// costs only the vision tensors that are used.
struct TensorSource {
  std::string path;
  std::vector<std::string> names;
  std::function<torch::Tensor(const std::string&)> get;
};

TensorSource open_tensor_source(const fs::path& path) {
  TensorSource src;
  src.path = path.string();
  fs::path file = path;
  if (fs::is_directory(path)) {
    bool found = false;
    for (const char* name :
         {"model.safetensors", "open_clip_model.safetensors", "model.safetensors.index.json"}) {
      if (fs::exists(path / name)) {
        file = path / name;
        found = true;
        break;
      }
    }
    if (!found)
      fail("vision folder '{}' holds no model.safetensors, open_clip_model.safetensors or "
           "model.safetensors.index.json",
           path.string());
  } else if (!fs::exists(path)) {
    fail("vision weights '{}' do not exist", path.string());
  }
  const std::string ext = file.extension().string();
  if (ext == ".safetensors") {
    auto f = std::make_shared<SafetensorsFile>(file);
    for (const auto& e : f->entries()) src.names.push_back(e.name);
    src.get = [f](const std::string& name) { return f->tensor(name); };
  } else {
    auto all = std::make_shared<StateDict>(ext == ".json" ? load_safetensors(file)
                                                          : load_torch_save(file).tensors);
    for (const auto& [name, t] : *all) src.names.push_back(name);
    src.get = [all](const std::string& name) { return all->at(name); };
  }
  src.path = file.string();
  return src;
}

// The prefix before `suffix` of the one name ending in it ("" if none; error if several).
std::optional<std::string> prefix_of(const std::vector<std::string>& names, const std::string& suffix,
                                     const std::string& source) {
  std::optional<std::string> found;
  for (const auto& name : names) {
    if (!name.ends_with(suffix)) continue;
    std::string prefix = name.substr(0, name.size() - suffix.size());
    if (!prefix.empty() && prefix.back() != '.') continue;
    if (found) fail("'{}' holds more than one vision tower ('{}' and '{}')", source, *found, prefix);
    found = prefix;
  }
  return found;
}

// The tower's tensors in HF names (no prefix), blocks up to the feature layer only.
StateDict vision_from_source(const TensorSource& src, VisionFormat format, const SiglipVisionConfig& config) {
  auto hf = prefix_of(src.names, "embeddings.patch_embedding.weight", src.path);
  auto timm = prefix_of(src.names, "patch_embed.proj.weight", src.path);
  if (format == VisionFormat::kAuto) {
    if (hf) format = VisionFormat::kHf;
    else if (timm) format = VisionFormat::kTimm;
    else
      fail("'{}' holds no SigLIP vision tower (no '*embeddings.patch_embedding.weight' (HF) or "
           "'*patch_embed.proj.weight' (timm))",
           src.path);
  }
  const std::set<std::string> have(src.names.begin(), src.names.end());
  auto fetch = [&](const std::string& name) {
    if (!have.count(name))
      fail("vision weights '{}' have no tensor '{}' (does --vision-config match them?)", src.path, name);
    return src.get(name);
  };
  StateDict out;
  const auto blocks = config.blocks_to_run();
  if (format == VisionFormat::kHf) {
    if (!hf) fail("'{}' holds no HF SigLIP vision tower ('*embeddings.patch_embedding.weight')", src.path);
    VlmConfig probe;
    probe.vision = config;
    const std::string vp = kVisionPrefix;
    for (const auto& spec : expected_vlm_tensors(probe)) {
      if (!spec.name.starts_with(vp)) continue;
      const std::string name = spec.name.substr(vp.size());
      out[name] = fetch(*hf + name);
    }
    return out;
  }
  if (!timm) fail("'{}' holds no timm SigLIP vision tower ('*patch_embed.proj.weight')", src.path);
  StateDict needed;
  const std::string& p = *timm;
  for (const char* n : {"patch_embed.proj.weight", "patch_embed.proj.bias", "pos_embed"})
    needed[p + n] = fetch(p + n);
  for (std::int64_t i = 0; i < blocks; ++i) {
    for (const char* n : {"norm1", "norm2", "attn.qkv", "attn.proj", "mlp.fc1", "mlp.fc2"}) {
      for (const char* s : {"weight", "bias"}) {
        const std::string name = fmt::format("{}blocks.{}.{}.{}", p, i, n, s);
        needed[name] = fetch(name);
      }
    }
  }
  try {
    return siglip_state_from_timm(needed, p, blocks);
  } catch (const Error& e) {
    fail("vision weights '{}': {}", src.path, e.what());
  }
}

// Settings from a Prismatic run config.json (a draccus dump; the model section is "model").
void apply_run_config(const fs::path& path, const PrismaticImportOptions& o, VlmConfig& c,
                      std::vector<std::string>& warnings) {
  const auto j = read_json_file(path, "run config");
  if (!j.contains("model") || !j["model"].is_object())
    fail("run config '{}' has no \"model\" object (not a Prismatic run config.json)", path.string());
  const auto& m = j["model"];
  auto str = [&](const char* key) {
    if (!m.contains(key)) return std::string();
    if (!m[key].is_string()) fail("run config '{}': model.{} is not a string", path.string(), key);
    return m[key].get<std::string>();
  };
  if (auto arch = str("arch_specifier"); !arch.empty()) {
    c.arch_specifier = arch;
    try {
      c.image_tokens = avgpool_tokens_from_arch_specifier(arch);
    } catch (const Error& e) {
      fail("run config '{}': {}", path.string(), e.what());
    }
  }
  if (auto id = str("vision_backbone_id"); !id.empty() && !o.vision_config && id != "siglip-vit-so400m-384px")
    warnings.push_back(fmt::format("run config's vision_backbone_id is '{}', but no --vision-config was "
                                   "given: assuming SigLIP so400m-384",
                                   id));
  if (auto id = str("llm_backbone_id"); !id.empty() && !o.llm_config && !id.starts_with("qwen2.5-1.5b"))
    warnings.push_back(fmt::format("run config's llm_backbone_id is '{}', but no --llm-config was given: "
                                   "assuming Qwen2.5-1.5B",
                                   id));
  if (m.contains("llm_max_length") && m["llm_max_length"].is_number_integer())
    log::info("run config: arch_specifier '{}' ({} image tokens), llm_max_length {}", c.arch_specifier,
              c.image_tokens, m["llm_max_length"].get<std::int64_t>());
}

}  // namespace

VisionFormat parse_vision_format(const std::string& name) {
  if (name == "auto") return VisionFormat::kAuto;
  if (name == "hf") return VisionFormat::kHf;
  if (name == "timm") return VisionFormat::kTimm;
  fail("unknown vision format '{}' (auto, hf, timm)", name);
}

StateDict load_siglip_vision(const fs::path& path, VisionFormat format, const SiglipVisionConfig& config) {
  return vision_from_source(open_tensor_source(path), format, config);
}

StateDict siglip_vision_from_state(const StateDict& tensors, const std::string& source, VisionFormat format,
                                   const SiglipVisionConfig& config) {
  TensorSource src{source, {}, [&tensors](const std::string& n) { return tensors.at(n); }};
  for (const auto& [name, t] : tensors) src.names.push_back(name);
  return vision_from_source(src, format, config);
}

PrismaticImport load_prismatic(const PrismaticImportOptions& o) {
  PrismaticImport result;
  auto& warnings = result.warnings;
  VlmConfig& c = result.checkpoint.config;
  StateDict& out = result.checkpoint.tensors;

  if (o.llm_config) c.llm = Qwen2Config::from_json_file(o.llm_config->string());
  if (o.vision_config) c.vision = SiglipVisionConfig::from_hf_json_file(*o.vision_config);
  c.image_tokens = avgpool_tokens_from_arch_specifier(c.arch_specifier);
  if (o.run_config) apply_run_config(*o.run_config, o, c, warnings);
  if (o.bos_id) c.bos_id = *o.bos_id;
  if (o.pad_id) c.pad_id = *o.pad_id;
  if (o.eos_id) c.eos_id = *o.eos_id;
  c.validate();

  const std::string file = o.checkpoint.string();
  log::info("reading {}", file);
  auto pt = load_torch_save(o.checkpoint);
  {
    std::uint64_t bytes = 0;
    for (const auto& [name, t] : pt.tensors) bytes += t.numel() * t.element_size();
    log::info("{}: {} tensors, {:.2f} GB (memory-mapped)", file, pt.tensors.size(), bytes / 1e9);
  }
  bool nested = false;
  for (const auto& [name, t] : pt.tensors) nested = nested || name.starts_with("model.");
  const std::string root = nested ? "model." : "";
  const std::string proj = root + "projector.", llm = root + "llm_backbone.", vis = root + "vision_backbone.";
  StateDict vision_pt;
  std::vector<std::string> other;
  std::int64_t projector_count = 0, llm_count = 0;
  for (const auto& [name, t] : pt.tensors) {
    if (name.starts_with(proj)) {
      out[kProjectorPrefix + name.substr(proj.size())] = t;
      ++projector_count;
    } else if (name.starts_with(llm)) {
      const std::string rest = name.substr(llm.size());
      if (!rest.starts_with("llm."))
        fail("'{}': LLM tensor '{}' does not start with 'llm.' (not a Prismatic checkpoint?)", file, name);
      out[kLanguageModelPrefix + rest.substr(4)] = t;
      ++llm_count;
    } else if (name.starts_with(vis)) {
      vision_pt[name.substr(vis.size())] = t;
    } else {
      other.push_back(name);
    }
  }
  if (projector_count == 0)
    fail("'{}' has no projector weights (expected {}mlp_projector.*; not a Prismatic checkpoint?)", file,
         proj);
  if (llm_count == 0) fail("'{}' has no LLM weights (expected {}llm.*)", file, llm);
  if (!other.empty())
    warnings.push_back(fmt::format("ignoring {} tensors outside {{projector, llm_backbone, vision_backbone}} "
                                   "(first: '{}')",
                                   other.size(), other.front()));

  // The tied head is a copy of the embedding in these files; the folder stores it once.
  drop_tied_lm_head(out, c, file, warnings);

  StateDict vision;
  if (o.vision) {
    if (!vision_pt.empty())
      warnings.push_back("the checkpoint has a vision_backbone, but --vision was given: using --vision");
    log::info("reading vision weights {}", o.vision->string());
    vision = vision_from_source(open_tensor_source(*o.vision), o.vision_format, c.vision);
  } else if (!vision_pt.empty()) {
    TensorSource src{
        file + " (vision_backbone)", {}, [&vision_pt](const std::string& n) { return vision_pt.at(n); }};
    for (const auto& [name, t] : vision_pt) src.names.push_back(name);
    vision = vision_from_source(src, o.vision_format, c.vision);
  } else {
    fail("'{}' holds no vision_backbone (as the released Open-Qwen2VL checkpoints): pass the SigLIP weights "
         "with --vision",
         file);
  }
  for (auto& [name, t] : vision) out[kVisionPrefix + name] = t;

  try {
    const auto report = check_vlm_tensors(c, out);
    if (!report.unexpected.empty())
      fail("unexpected tensor '{}' for the model config (wrong --llm-config?)", report.unexpected.front());
  } catch (const Error& e) {
    fail("importing '{}': {}", file, e.what());
  }
  return result;
}

void import_prismatic(const PrismaticImportOptions& options, const fs::path& out,
                      const VlmWriteOptions& write) {
  AtomicDir::check_target(out, write.overwrite);  // refuse a non-empty output before any work
  auto imported = load_prismatic(options);
  for (const auto& w : imported.warnings) log::warn("{}", w);
  log::info("writing {}", out.string());
  write_vlm_folder(out, imported.checkpoint.config, imported.checkpoint.tensors, write);
}

void drop_tied_lm_head(StateDict& tensors, const VlmConfig& config, const std::string& source,
                       std::vector<std::string>& warnings) {
  const std::string head = std::string(kLanguageModelPrefix) + "lm_head.weight";
  const std::string embed = std::string(kLanguageModelPrefix) + "model.embed_tokens.weight";
  auto h = tensors.find(head);
  if (!config.llm.tie_word_embeddings || h == tensors.end()) return;
  log::info("comparing the stored lm_head.weight with the tied embedding");
  auto e = tensors.find(embed);
  if (e == tensors.end() || h->second.sizes() != e->second.sizes() || !torch::equal(h->second, e->second))
    warnings.push_back(fmt::format("'{}': lm_head.weight differs from the embedding although the config ties "
                                   "them; the embedding is kept and lm_head dropped",
                                   source));
  tensors.erase(h);
}

}  // namespace oqvl::model
