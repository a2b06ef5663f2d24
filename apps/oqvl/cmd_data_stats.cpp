// `oqvl data stats`: counts, bytes and the caption token-length histogram of WebDataset shards.
#include <fmt/format.h>

#include <algorithm>

#include "oqvl/cli_common.h"
#include "oqvl/commands.h"
#include "oqvl/data/text/qwen2vl_tokenizer.h"
#include "oqvl/data/io/shard_list.h"
#include "oqvl/data/curate/shard_stats.h"

namespace oqvl::cli {
namespace {

void print_stats(const data::ShardStats& s) {
  fmt::print("shards: {}  samples: {}  size: {:.1f} MB\n", s.shards, s.samples, s.file_bytes / 1e6);
  fmt::print("samples with an image: {}  with a caption: {}\n", s.with_image, s.with_caption);
  fmt::print("fields:\n");
  for (const auto& [ext, f] : s.fields) {
    fmt::print("  {:<8} {:>10} members {:>12.1f} KB  mean {:>9.1f} B\n", ext, f.count, f.bytes / 1e3,
               f.count ? static_cast<double>(f.bytes) / f.count : 0.0);
  }
  fmt::print("caption length in Qwen2 tokens: mean {:.1f}  p50 {}  p90 {}  p99 {}  max {}\n",
             s.mean_tokens(), s.token_quantile(0.5), s.token_quantile(0.9), s.token_quantile(0.99),
             s.max_tokens());
  auto hist = s.token_histogram();
  std::uint64_t peak = 1;
  for (const auto& [bucket, count] : hist) peak = std::max(peak, count);
  for (const auto& [bucket, count] : hist) {
    if (count == 0) continue;
    int bar = static_cast<int>(40.0 * static_cast<double>(count) / static_cast<double>(peak) + 0.5);
    fmt::print("  {:>9} tokens {:>10}  {}\n", bucket, count, std::string(std::max(bar, 1), '#'));
  }
  for (const auto& [reason, n] : s.skipped) fmt::print("skipped ({}): {}\n", reason, n);
}

}  // namespace

void register_data_stats(CLI::App& data) {
  struct Args {
    std::vector<std::string> shards;
    std::string tokenizer;
    data::ShardStatsOptions options;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = data.add_subcommand(
      "stats", "Counts, bytes and the caption token-length histogram of WebDataset shards");
  cmd->add_option("shards", args->shards, "Shards: files, globs, brace ranges, @list.txt")
      ->required();
  cmd->add_option("--tokenizer", args->tokenizer,
                  "tokenizer.json (default: the repo's assets/qwen2-tokenizer/tokenizer.json)");
  cmd->add_option("--threads", args->options.threads, "Worker threads (0 = all cores)")
      ->capture_default_str();
  cmd->add_flag("--skip-bad", args->options.skip_bad,
                "Skip and count bad samples/shards instead of stopping at the first");
  cmd->add_flag("--json", args->json, "Print the statistics as JSON");
  cmd->callback([args] {
    auto shards = data::expand_shard_specs(args->shards);
    auto tokenizer = data::load_qwen2vl_tokenizer(
        args->tokenizer.empty() ? default_tokenizer_path() : std::filesystem::path(args->tokenizer));
    data::ShardStats stats = data::compute_shard_stats(shards, tokenizer, args->options);
    if (args->json) {
      fmt::print("{}\n", stats.to_json().dump(2));
    } else {
      print_stats(stats);
    }
  });
}

}  // namespace oqvl::cli
