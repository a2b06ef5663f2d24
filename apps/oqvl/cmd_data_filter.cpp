// `oqvl data filter`: keep the samples that pass rules over scores, uid lists, captions and
// images, deduplicate, and re-shard (docs/filter.md).
#include <fmt/format.h>

#include "oqvl/cli_common.h"
#include "oqvl/commands.h"
#include "oqvl/data/curate/filter.h"
#include "oqvl/core/interrupt.h"

namespace oqvl::cli {
namespace {

void print_report(const data::FilterReport& r) {
  if (r.resumed) fmt::print("{}: already complete (same options), nothing to do\n", r.job);
  fmt::print("input: {} shards, {} samples\n", r.input_shards, r.input_samples);
  double pct = r.input_samples ? 100.0 * static_cast<double>(r.kept) / static_cast<double>(r.input_samples) : 0.0;
  fmt::print("kept: {} ({:.1f}%) in {} shards\n", r.kept, pct, r.output.size());
  for (const auto& rule : r.rules) {
    fmt::print("  rule '{}': failed {}, dropped {}\n", rule.rule, rule.failed, rule.dropped);
  }
  if (r.undecodable) fmt::print("  undecodable image: {}\n", r.undecodable);
  for (const auto& [kind, n] : r.duplicates) fmt::print("  duplicate {}: {}\n", kind, n);
  if (r.bad_samples) fmt::print("  bad samples: {}\n", r.bad_samples);
  for (const auto& [reason, n] : r.skipped) fmt::print("  skipped ({}): {}\n", reason, n);
  if (r.without_uid) fmt::print("  samples without a json uid: {}\n", r.without_uid);
  for (const auto& [table, n] : r.without_score_row) {
    if (n) fmt::print("  samples without a row in {}: {}\n", table, n);
  }
  if (r.captions_cleaned) fmt::print("  captions cleaned: {}\n", r.captions_cleaned);
  if (!r.resumed && r.seconds > 0) {
    fmt::print("time: {:.2f} s ({:.0f} samples/s)\n", r.seconds,
               static_cast<double>(r.input_samples) / r.seconds);
  }
}

}  // namespace

void register_data_filter(CLI::App& data) {
  struct Args {
    ShardCommandFlags flags;
    data::FilterOptions options;
    std::vector<std::string> dedup;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = data.add_subcommand(
      "filter", "Keep samples that pass score/uid/caption/image rules, dedup, re-shard");
  add_shard_command_flags(cmd, args->flags, /*with_tokenizer=*/false);
  cmd->add_option("--keep", args->options.keep,
                  "Rule expression, repeatable (all must hold): e.g. "
                  "'semantic_understanding >= 85 or uid in dfn.npy', 'caption_words >= 2' "
                  "(docs/filter.md)")
      ->allow_extra_args(false);  // one value per --keep: positional shards may follow
  cmd->add_option(
         "--scores", args->options.scores,
         "Score table FILE.csv|.jsonl|.parquet, a folder or a glob of them [:key=COLUMN], repeatable; its columns become "
         "names in --keep (key column: 'uid' matches the json uid, else the sample key)")
      ->allow_extra_args(false);
  cmd->add_option("--dedup", args->dedup,
                  "Drop later duplicates by uid, image (exact bytes, xxh3) or url_caption; "
                  "comma-separated or repeated, checked in that order")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_flag("--clean-captions", args->options.clean_captions,
                "Rewrite txt with whitespace trimmed and runs collapsed to one space");
  cmd->add_option("--shard-size", args->options.shard_size, "Samples per output shard")
      ->capture_default_str();
  cmd->add_flag("--skip-bad", args->options.skip_bad,
                "Skip and count corrupt shards/samples instead of stopping at the first");
  cmd->add_flag("--json", args->json, "Print the report as JSON");
  cmd->callback([args] {
    catch_interrupts();  // stop at a safe point on SIGINT/SIGTERM (core/interrupt.h)
    data::FilterOptions options = args->options;
    for (const auto& d : args->dedup) options.dedup.push_back(data::parse_dedup_kind(d));
    options.threads = args->flags.threads;
    options.job = args->flags.job;
    options.out = args->flags.out;
    data::FilterReport report = data::run_filter(args->flags.job_shards(), options);
    if (args->json) {
      nlohmann::json j = report.to_json();
      j["resumed"] = report.resumed;
      fmt::print("{}\n", j.dump(2));
    } else {
      print_report(report);
      fmt::print("report: {}\n", data::filter_report_path(options).string());
    }
  });
}

}  // namespace oqvl::cli
