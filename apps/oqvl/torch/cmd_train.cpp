// `oqvl train`: pre-training and SFT (src/oqvl/train/, docs/training.md). The command only reads
// flags; the trainer does the work.
#include <fmt/format.h>

#include <malloc.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "oqvl/cli_common.h"
#include "oqvl/core/error.h"
#include "oqvl/core/log.h"
#include "oqvl/torch/model_commands.h"
#include "oqvl/model/io/vlm_folder.h"
#include "oqvl/train/config.h"
#include "oqvl/train/dist/memory_plan.h"
#include "oqvl/train/metrics.h"
#include "oqvl/train/trainer.h"
#include "oqvl/core/interrupt.h"

namespace oqvl::cli {
namespace {

struct Options {
  std::string config;
  std::vector<std::string> sets;
  bool resume = false;
  bool keys = false;
  bool print = false;
  bool quiet = false;
  std::int64_t stop_after = 0;
  int threads = 0;
  // --dry-run
  bool dry_run = false, json = false;
  std::vector<int> ranks{1, 8, 64};
  double mfu = 0.4, peak_tflops = 989, tokens = 5e9;
  int gpus_per_node = 8;
};

// Parameter counts and decoder shapes of the run's model (its folder, or Open-Qwen2VL's shapes when
// the folder does not exist yet).
train::ModelSize model_size(const train::TrainConfig& config) {
  const auto file = config.model / "config.json";
  model::VlmConfig vc = model::VlmConfig::open_qwen2vl();
  if (std::filesystem::exists(file)) {
    vc = model::VlmConfig::from_file(file);
  } else {
    log::info(
        "train --dry-run: '{}' does not exist: planning Open-Qwen2VL's shapes (SigLIP-so400m + Qwen2.5-1.5B)",
        file.string());
  }
  train::ModelSize s;
  const std::string layer0 = std::string(model::kLanguageModelPrefix) + "model.layers.0.";
  for (const auto& t : model::expected_vlm_tensors(vc)) {
    if (t.optional) continue;
    std::int64_t n = 1;
    for (auto d : t.shape) n *= d;
    if (t.name.starts_with(model::kVisionPrefix)) s.vision += n;
    if (t.name.starts_with(model::kProjectorPrefix)) s.projector += n;
    if (t.name.starts_with(model::kLanguageModelPrefix)) s.llm += n;
    if (t.name.starts_with(layer0)) s.largest_layer += n;
  }
  s.layers = vc.llm.num_hidden_layers;
  s.hidden = vc.llm.hidden_size;
  s.intermediate = vc.llm.intermediate_size;
  return s;
}

void dry_run(const train::TrainConfig& c, const Options& o) {
  train::PlanInput in;
  in.model = model_size(c);
  in.train_vision = c.train_vision || c.stage == train::Stage::kFull;
  in.train_llm = c.stage != train::Stage::kAlign;
  in.global_batch = c.global_batch;
  in.micro_batch = c.micro_batch;
  in.context = c.context;
  in.activation_checkpointing = c.activation_checkpointing;
  in.gpus_per_node = o.gpus_per_node;
  in.mfu = o.mfu;
  in.peak_flops = o.peak_tflops * 1e12;
  in.tokens = o.tokens;
  in.overlap = c.dist_overlap;
  in.reduce_bytes = c.dist_reduce_dtype == "bf16" ? 2 : 4;
  // A plan is for GPUs: "auto" keeps a frozen tower in bf16 under bf16 autocast.
  const bool bf16_vision = c.frozen_vision_dtype == "bf16" ||
                           (c.frozen_vision_dtype == "auto" && c.precision == "bf16");
  in.frozen_vision_bytes = bf16_vision ? 2 : 4;
  const auto plan = train::plan_run(in, o.ranks);
  constexpr double GiB = 1024.0 * 1024.0 * 1024.0;
  if (o.json) {
    nlohmann::json j = {{"vision", in.model.vision},
                        {"projector", in.model.projector},
                        {"llm", in.model.llm},
                        {"largest_layer", in.model.largest_layer},
                        {"layers", in.model.layers},
                        {"hidden", in.model.hidden},
                        {"intermediate", in.model.intermediate},
                        {"trainable", plan.trainable},
                        {"frozen", plan.frozen},
                        {"root", plan.root},
                        {"layer_trainable", plan.layer_trainable},
                        {"overlap", in.overlap},
                        {"reduce_bytes", in.reduce_bytes},
                        {"frozen_vision_bytes", in.frozen_vision_bytes},
                        {"global_batch", in.global_batch},
                        {"micro_batch", in.micro_batch},
                        {"context", in.context},
                        {"activation_checkpointing", in.activation_checkpointing},
                        {"gpus_per_node", in.gpus_per_node},
                        {"mfu", in.mfu},
                        {"peak_flops", in.peak_flops},
                        {"tokens", in.tokens},
                        {"tokens_per_step", plan.tokens_per_step},
                        {"flops_per_token", plan.flops_per_token},
                        {"steps", plan.steps},
                        {"gpu_hours", plan.gpu_hours}};
    for (const auto& r : plan.ranks)
      j["plans"].push_back({{"strategy", r.strategy},
                            {"ranks", r.ranks},
                            {"shard", r.shard},
                            {"params", r.params},
                            {"grads", r.grads},
                            {"optimizer", r.optimizer},
                            {"activations", r.activations},
                            {"accumulation", r.accumulation}});
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << fmt::format(
      "model: vision {} + projector {} + llm {} parameters; trainable {} (stage {}), frozen {}\n"
      "step: {} rows x {} positions = {} tokens; micro-batch {} rows, activation checkpointing {}\n"
      "compute: {:.3g} FLOP/token (LLM + projector, vision not counted); {:.3g} tokens = {:.0f} steps = "
      "{:.0f} GPU-hours at {:.0f}% MFU of {:.0f} TFLOP/s\n\n",
      in.model.vision, in.model.projector, in.model.llm, plan.trainable, train::stage_name(c.stage),
      plan.frozen, in.global_batch, in.context, plan.tokens_per_step, in.micro_batch,
      in.activation_checkpointing ? "on" : "off", plan.flops_per_token, in.tokens, plan.steps, plan.gpu_hours,
      100 * in.mfu, o.peak_tflops);
  std::cout << fmt::format("{:>6} {:<11} {:>6} {:>10} {:>10} {:>10} {:>12} {:>10} {:>6}\n", "ranks",
                           "strategy", "shard", "params", "grads", "optimizer", "activations", "total",
                           "accum");
  for (const auto& r : plan.ranks)
    std::cout << fmt::format("{:>6} {:<11} {:>6} {:>9.2f}G {:>9.2f}G {:>9.2f}G {:>11.2f}G {:>9.2f}G {:>6}\n",
                             r.ranks, r.strategy, r.shard, r.params / GiB, r.grads / GiB, r.optimizer / GiB,
                             r.activations / GiB, r.total() / GiB,
                             r.accumulation > 0 ? std::to_string(r.accumulation) : std::string("-"));
  std::cout
      << "(GiB per rank, estimates: docs/distributed.md \"Planning a run\"; accum - : batch.global is not a "
         "multiple of batch.micro x ranks)\n";
}

void print_keys() {
  std::string section;
  for (const auto& k : train::config_keys()) {
    const auto sec = k.key.substr(0, k.key.find('.'));
    if (sec != section) std::cout << (section.empty() ? "" : "\n") << "[" << sec << "]\n";
    section = sec;
    std::cout << fmt::format("{:<32} {:<8} default {:<12} {}\n", k.key, k.type, k.value, k.doc);
  }
}

void run(const Options& o) {
  catch_interrupts();  // stop at a safe point on SIGINT/SIGTERM (core/interrupt.h)
  if (o.keys) {
    print_keys();
    return;
  }
  auto config = train::load_config(o.config, o.sets, /*check_paths=*/!o.dry_run);
  if (o.dry_run) {
    dry_run(config, o);
    return;
  }
  if (o.print) {
    std::cout << train::to_toml(config);
    return;
  }
  if (config.tokenizer.empty() && !config.loads_packed()) {
    const auto own = config.model / "tokenizer.json";
    config.tokenizer = std::filesystem::exists(own) ? own : default_tokenizer_path();
  }
  if (o.threads > 0) torch::set_num_threads(o.threads);
  // Every step allocates and frees the same large buffers (logit chunks, activations). glibc
  // returns blocks above the mmap threshold to the kernel at once, and the next step pays for
  // fresh zeroed pages again (a tenth of a CPU step in page faults); keep them in the heap.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  train::TrainOptions options;
  options.resume = o.resume;
  options.quiet = o.quiet;
  options.stop_after = o.stop_after;
  train::Trainer trainer(config, options);
  auto results = trainer.run();
  const auto& s = trainer.state();
  if (!results.empty())
    log::info("train: done: step {}/{}, loss {:.4f}, {} samples, {} labelled tokens in {}", s.step,
              s.total_steps, results.back().loss, s.samples, s.tokens, train::format_duration(s.elapsed_s));
}

}  // namespace

void register_train(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("train", "Pre-train or fine-tune a model (config: docs/training.md)");
  cmd->add_option("--config", o->config, "the run config (TOML); see configs/ and `oqvl train --keys`");
  cmd->add_option("--set", o->sets, "override a key: section.key=value (TOML value; repeatable)");
  cmd->add_flag("--resume", o->resume, "continue from the newest checkpoint in run.out");
  cmd->add_flag("--keys", o->keys, "list every config key with its default and meaning");
  cmd->add_flag("--print-config", o->print, "print the resolved config and exit");
  cmd->add_option("--stop-after", o->stop_after, "stop with a checkpoint after N steps (0 = run to the end)");
  cmd->add_flag("--quiet", o->quiet, "no progress lines");
  cmd->add_option("--threads", o->threads, "libtorch CPU threads (0 = all cores)");
  cmd->add_flag("--dry-run", o->dry_run,
                "plan the run: per-rank memory of each sharding strategy, tokens per step, GPU-hours");
  cmd->add_option("--ranks", o->ranks, "--dry-run: rank counts to plan")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--mfu", o->mfu, "--dry-run: model FLOPs utilisation for the GPU-hours")
      ->capture_default_str();
  cmd->add_option("--peak-tflops", o->peak_tflops, "--dry-run: peak bf16 TFLOP/s of one GPU (H100 SXM: 989)")
      ->capture_default_str();
  cmd->add_option("--tokens", o->tokens, "--dry-run: tokens of the whole run (the paper: 5e9)")
      ->capture_default_str();
  cmd->add_option("--gpus-per-node", o->gpus_per_node, "--dry-run: ranks per node (hybrid shards within one)")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "--dry-run: print the plan as JSON");
  cmd->callback([o] {
    if (!o->keys && o->config.empty() && o->sets.empty())
      fail("oqvl train: give --config FILE.toml (or --keys)");
    run(*o);
  });
}

}  // namespace oqvl::cli
