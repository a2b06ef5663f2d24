// Splitting shard-parallel work across machines (a Slurm array or any scheduler): every data
// command takes --shard-index I --num-shards N and handles its share of the input shards, so N
// processes started with I = 0..N-1 cover every input shard exactly once.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace oqvl::data {

struct ShardJob {
  int index = 0;  // this process: 0 <= index < count
  int count = 1;  // how many processes share the input
};

// The shards job `job` handles: every count-th shard starting at index (strided, so neighbouring
// shards of similar size spread over the jobs), in input order. Throws oqvl::Error for a bad
// job (index out of range, count < 1).
std::vector<std::string> select_job_shards(const std::vector<std::string>& shards, ShardJob job);

// "job-0003-of-0016": a name fragment for per-job outputs (summaries, markers).
std::string job_tag(ShardJob job);

// Where a shard-parallel command writes its job's summary, the one scheme for all of them:
// OUT/{command}-{job_tag}.summary.json, e.g. "pack-job-0000-of-0001.summary.json" (command
// "filter", "pack", "score-clip", "score-mlm").
std::filesystem::path job_summary_path(const std::filesystem::path& out, std::string_view command,
                                       ShardJob job);

}  // namespace oqvl::data
