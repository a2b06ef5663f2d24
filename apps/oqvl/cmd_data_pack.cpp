// `oqvl data pack`: multimodal sequence packing of image-caption shards, or with --interleaved of
// interleaved documents (MMC4/OBELICS), docs/recipe.md §3.
#include <fmt/format.h>

#include <algorithm>

#include "oqvl/cli_common.h"
#include "oqvl/commands.h"
#include "oqvl/core/error.h"
#include "oqvl/core/hash.h"
#include "oqvl/data/pack/pack.h"
#include "oqvl/data/text/qwen2vl_tokenizer.h"
#include "oqvl/core/interrupt.h"

namespace oqvl::cli {
namespace {

void print_pack_summary(const data::PackRunResult& r) {
  const data::PackStats& s = r.stats;
  fmt::print("windows: {} ({} already complete)  input samples: {}  packed samples: {}\n",
             s.windows, r.windows_skipped, s.input_samples, s.packed_samples);
  fmt::print("sequences: {}  tokens: {}  context: {}  fill: {:.4f}  samples/sequence: {:.1f}\n",
             s.sequences, s.tokens, s.context, s.fill(),
             s.sequences ? static_cast<double>(s.packed_samples) / s.sequences : 0.0);
  fmt::print("images: {}  truncated: {}\n", s.images, s.truncated);
  for (const auto& [reason, n] : s.dropped) fmt::print("dropped ({}): {}\n", reason, n);
  std::uint64_t peak = 1;
  for (auto c : s.fill_histogram) peak = std::max(peak, c);
  fmt::print("per-sequence fill:\n");
  for (int b = 0; b < data::kFillBuckets; ++b) {
    if (s.fill_histogram[b] == 0) continue;
    int bar = static_cast<int>(40.0 * s.fill_histogram[b] / peak + 0.5);
    fmt::print("  {:>3}-{:>3}% {:>10}  {}\n", b * 100 / data::kFillBuckets,
               (b + 1) * 100 / data::kFillBuckets, s.fill_histogram[b], std::string(std::max(bar, 1), '#'));
  }
  fmt::print("summary: {}\n", r.summary_path.string());
}

}  // namespace

void register_data_pack(CLI::App& data) {
  struct Args {
    ShardCommandFlags flags;
    data::PackOptions options;
    std::string store = "original";
  };
  auto args = std::make_shared<Args>();
  auto* cmd = data.add_subcommand(
      "pack", "Pack image-caption shards into multimodal sequences (first-fit-decreasing)");
  add_shard_command_flags(cmd, args->flags, true);
  cmd->add_option("--context", args->options.context, "Multimodal positions per sequence")
      ->capture_default_str();
  cmd->add_option("--image-tokens", args->options.image_tokens, "Visual tokens per image")
      ->capture_default_str();
  cmd->add_option("--window", args->options.window,
                  "Input shards packed together (1 = per shard, as the paper)")
      ->capture_default_str();
  cmd->add_option("--store", args->store,
                  "Images in the packed shards: original bytes, or resized (384x384 JPEG q95)")
      ->check(CLI::IsMember({"original", "resized"}))
      ->capture_default_str();
  cmd->add_flag("--decode-check", args->options.decode_check,
                "Decode every image fully and drop undecodable ones (default: header check)");
  cmd->add_flag("--interleaved", args->options.interleaved,
                "Inputs are interleaved documents (MMC4/OBELICS: json texts + image_info/images with base64 "
                "images): the reference's rules, several images per sample (docs/formats.md)");
  cmd->add_flag("--skip-bad", args->options.skip_bad_shards,
                "Count the rest of a corrupt shard as dropped instead of stopping");
  cmd->callback([args] {
    catch_interrupts();  // stop at a safe point on SIGINT/SIGTERM (core/interrupt.h)
    args->options.threads = args->flags.threads;
    args->options.job = args->flags.job;
    args->options.store =
        args->store == "resized" ? data::PackImageStore::kResized : data::PackImageStore::kOriginal;
    // All jobs' inputs: output names are chosen over all of them (pack_shards selects ours).
    auto shards = args->flags.all_shards();
    auto tokenizer_path = args->flags.tokenizer_path();
    auto tokenizer = data::load_qwen2vl_tokenizer(tokenizer_path);
    args->options.tokenizer_fingerprint = file_fingerprint(tokenizer_path);
    auto result = data::pack_shards(shards, args->flags.out, tokenizer, args->options);
    print_pack_summary(result);
  });
}

}  // namespace oqvl::cli
