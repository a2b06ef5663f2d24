// Statistics over WebDataset shards for `oqvl data stats`: sample and byte counts, fields by
// extension, and the distribution of caption lengths in Qwen2 tokens (what packing depends on).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "oqvl/core/bad_input.h"
#include "oqvl/data/text/tokenizer.h"

namespace oqvl::data {

struct FieldStats {
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
};

struct ShardStats {
  std::uint64_t shards = 0;
  std::uint64_t samples = 0;
  std::uint64_t file_bytes = 0;                  // shard sizes on disk
  std::map<std::string, FieldStats> fields;      // by extension
  std::uint64_t with_image = 0;                  // samples with a jpg/png/jpeg/webp field
  std::uint64_t with_caption = 0;                // samples with a txt field
  std::vector<std::uint64_t> caption_tokens;     // [n] = captions of exactly n tokens
  std::map<std::string, std::uint64_t> skipped;  // by reason (--skip-bad)

  void merge(const ShardStats& other);
  std::uint64_t captions() const;
  // The smallest n such that at least fraction q of the captions have <= n tokens.
  std::uint64_t token_quantile(double q) const;
  double mean_tokens() const;
  std::uint64_t max_tokens() const;
  // Caption counts in power-of-two token-length buckets: [0,1), [1,2), [2,4), [4,8), ...
  std::vector<std::pair<std::string, std::uint64_t>> token_histogram() const;
  nlohmann::json to_json() const;
};

struct ShardStatsOptions {
  int threads = 0;
  bool skip_bad = false;
};

// Reads every shard (in parallel, one shard per task) and tokenizes every caption.
ShardStats compute_shard_stats(const std::vector<std::string>& shards, const Tokenizer& tokenizer,
                               const ShardStatsOptions& options);

}  // namespace oqvl::data
