// `oqvl data filter`: data curation (docs/recipe.md §1) — keep the samples of WebDataset shards that pass
// rules over scores, uid lists, captions and images, deduplicate, and re-shard.
//
// Three passes make the output independent of the thread count:
//  1. decide (parallel, one task per input shard): read every sample, evaluate the rules,
//     compute its dedup keys — nothing is kept in memory but a small record per sample;
//  2. dedup (sequential, input order): the first occurrence of a uid / image hash / (url,
//     caption) among the samples that passed the rules wins;
//  3. write (parallel, one task per output shard): output shard n holds kept samples
//     [n * shard_size, (n + 1) * shard_size) in input order, re-read from the inputs and copied
//     field by field (bytes untouched; the txt rewritten only with clean_captions).
// Outputs are `{job}-{n:06d}.tar`, written atomically, then `filter-{job}.summary.json` (the report)
// last: a rerun whose report exists with the same options skips the work. Dedup is within one
// job (one --shard-index); jobs of a Slurm array never see each other's samples.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "oqvl/data/io/shard_job.h"

namespace oqvl::data {

enum class DedupKind { kUid, kImage, kUrlCaption };

struct FilterOptions {
  std::vector<std::string> keep;     // rule expressions (filter_rules.h), all must hold
  std::vector<std::string> scores;   // score tables: FILE[:key=COLUMN]
  std::vector<DedupKind> dedup;      // in the order they are checked
  bool clean_captions = false;       // rewrite txt with clean_caption_whitespace
  std::uint64_t shard_size = 10000;  // samples per output shard (the resharder's default)
  int threads = 0;
  bool skip_bad = false;
  ShardJob job;
  std::filesystem::path out;
};

// "uid" / "image" / "url_caption" and back (throws oqvl::Error for an unknown name).
std::string_view dedup_name(DedupKind kind);
DedupKind parse_dedup_kind(std::string_view name);

struct FilterRuleCount {
  std::string rule;
  std::uint64_t failed = 0;   // samples for which the rule is false
  std::uint64_t dropped = 0;  // samples dropped because it was the first rule to fail
};

struct FilterReport {
  std::string job;
  nlohmann::json options;  // what a rerun must match to be skipped
  std::uint64_t input_shards = 0;
  std::uint64_t input_samples = 0;
  std::uint64_t kept = 0;
  std::vector<FilterRuleCount> rules;
  std::uint64_t undecodable = 0;                           // image failed probe/decode where rules look at it
  std::map<std::string, std::uint64_t> duplicates;         // by dedup kind
  std::uint64_t bad_samples = 0;                           // malformed json etc., dropped with --skip-bad
  std::map<std::string, std::uint64_t> skipped;            // bad input by reason (--skip-bad)
  std::uint64_t without_uid = 0;                           // samples with no json uid where one was needed
  std::map<std::string, std::uint64_t> without_score_row;  // by table path
  std::uint64_t captions_cleaned = 0;                      // kept samples whose txt changed
  struct Shard {
    std::string path;
    std::uint64_t samples = 0;
    std::uint64_t bytes = 0;
  };
  std::vector<Shard> output;
  double seconds = 0;
  bool resumed = false;  // true when an earlier complete run was found and nothing was done

  nlohmann::json to_json() const;
  static FilterReport from_json(const nlohmann::json& j);
};

// Filters this job's share of the input shards (already selected with select_job_shards).
FilterReport run_filter(const std::vector<std::string>& shards, const FilterOptions& options);

// Where the report of a job goes: job_summary_path(out, "filter", job).
std::filesystem::path filter_report_path(const FilterOptions& options);

}  // namespace oqvl::data
