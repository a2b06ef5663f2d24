#include "oqvl/data/io/shard_job.h"

#include <gtest/gtest.h>

#include <set>

#include "oqvl/core/error.h"

namespace {
using oqvl::data::select_job_shards;
using oqvl::data::ShardJob;

TEST(ShardJob, JobsCoverEveryShardExactlyOnce) {
  std::vector<std::string> shards;
  for (int i = 0; i < 23; ++i) shards.push_back(std::to_string(i));
  std::multiset<std::string> seen;
  for (int j = 0; j < 5; ++j) {
    for (const auto& s : select_job_shards(shards, {j, 5})) seen.insert(s);
  }
  EXPECT_EQ(seen, std::multiset<std::string>(shards.begin(), shards.end()));
  EXPECT_EQ(select_job_shards(shards, {1, 5}), (std::vector<std::string>{"1", "6", "11", "16", "21"}));
  EXPECT_EQ(select_job_shards(shards, {0, 1}), shards);
}

TEST(ShardJob, BadJobIsAnError) {
  std::vector<std::string> shards = {"a"};
  EXPECT_THROW(select_job_shards(shards, {2, 2}), oqvl::Error);
  EXPECT_THROW(select_job_shards(shards, {-1, 2}), oqvl::Error);
  EXPECT_THROW(select_job_shards(shards, {0, 0}), oqvl::Error);
}

TEST(ShardJob, Tag) { EXPECT_EQ(oqvl::data::job_tag({3, 16}), "job-0003-of-0016"); }

}  // namespace
