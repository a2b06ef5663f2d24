// `oqvl train`: pre-training and SFT (src/oqvl/train/, docs/training.md). The command only reads
// flags; the trainer does the work.
#include <fmt/format.h>

#include <malloc.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "oqvl/cli_common.h"
#include "oqvl/core/error.h"
#include "oqvl/core/log.h"
#include "oqvl/torch/model_commands.h"
#include "oqvl/train/config.h"
#include "oqvl/train/metrics.h"
#include "oqvl/train/trainer.h"

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
};

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
  if (o.keys) {
    print_keys();
    return;
  }
  auto config = train::load_config(o.config, o.sets);
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
  cmd->callback([o] {
    if (!o->keys && o->config.empty() && o->sets.empty())
      fail("oqvl train: give --config FILE.toml (or --keys)");
    run(*o);
  });
}

}  // namespace oqvl::cli
