#include "oqvl/train/checkpoint.h"

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <regex>
#include <unistd.h>
#include <vector>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/json.h"
#include "oqvl/model/io/safetensors.h"
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

fs::path save_checkpoint(const fs::path& run, model::OpenQwen2VLImpl& model, const AdamW& optimizer,
                         const TrainerState& state, const std::string& config_toml, std::int64_t keep) {
  const auto root = run / "checkpoints";
  fs::create_directories(root);
  // Temporaries of saves that were killed (AtomicDir names them DIR.tmp-XXXXXX / DIR.old-XXXXXX).
  for (const auto& e : fs::directory_iterator(root)) {
    const auto name = e.path().filename().string();
    if (name.find(".tmp-") != std::string::npos || name.find(".old-") != std::string::npos)
      remove_tree(e.path());
  }
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
  // checkpoints/last -> the newest step folder (what configs and `oqvl eval` can name), replaced
  // atomically by renaming a fresh link over it.
  const auto link_tmp = root / fmt::format(".last.tmp-{}", ::getpid());
  std::error_code ec;
  fs::remove(link_tmp, ec);
  fs::create_directory_symlink(dir.filename(), link_tmp);
  fs::rename(link_tmp, root / "last");
  auto all = checkpoints(run);
  for (std::size_t i = 0; i + keep < all.size(); ++i) remove_tree(all[i].second);
  return dir;
}

std::optional<fs::path> latest_checkpoint(const fs::path& run) {
  auto all = checkpoints(run);
  if (all.empty()) return std::nullopt;
  return all.back().second;
}

TrainerState load_checkpoint(const fs::path& dir, model::OpenQwen2VLImpl& model, AdamW& optimizer) {
  auto state = TrainerState::from_json(read_json_file(dir / kStateFile, "trainer state"));
  try {
    model::StateDict weights = model::load_safetensors(dir);
    torch::NoGradGuard no_grad;
    auto params = model.state_dict();
    for (const auto& [name, t] : params) {
      auto it = weights.find(name);
      if (it == weights.end()) fail("no tensor '{}'", name);
      if (it->second.sizes() != t.sizes()) fail("tensor '{}' has another shape", name);
      t.copy_(it->second);
    }
    optimizer.load_state_dict(model::load_safetensors(dir / "optimizer.safetensors"));
    auto rng = model::load_safetensors(dir / "rng.safetensors");
    auto generator = at::detail::getDefaultCPUGenerator();  // a handle on the global generator
    generator.set_state(rng.at("torch_cpu"));
  } catch (const Error& e) {
    fail("checkpoint '{}': {}", dir.string(), e.what());
  }
  return state;
}

}  // namespace oqvl::train
