#include "oqvl/data/io/shard_job.h"

#include <fmt/format.h>

#include "oqvl/core/error.h"

namespace oqvl::data {

std::vector<std::string> select_job_shards(const std::vector<std::string>& shards, ShardJob job) {
  if (job.count < 1) fail("--num-shards must be at least 1, got {}", job.count);
  if (job.index < 0 || job.index >= job.count) {
    fail("--shard-index must be in 0..{} (--num-shards {}), got {}", job.count - 1, job.count, job.index);
  }
  std::vector<std::string> mine;
  for (std::size_t i = static_cast<std::size_t>(job.index); i < shards.size();
       i += static_cast<std::size_t>(job.count)) {
    mine.push_back(shards[i]);
  }
  return mine;
}

std::string job_tag(ShardJob job) { return fmt::format("job-{:04d}-of-{:04d}", job.index, job.count); }

std::filesystem::path job_summary_path(const std::filesystem::path& out, std::string_view command,
                                       ShardJob job) {
  return out / fmt::format("{}-{}.summary.json", command, job_tag(job));
}

}  // namespace oqvl::data
