// `oqvl score clip`: image-text scores of WebDataset samples with a SigLIP model, one score table
// per input shard (OUT/<shard stem>.clip.csv, or .clip.parquet with format "parquet": uid, key,
// <column>) that `oqvl data filter --scores FILE:key=uid` reads. Tables are written atomically and an existing one is not redone,
// so a stopped run resumes shard by shard. No torch types here: the CLI includes this header
// without libtorch's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "oqvl/data/io/shard_job.h"

namespace oqvl::eval {

struct ClipScoreOptions {
  std::filesystem::path model;     // an HF SiglipModel folder
  std::filesystem::path out;       // tables and the summary go here
  std::string metric = "sigmoid";  // sigmoid | cosine
  std::string column = "clip_score";
  std::string format = "csv";  // csv | parquet (needs a build with Apache Arrow)
  int batch_size = 32;
  int threads = 0;              // decode threads and libtorch threads (0 = all cores)
  std::string device = "auto";  // auto | cpu | cuda | cuda:N (model/device.h)
  bool skip_bad = false;        // count corrupt shards/samples instead of stopping
  data::ShardJob job;
};

struct ClipScoreReport {
  std::string job;
  std::uint64_t shards = 0;                       // inputs of this job
  std::uint64_t shards_resumed = 0;               // whose table already existed (not redone)
  std::uint64_t samples = 0;                      // samples read in the shards scored now
  std::uint64_t scored = 0;                       // rows written
  std::uint64_t without_uid = 0;                  // scored rows with an empty uid cell (no json uid)
  std::map<std::string, std::uint64_t> unscored;  // reason -> samples (no row written)
  std::map<std::string, std::uint64_t> skipped;   // --skip-bad: corrupt shard parts
  double seconds = 0;                             // wall time of this run
  double model_seconds = 0;                       // of which in the model's forward passes
  std::vector<std::string> tables;                // written now, relative to out
  std::string device;

  double pairs_per_second() const { return seconds > 0 ? static_cast<double>(scored) / seconds : 0; }
  nlohmann::json to_json() const;
};

// OUT/score-clip-<job tag>.summary.json (data::job_summary_path).
std::filesystem::path clip_score_report_path(const ClipScoreOptions& options);
// OUT/<stem>.clip.<format> for an input shard ("a/b/00012.tar" -> "00012.clip.csv").
std::filesystem::path clip_score_table_path(const ClipScoreOptions& options, const std::string& shard);

// Scores this job's shards; writes the tables and the summary JSON; returns the summary.
ClipScoreReport run_clip_scoring(const std::vector<std::string>& shards, const ClipScoreOptions& options);

}  // namespace oqvl::eval
