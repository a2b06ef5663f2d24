// MLM-Filter scoring of WebDataset shards (docs/recipe.md §1.4) with an oqvl vision-language model (the
// released MLM-Filter scorer after `oqvl convert llava`): one score table per input shard,
// OUT/<shard stem>.mlm.jsonl (or .mlm.parquet with format "parquet"), that `oqvl data filter
// --scores` reads. A row per image-caption pair: {"uid" (data::sample_uid, when the sample has
// one), "key", "<metric>": integer or null, "<metric>_output": the raw text}; as Parquet the same
// columns (uid only when some row has one, null where a row has none; scores int64 with nulls). Tables are written atomically and an existing one is not
// redone, so a stopped run resumes shard by shard. Single-threaded over shards; libtorch's own
// threads do the math.
//
// Differences from the reference script, on purpose: each image goes through the vision tower
// once for all requested metrics (the reference re-encodes per metric), and left padding is
// masked (the reference passes no attention mask, so its batched scores depend on the batch;
// ours equal its batch-size-1 scores).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "oqvl/data/io/shard_job.h"
#include "oqvl/data/text/tokenizer.h"
#include "oqvl/eval/score/mlm_filter.h"
#include "oqvl/model/vlm.h"

namespace oqvl::eval {

struct MlmScoreOptions {
  std::filesystem::path out;  // tables and the job summary go here
  std::vector<MlmMetric> metrics = {MlmMetric::kSemanticUnderstanding};
  int batch_size = 8;               // pairs per forward pass
  std::int64_t max_new_tokens = 2;  // generated tokens per score (the reference: 2)
  std::size_t max_len = 2040;       // prompt tokens kept before the whitespace token
  std::int64_t image_tokens = 0;    // visual tokens per image; 0 = the model's config
  std::int64_t limit = 0;           // pairs per shard, 0 = all (trial runs)
  std::string format = "jsonl";     // jsonl | parquet (needs a build with Apache Arrow)
  bool skip_bad = false;            // count corrupt shard parts instead of stopping
  data::ShardJob job;
  std::string model_name;  // recorded in the summary
};

struct MlmScoreReport {
  std::string job;
  std::uint64_t shards = 0;                   // inputs of this job
  std::uint64_t shards_scored = 0;            // tables written now
  std::uint64_t shards_skipped_existing = 0;  // whose table already existed (not redone)
  std::uint64_t pairs_scored = 0;             // rows written
  std::uint64_t outputs_not_integer = 0;      // scores left null (output did not parse)
  std::uint64_t new_tokens = 0;
  std::map<std::string, std::uint64_t> unscored;  // reason -> samples (no row written)
  std::map<std::string, std::uint64_t> skipped;   // --skip-bad: corrupt shard parts
  double seconds = 0;
  std::vector<std::string> tables;  // written now, relative to out

  double pairs_per_second() const { return seconds > 0 ? static_cast<double>(pairs_scored) / seconds : 0; }
  nlohmann::json to_json(const MlmScoreOptions& options) const;
};

// "semantic_understanding", a comma list of metric names, or "all". oqvl::Error naming the bad part.
std::vector<MlmMetric> parse_mlm_metrics(std::string_view spec);

// OUT/<stem>.mlm.<format> for an input shard ("a/b/00012.tar" -> "00012.mlm.jsonl").
std::filesystem::path mlm_score_table_path(const std::filesystem::path& out, const std::string& shard,
                                           const std::string& format = "jsonl");

// Scores this job's shards with `vlm` (on whatever device and dtype it is) and writes the tables
// and the job summary (data::job_summary_path(out, "score-mlm", job)). oqvl::Error on bad options,
// unreadable shards (unless skip_bad) or an unwritable out.
MlmScoreReport run_mlm_scoring(const std::vector<std::string>& shards, model::OpenQwen2VL& vlm,
                               const data::Tokenizer& tokenizer, const MlmScoreOptions& options);

}  // namespace oqvl::eval
