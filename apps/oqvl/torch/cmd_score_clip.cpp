// `oqvl score clip`: SigLIP image-text scores per sample, one score table per shard
// (docs/score.md).
#include <fmt/format.h>

#include <memory>

#include "oqvl/cli_common.h"
#include "oqvl/torch/model_commands.h"
#include "oqvl/eval/score/clip_scoring.h"
#include "oqvl/core/interrupt.h"

namespace oqvl::cli {

void register_score_clip(CLI::App& score) {
  struct Args {
    ShardCommandFlags flags;
    eval::ClipScoreOptions options;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = score.add_subcommand(
      "clip", "Image-text similarity of each sample with a SigLIP model (HF SiglipModel folder)");
  add_shard_command_flags(cmd, args->flags, /*with_tokenizer=*/false);
  cmd->add_option("--model", args->options.model,
                  "HF SiglipModel folder: config.json, model.safetensors, spiece.model, "
                  "tokenizer_config.json, preprocessor_config.json")
      ->required();
  cmd->add_option("--metric", args->options.metric,
                  "sigmoid: sigmoid(cos * exp(logit_scale) + logit_bias); cosine: cos")
      ->check(CLI::IsMember({"sigmoid", "cosine"}))
      ->capture_default_str();
  cmd->add_option("--column", args->options.column, "Score column name in the tables")
      ->capture_default_str();
  cmd->add_option("--format", args->options.format,
                  "Score tables as csv (OUT/<shard>.clip.csv) or parquet (OUT/<shard>.clip.parquet)")
      ->check(CLI::IsMember({"csv", "parquet"}))
      ->capture_default_str();
  cmd->add_option("--batch-size", args->options.batch_size, "Pairs per forward pass")
      ->capture_default_str();
  cmd->add_option("--device", args->options.device, "auto | cpu | cuda | cuda:N")->capture_default_str();
  cmd->add_flag("--skip-bad", args->options.skip_bad,
                "Skip and count corrupt shards/samples instead of stopping at the first");
  cmd->add_flag("--json", args->json, "Print the summary as JSON");
  cmd->callback([args] {
    catch_interrupts();  // stop at a safe point on SIGINT/SIGTERM (core/interrupt.h)
    eval::ClipScoreOptions options = args->options;
    options.out = args->flags.out;
    options.threads = args->flags.threads;
    options.job = args->flags.job;
    const auto report = eval::run_clip_scoring(args->flags.job_shards(), options);
    if (args->json) {
      fmt::print("{}\n", report.to_json().dump(2));
      return;
    }
    fmt::print("shards: {} ({} already scored, kept)\n", report.shards, report.shards_resumed);
    std::uint64_t unscored = 0;
    for (const auto& [reason, n] : report.unscored) unscored += n;
    fmt::print("samples: {}, scored: {}, unscored: {}\n", report.samples, report.scored, unscored);
    for (const auto& [reason, n] : report.unscored) fmt::print("  unscored ({}): {}\n", reason, n);
    for (const auto& [reason, n] : report.skipped) fmt::print("  skipped ({}): {}\n", reason, n);
    if (report.without_uid) fmt::print("  rows without a json uid: {}\n", report.without_uid);
    if (report.scored) {
      fmt::print("time: {:.2f} s ({:.1f} pairs/s; model {:.2f} s)\n", report.seconds,
                 report.pairs_per_second(), report.model_seconds);
    }
    fmt::print("summary: {}\n", eval::clip_score_report_path(options).string());
  });
}

}  // namespace oqvl::cli
