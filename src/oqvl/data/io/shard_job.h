// Splitting shard-parallel work across machines (a Slurm array or any scheduler): every data
// command takes --shard-index I --num-shards N and handles its share of the input shards, so N
// processes started with I = 0..N-1 cover every input shard exactly once.
#pragma once

#include <string>
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

}  // namespace oqvl::data
