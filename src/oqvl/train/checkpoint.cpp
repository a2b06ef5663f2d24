#include "oqvl/train/checkpoint.h"

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <regex>
#include <set>
#include <unistd.h>
#include <vector>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/json.h"
#include "oqvl/model/io/safetensors.h"
#include "oqvl/model/io/state_dict.h"
#include "oqvl/model/io/vlm_folder.h"

namespace oqvl::train {

namespace fs = std::filesystem;

namespace {

constexpr const char* kStateFile = "trainer_state.json";

// Step of a complete checkpoint folder name ("step-00000100"), or -1.
std::int64_t step_of(const fs::path& dir) {
  static const std::regex pattern(R"(step-(\d{8,}))");
  std::smatch m;
  const auto name = dir.filename().string();
  if (!std::regex_match(name, m, pattern)) return -1;
  return std::stoll(m[1].str());
}

std::vector<std::pair<std::int64_t, fs::path>> checkpoints(const fs::path& run) {
  std::vector<std::pair<std::int64_t, fs::path>> out;
  const auto root = run / "checkpoints";
  if (!fs::is_directory(root)) return out;
  for (const auto& e : fs::directory_iterator(root)) {
    const auto step = step_of(e.path());
    if (step >= 0 && fs::is_regular_file(e.path() / kStateFile)) out.emplace_back(step, e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

nlohmann::json TrainerState::to_json() const {
  return {{"format", "oqvl-trainer-state"},
          {"version", 1},
          {"step", step},
          {"total_steps", total_steps},
          {"data", data.to_json()},
          {"samples", samples},
          {"rows", rows},
          {"tokens", tokens},
          {"images", images},
          {"elapsed_s", elapsed_s}};
}

TrainerState TrainerState::from_json(const nlohmann::json& j) {
  TrainerState s;
  try {
    if (j.at("format") != "oqvl-trainer-state") fail("not an oqvl trainer state");
    s.step = j.at("step").get<std::int64_t>();
    s.total_steps = j.at("total_steps").get<std::int64_t>();
    s.data = DataPosition::from_json(j.at("data"));
    s.samples = j.at("samples").get<std::int64_t>();
    s.rows = j.at("rows").get<std::int64_t>();
    s.tokens = j.at("tokens").get<std::int64_t>();
    s.images = j.at("images").get<std::int64_t>();
    s.elapsed_s = j.at("elapsed_s").get<double>();
  } catch (const nlohmann::json::exception& e) {
    fail("trainer state: {}", e.what());
  }
  return s;
}

fs::path checkpoint_dir(const fs::path& run, std::int64_t step) {
  return run / "checkpoints" / fmt::format("step-{:08d}", step);
}

namespace {

// Temporaries of saves that were killed (AtomicDir names them DIR.tmp-XXXXXX / DIR.old-XXXXXX,
// sharded saves step-N.tmp-shards).
void remove_stale_temporaries(const fs::path& run) {
  const auto root = run / "checkpoints";
  fs::create_directories(root);
  for (const auto& e : fs::directory_iterator(root)) {
    const auto name = e.path().filename().string();
    if (name.find(".tmp-") != std::string::npos || name.find(".old-") != std::string::npos)
      remove_tree(e.path());
  }
}

// checkpoints/last -> the newest step folder (what configs and `oqvl eval` can name), replaced
// atomically by renaming a fresh link over it; then the oldest beyond `keep` go.
void publish_checkpoint(const fs::path& run, const fs::path& dir, std::int64_t keep) {
  const auto root = run / "checkpoints";
  const auto link_tmp = root / fmt::format(".last.tmp-{}", ::getpid());
  std::error_code ec;
  fs::remove(link_tmp, ec);
  fs::create_directory_symlink(dir.filename(), link_tmp);
  fs::rename(link_tmp, root / "last");
  auto all = checkpoints(run);
  for (std::size_t i = 0; i + keep < all.size(); ++i) remove_tree(all[i].second);
}

}  // namespace

fs::path save_checkpoint(const fs::path& run, model::OpenQwen2VLImpl& model, const AdamW& optimizer,
                         const TrainerState& state, const std::string& config_toml, std::int64_t keep) {
  remove_stale_temporaries(run);
  const auto dir = checkpoint_dir(run, state.step);
  AtomicDir out(dir, /*overwrite=*/true);
  model::StateDict weights;
  for (const auto& [name, t] : model.state_dict()) weights[name] = t.detach().to(torch::kCPU);
  model::VlmWriteOptions options;
  options.overwrite = true;
  model::write_vlm_folder(out.temp(), model.config(), weights, options);
  model::StateDict opt;
  for (const auto& [name, t] : optimizer.state_dict()) opt[name] = t.detach().to(torch::kCPU);
  model::save_safetensors(out.temp() / "optimizer.safetensors", opt, {{"format", "oqvl-adamw"}});
  model::save_safetensors(out.temp() / "rng.safetensors",
                          {{"torch_cpu", at::detail::getDefaultCPUGenerator().get_state()}});
  write_file_atomic(out.temp() / "config.toml", config_toml);
  // Fault injection for the resume test (tests/cli/train_resume.sh): die as SIGKILL would, with
  // the checkpoint half written.
  if (const char* kill_at = std::getenv("OQVL_FAULT_KILL_IN_SAVE");
      kill_at && std::to_string(state.step) == kill_at)
    std::raise(SIGKILL);
  write_file_atomic(out.temp() / kStateFile, state.to_json().dump(2) + "\n");  // last: marks it complete
  out.commit();
  publish_checkpoint(run, dir, keep);
  return dir;
}

std::optional<fs::path> latest_checkpoint(const fs::path& run) {
  auto all = checkpoints(run);
  if (all.empty()) return std::nullopt;
  return all.back().second;
}

// ---- reading any layout -------------------------------------------------------------------------

namespace {

constexpr const char* kShardIndex = "shards.json";

}  // namespace

CheckpointTensors::CheckpointTensors(const fs::path& dir) : dir_(dir) {
  try {
    if (fs::is_regular_file(dir / kShardIndex)) {
      sharded_ = true;
      const auto index = read_json_file(dir / kShardIndex, "shard index");
      if (index.value("format", "") != "oqvl-sharded-checkpoint")
        fail("{} is not an oqvl shard index", kShardIndex);
      optimizer_steps_ = index.at("optimizer_step").get<std::int64_t>();
      for (const auto& [ns, tensors] : index.at("tensors").items())
        for (const auto& [name, t] : tensors.items()) {
          Entry e;
          e.shape = t.at("shape").get<std::vector<std::int64_t>>();
          e.dtype = t.at("dtype").get<std::string>();
          for (const auto& c : t.at("chunks"))
            e.pieces.push_back({c.at("file").get<std::string>(), c.at("key").get<std::string>(),
                                c.at("start").get<std::int64_t>(), c.at("length").get<std::int64_t>()});
          std::sort(e.pieces.begin(), e.pieces.end(),
                    [](const auto& a, const auto& b) { return a.start < b.start; });
          std::int64_t numel = 1, at = 0;
          for (auto d : e.shape) numel *= d;
          for (const auto& p : e.pieces) {
            if (p.start != at)
              fail("{}: tensor '{}' has no chunk for elements from {}", kShardIndex, name, at);
            at += p.length;
          }
          if (at != numel)
            fail("{}: tensor '{}' chunks cover {} of {} elements", kShardIndex, name, at, numel);
          entries_[ns][name] = std::move(e);
        }
    }
    // Plain files fill in what the index does not shard: the model folder (zero2 and plain
    // checkpoints) and the whole-model optimizer file (plain checkpoints).
    auto add_plain = [&](const std::string& ns, const fs::path& file) {
      auto& f = open_[file.filename().string()];
      if (!f) f = std::make_unique<model::SafetensorsFile>(file);
      for (const auto& e : f->entries()) {
        if (ns == "optimizer" && e.name == "step") {
          optimizer_steps_ = f->tensor("step").item<std::int64_t>();
          continue;
        }
        if (entries_[ns].count(e.name)) continue;
        entries_[ns][e.name] = Entry{e.shape, e.dtype, {}};
        plain_file_[ns + "/" + e.name] = file.filename().string();
      }
    };
    if (!entries_.count("model") || entries_["model"].empty()) {
      if (fs::is_regular_file(dir / "model.safetensors")) {
        add_plain("model", dir / "model.safetensors");
      } else if (fs::is_regular_file(dir / "model.safetensors.index.json")) {
        const auto index = read_json_file(dir / "model.safetensors.index.json", "safetensors index");
        std::set<std::string> files;
        for (const auto& [name, file] : index.at("weight_map").items()) files.insert(file.get<std::string>());
        for (const auto& file : files) add_plain("model", dir / file);
      } else {
        fail("no model.safetensors and no model chunks in {}", kShardIndex);
      }
    }
    if (!entries_.count("optimizer") || entries_["optimizer"].empty()) {
      if (fs::is_regular_file(dir / "optimizer.safetensors"))
        add_plain("optimizer", dir / "optimizer.safetensors");
    }
  } catch (const nlohmann::json::exception& e) {
    fail("checkpoint '{}': {}: {}", dir.string(), kShardIndex, e.what());
  } catch (const Error& e) {
    fail("checkpoint '{}': {}", dir.string(), e.what());
  }
}

CheckpointTensors::~CheckpointTensors() = default;

const CheckpointTensors::Entry& CheckpointTensors::entry(const std::string& ns,
                                                         const std::string& name) const {
  auto n = entries_.find(ns);
  if (n == entries_.end()) fail("checkpoint '{}': no {} tensors", dir_.string(), ns);
  auto e = n->second.find(name);
  if (e == n->second.end()) fail("checkpoint '{}': no {} tensor '{}'", dir_.string(), ns, name);
  return e->second;
}

bool CheckpointTensors::has(const std::string& ns, const std::string& name) const {
  auto n = entries_.find(ns);
  return n != entries_.end() && n->second.count(name);
}

std::vector<std::string> CheckpointTensors::names(const std::string& ns) const {
  std::vector<std::string> out;
  if (auto n = entries_.find(ns); n != entries_.end())
    for (const auto& [name, e] : n->second) out.push_back(name);
  return out;
}

std::vector<std::int64_t> CheckpointTensors::shape(const std::string& ns, const std::string& name) const {
  return entry(ns, name).shape;
}

torch::Tensor CheckpointTensors::stored(const std::string& file, const std::string& key) {
  auto& f = open_[file];
  if (!f) f = std::make_unique<model::SafetensorsFile>(dir_ / file);
  return f->tensor(key).reshape({-1});
}

torch::Tensor CheckpointTensors::range(const std::string& ns, const std::string& name, std::int64_t start,
                                       std::int64_t length) {
  const auto& e = entry(ns, name);
  std::int64_t numel = 1;
  for (auto d : e.shape) numel *= d;
  if (start < 0 || length < 0 || start + length > numel)
    fail("checkpoint '{}': {} tensor '{}' has {} elements, asked for [{}, {})", dir_.string(), ns, name,
         numel, start, start + length);
  if (e.pieces.empty()) return stored(plain_file_.at(ns + "/" + name), name).narrow(0, start, length).clone();
  std::vector<torch::Tensor> parts;
  for (const auto& p : e.pieces) {
    const auto a = std::max(start, p.start), b = std::min(start + length, p.start + p.length);
    if (a >= b) continue;
    auto t = stored(p.file, p.key);
    if (t.numel() != p.length)
      fail("checkpoint '{}': chunk '{}' of {} has {} elements, the index says {}", dir_.string(), p.key,
           p.file, t.numel(), p.length);
    parts.push_back(t.narrow(0, a - p.start, b - a));
  }
  if (parts.empty()) return torch::empty({0}, torch::kFloat32);
  return parts.size() == 1 ? parts[0].clone() : torch::cat(parts);
}

torch::Tensor CheckpointTensors::full(const std::string& ns, const std::string& name) {
  const auto& e = entry(ns, name);
  std::int64_t numel = 1;
  for (auto d : e.shape) numel *= d;
  return range(ns, name, 0, numel).view(e.shape);
}

std::int64_t CheckpointTensors::optimizer_steps() {
  if (optimizer_steps_ < 0) fail("checkpoint '{}': no optimizer step count", dir_.string());
  return optimizer_steps_;
}

void load_model_weights(CheckpointTensors& ckpt, model::OpenQwen2VLImpl& model) {
  torch::NoGradGuard no_grad;
  for (const auto& [name, t] : model.state_dict()) {
    if (!ckpt.has("model", name)) fail("checkpoint '{}': no tensor '{}'", ckpt.dir().string(), name);
    if (ckpt.shape("model", name) != t.sizes().vec())
      fail("checkpoint '{}': tensor '{}' has another shape", ckpt.dir().string(), name);
    t.copy_(ckpt.full("model", name));
  }
}

void load_optimizer_state(CheckpointTensors& ckpt, AdamW& optimizer, bool strict) {
  std::set<std::string> used;
  const auto& params = optimizer.params();
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto& p = params[i];
    torch::Tensor moments[2];
    int k = 0;
    for (const char* suffix : {".exp_avg", ".exp_avg_sq"}) {
      const auto name = p.name + suffix;
      if (!ckpt.has("optimizer", name))
        fail("checkpoint '{}': optimizer state: no '{}' (was the run started with another stage?)",
             ckpt.dir().string(), name);
      if (ckpt.shape("optimizer", name) != p.full_shape)
        fail("checkpoint '{}': optimizer state: '{}' has shape {} but the parameter has {}",
             ckpt.dir().string(), name, model::shape_string(ckpt.shape("optimizer", name)),
             model::shape_string(p.full_shape));
      moments[k++] = ckpt.range("optimizer", name, p.offset, p.param.numel());
      used.insert(name);
    }
    optimizer.set_moments(i, moments[0], moments[1]);
  }
  optimizer.set_steps(ckpt.optimizer_steps());
  if (strict)
    for (const auto& name : ckpt.names("optimizer"))
      if (!used.count(name))
        fail("checkpoint '{}': optimizer state: unknown tensor '{}' (not a trainable parameter of this run)",
             ckpt.dir().string(), name);
}

TrainerState load_trainer_state(const fs::path& dir) {
  auto state = TrainerState::from_json(read_json_file(dir / kStateFile, "trainer state"));
  try {
    auto rng = model::load_safetensors(dir / "rng.safetensors");
    auto generator = at::detail::getDefaultCPUGenerator();  // a handle on the global generator
    generator.set_state(rng.at("torch_cpu"));
  } catch (const Error& e) {
    fail("checkpoint '{}': {}", dir.string(), e.what());
  }
  return state;
}

fs::path consolidate_checkpoint(const fs::path& checkpoint_or_run, const fs::path& out,
                                const model::VlmWriteOptions& options) {
  auto dir = checkpoint_or_run;
  if (!fs::exists(dir)) fail("checkpoint '{}' does not exist", dir.string());
  if (fs::is_directory(dir / "checkpoints") && !fs::exists(dir / kStateFile)) {
    auto latest = latest_checkpoint(dir);
    if (!latest) fail("run folder '{}' has no complete checkpoint", dir.string());
    dir = *latest;
  }
  if (!fs::is_regular_file(dir / kStateFile))
    fail("'{}' is not a complete oqvl training checkpoint (no {})", dir.string(), kStateFile);
  const auto config = model::VlmConfig::from_file(dir / "config.json");
  CheckpointTensors ckpt(dir);
  model::StateDict weights;
  for (const auto& name : ckpt.names("model")) weights[name] = ckpt.full("model", name);
  try {
    model::write_vlm_folder(out, config, weights, options);
  } catch (const Error& e) {
    fail("consolidate '{}': {}", dir.string(), e.what());
  }
  return dir;
}

// ---- sharded saves ------------------------------------------------------------------------------

fs::path partial_checkpoint_dir(const fs::path& run, std::int64_t step) {
  // ".tmp-" marks it stale for the next save's clean-up, as AtomicDir's temporaries.
  return run / "checkpoints" / fmt::format("step-{:08d}.tmp-shards", step);
}

fs::path begin_sharded_checkpoint(const fs::path& run, std::int64_t step) {
  remove_stale_temporaries(run);
  const auto dir = partial_checkpoint_dir(run, step);
  fs::create_directories(dir);
  return dir;
}

void write_partial_model(const fs::path& partial, model::OpenQwen2VLImpl& model, bool with_weights) {
  if (!with_weights) {
    write_file_atomic(partial / "config.json", model.config().to_json().dump(2) + "\n");
    return;
  }
  model::StateDict weights;
  for (const auto& [name, t] : model.state_dict()) weights[name] = t.detach().to(torch::kCPU);
  model::VlmWriteOptions options;
  options.overwrite = true;
  model::write_vlm_folder(partial, model.config(), weights, options);
}

std::string shard_file_name(const std::string& ns, int shard, int shards) {
  return fmt::format("{}-{:05d}-of-{:05d}.safetensors", ns, shard, shards);
}

void write_checkpoint_shard(const fs::path& partial, const std::string& ns, int shard, int shards,
                            const std::vector<std::pair<ChunkSpec, torch::Tensor>>& chunks) {
  model::StateDict out;
  for (const auto& [spec, t] : chunks) {
    if (t.numel() != spec.length)
      fail("checkpoint chunk '{}': {} elements, spec says {}", spec.name, t.numel(), spec.length);
    out[spec.name] = t.detach().to(torch::kCPU).reshape({-1});
  }
  model::save_safetensors(partial / shard_file_name(ns, shard, shards), out,
                          {{"format", "oqvl-checkpoint-shard"}, {"namespace", ns}});
}

fs::path finish_sharded_checkpoint(const fs::path& run, const TrainerState& state,
                                   const std::map<std::string, std::vector<ChunkSpec>>& files,
                                   const std::string& strategy, std::int64_t optimizer_steps,
                                   const std::string& config_toml, std::int64_t keep) {
  const auto partial = partial_checkpoint_dir(run, state.step);
  nlohmann::json tensors = nlohmann::json::object();
  for (const auto& [file, specs] : files) {
    const std::string ns = file.substr(0, file.find('-'));
    for (const auto& c : specs) {
      auto& t = tensors[ns][c.name];
      t["shape"] = c.shape;
      t["dtype"] = c.dtype;
      t["chunks"].push_back({{"file", file}, {"key", c.name}, {"start", c.start}, {"length", c.length}});
    }
  }
  const nlohmann::json index = {{"format", "oqvl-sharded-checkpoint"},
                                {"version", 1},
                                {"strategy", strategy},
                                {"optimizer_step", optimizer_steps},
                                {"tensors", tensors}};
  write_file_atomic(partial / kShardIndex, index.dump(1) + "\n");
  model::save_safetensors(partial / "rng.safetensors",
                          {{"torch_cpu", at::detail::getDefaultCPUGenerator().get_state()}});
  write_file_atomic(partial / "config.toml", config_toml);
  if (const char* kill_at = std::getenv("OQVL_FAULT_KILL_IN_SAVE");
      kill_at && std::to_string(state.step) == kill_at)
    std::raise(SIGKILL);
  write_file_atomic(partial / kStateFile, state.to_json().dump(2) + "\n");  // last: marks it complete
  const auto dir = checkpoint_dir(run, state.step);
  if (fs::exists(dir)) remove_tree(dir);
  fs::rename(partial, dir);
  publish_checkpoint(run, dir, keep);
  return dir;
}

}  // namespace oqvl::train
