// `oqvl init`: a random-weight oqvl model folder from a preset (tiny | demo | 1.5b) with config
// overrides, seeded: the start of from-scratch runs (the demo) and of tests. model/init.h does
// the work.
#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/log.h"
#include "oqvl/model/init.h"
#include "oqvl/model/io/vlm_folder.h"
#include "oqvl/torch/model_commands.h"

namespace oqvl::cli {
namespace {

struct InitOptions {
  std::string preset = "tiny";
  std::vector<std::string> sets;
  std::uint64_t seed = 0;
  std::string out;
  std::string dtype = "f32";
  double initializer_range = 0.02;
  bool overwrite = false;
};

void run_init(const InitOptions& o) {
  auto config = model::apply_config_overrides(model::init_preset(o.preset), o.sets);
  const auto dtype = model::parse_dtype_name(o.dtype);
  if (o.initializer_range <= 0) fail("--init-std must be > 0");
  AtomicDir::check_target(o.out, o.overwrite);
  model::OpenQwen2VL net(config);
  model::init_weights(*net, o.seed, o.initializer_range);
  model::StateDict tensors;
  std::int64_t params = 0;
  for (const auto& [name, t] : net->state_dict()) {
    tensors[name] = t.detach();
    params += t.numel();
  }
  model::VlmWriteOptions w;
  w.overwrite = o.overwrite;
  w.safetensors.dtype = dtype;
  model::write_vlm_folder(o.out, config, tensors, w);
  log::info(
      "init: wrote {} ({} preset, seed {}, {} parameters, {}x{} px images, {} image tokens, {} LLM layers x {})",
      o.out, o.preset, o.seed, params, config.vision.image_size, config.vision.image_size,
      config.image_tokens, config.llm.num_hidden_layers, config.llm.hidden_size);
}

}  // namespace

void register_init(CLI::App& app) {
  auto o = std::make_shared<InitOptions>();
  auto* cmd = app.add_subcommand("init",
                                 "Write a random-weight model folder from a preset (tiny, demo, 1.5b)");
  cmd->add_option("--preset", o->preset,
                  "tiny (tests), demo (the Fashion-MNIST demo), 1.5b (Open-Qwen2VL's shapes)")
      ->capture_default_str();
  cmd->add_option("--set", o->sets,
                  "override a config.json key: text_config.num_hidden_layers=4, vision_config.image_size=32, "
                  "projector.image_tokens=16, ... (JSON value; repeatable)");
  cmd->add_option("--seed", o->seed, "random seed (same seed, same bytes)")->capture_default_str();
  cmd->add_option("--init-std", o->initializer_range, "std of the normal init of the towers' weights")
      ->capture_default_str();
  cmd->add_option("--dtype", o->dtype, "f32 | bf16 | f16 (as stored)")->capture_default_str();
  cmd->add_option("--out", o->out, "the model folder to write")->required();
  cmd->add_flag("--overwrite", o->overwrite, "replace an existing folder");
  cmd->callback([o] { run_init(*o); });
}

}  // namespace oqvl::cli
