// `oqvl score mlm`: MLM-Filter scores (docs/recipe.md §1.4) for the image-caption pairs of WebDataset
// shards, one score table per input shard (eval/score/mlm_scoring.h has the format and the
// runner).
#include <fmt/format.h>

#include <string>

#include "oqvl/cli_common.h"
#include "oqvl/torch/model_commands.h"
#include "oqvl/core/error.h"
#include "oqvl/core/log.h"
#include "oqvl/eval/score/mlm_scoring.h"
#include "oqvl/torch/model_flags.h"
#include "oqvl/core/interrupt.h"

namespace oqvl::cli {
namespace {

struct Options {
  ModelFlags model;
  ShardCommandFlags shards;
  std::string metrics = "semantic_understanding";
  eval::MlmScoreOptions score;
};

void run(Options& o) {
  catch_interrupts();  // stop at a safe point on SIGINT/SIGTERM (core/interrupt.h)
  o.score.metrics = eval::parse_mlm_metrics(o.metrics);
  const auto shards = o.shards.job_shards();
  if (o.shards.out.empty()) fail("--out is required");
  o.score.out = o.shards.out;
  o.score.job = o.shards.job;
  o.score.model_name = o.model.model;
  o.model.threads = o.shards.threads;
  auto m = load_model(o.model);
  o.score.image_tokens = m.image_tokens;
  const auto r = eval::run_mlm_scoring(shards, m.model, *m.tokenizer, o.score);
  std::uint64_t unscored = 0;
  for (const auto& [reason, n] : r.unscored) unscored += n;
  log::info(
      "scored {} pairs ({} unscored, {} outputs not an integer) in {:.1f} s, {:.2f} pairs/s; tables in {}",
      r.pairs_scored, unscored, r.outputs_not_integer, r.seconds, r.pairs_per_second(), o.shards.out);
}

}  // namespace

void register_score_mlm(CLI::App& score) {
  auto o = std::make_shared<Options>();
  auto* cmd = score.add_subcommand("mlm", "MLM-Filter quality scores for image-caption shards (score tables for data filter)");
  add_model_flags(cmd, o->model, /*with_threads=*/false);
  add_shard_command_flags(cmd, o->shards, /*with_tokenizer=*/false);
  cmd->add_option("--metric", o->metrics,
                  "semantic_understanding (the paper's), image_text_matching, object_detail_fulfillment, "
                  "caption_text_quality, a comma list, or all")
      ->capture_default_str();
  cmd->add_option("--format", o->score.format,
                  "score tables as jsonl (OUT/<shard>.mlm.jsonl) or parquet (OUT/<shard>.mlm.parquet)")
      ->check(CLI::IsMember({"jsonl", "parquet"}))
      ->capture_default_str();
  cmd->add_option("--batch-size", o->score.batch_size, "pairs per forward")->capture_default_str();
  cmd->add_option("--max-new-tokens", o->score.max_new_tokens,
                  "generated tokens per score (the reference: 2)")
      ->capture_default_str();
  cmd->add_option("--max-len", o->score.max_len, "prompt tokens kept before the whitespace token")
      ->capture_default_str();
  cmd->add_option(
         "--limit", o->score.limit,
         "score only the first N pairs of each shard (0 = all; trial runs: the table then holds only those, and a rerun skips it)")
      ->capture_default_str();
  cmd->add_flag("--skip-bad", o->score.skip_bad, "skip and count bad shard content instead of stopping");
  cmd->callback([o] { run(*o); });
}

}  // namespace oqvl::cli
