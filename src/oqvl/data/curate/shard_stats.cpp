#include "oqvl/data/curate/shard_stats.h"

#include <fmt/format.h>

#include <filesystem>

#include "oqvl/core/progress.h"
#include "oqvl/core/thread_pool.h"
#include "oqvl/data/io/sample.h"
#include "oqvl/data/io/tar_reader.h"

namespace oqvl::data {

void ShardStats::merge(const ShardStats& o) {
  shards += o.shards;
  samples += o.samples;
  file_bytes += o.file_bytes;
  for (const auto& [ext, f] : o.fields) {
    fields[ext].count += f.count;
    fields[ext].bytes += f.bytes;
  }
  with_image += o.with_image;
  with_caption += o.with_caption;
  if (caption_tokens.size() < o.caption_tokens.size()) caption_tokens.resize(o.caption_tokens.size());
  for (std::size_t n = 0; n < o.caption_tokens.size(); ++n) caption_tokens[n] += o.caption_tokens[n];
  for (const auto& [reason, n] : o.skipped) skipped[reason] += n;
}

std::uint64_t ShardStats::captions() const {
  std::uint64_t sum = 0;
  for (auto c : caption_tokens) sum += c;
  return sum;
}

std::uint64_t ShardStats::token_quantile(double q) const {
  std::uint64_t total = captions();
  if (total == 0) return 0;
  auto need = static_cast<std::uint64_t>(q * static_cast<double>(total) + 0.999999);
  if (need == 0) need = 1;
  std::uint64_t seen = 0;
  for (std::size_t n = 0; n < caption_tokens.size(); ++n) {
    seen += caption_tokens[n];
    if (seen >= need) return n;
  }
  return caption_tokens.size() - 1;
}

double ShardStats::mean_tokens() const {
  std::uint64_t total = captions();
  if (total == 0) return 0.0;
  double sum = 0;
  for (std::size_t n = 0; n < caption_tokens.size(); ++n) sum += static_cast<double>(n) * caption_tokens[n];
  return sum / static_cast<double>(total);
}

std::uint64_t ShardStats::max_tokens() const {
  for (std::size_t n = caption_tokens.size(); n > 0; --n) {
    if (caption_tokens[n - 1] > 0) return n - 1;
  }
  return 0;
}

std::vector<std::pair<std::string, std::uint64_t>> ShardStats::token_histogram() const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  std::size_t lo = 0, hi = 1;
  while (lo < caption_tokens.size()) {
    std::uint64_t count = 0;
    for (std::size_t n = lo; n < hi && n < caption_tokens.size(); ++n) count += caption_tokens[n];
    out.emplace_back(hi - lo == 1 ? fmt::format("{}", lo) : fmt::format("{}-{}", lo, hi - 1), count);
    lo = hi;
    hi *= 2;
  }
  return out;
}

nlohmann::json ShardStats::to_json() const {
  nlohmann::json j;
  j["shards"] = shards;
  j["samples"] = samples;
  j["file_bytes"] = file_bytes;
  for (const auto& [ext, f] : fields) j["fields"][ext] = {{"count", f.count}, {"bytes", f.bytes}};
  j["with_image"] = with_image;
  j["with_caption"] = with_caption;
  j["caption_tokens"] = {{"captions", captions()},      {"mean", mean_tokens()},
                         {"p50", token_quantile(0.5)},  {"p90", token_quantile(0.9)},
                         {"p99", token_quantile(0.99)}, {"max", max_tokens()}};
  nlohmann::json hist = nlohmann::json::array();
  for (const auto& [bucket, count] : token_histogram()) hist.push_back({bucket, count});
  j["caption_tokens"]["histogram"] = hist;
  j["skipped"] = skipped;
  return j;
}

ShardStats compute_shard_stats(const std::vector<std::string>& shards, const Tokenizer& tokenizer,
                               const ShardStatsOptions& options) {
  std::vector<ShardStats> per_shard(shards.size());
  ThreadPool pool(options.threads);
  Progress progress("stats", shards.size(), "shards");
  pool.parallel_for(shards.size(), [&](std::size_t i) {
    ShardStats& s = per_shard[i];
    SkipCounter skipped;
    TarReaderOptions ro;
    ro.on_bad = options.skip_bad ? OnBadInput::kSkip : OnBadInput::kFail;
    ro.skipped = &skipped;
    s.shards = 1;
    std::error_code ec;
    auto size = std::filesystem::file_size(shards[i], ec);
    s.file_bytes = ec ? 0 : size;
    TarReader reader(shards[i], ro);
    std::vector<std::int32_t> ids;
    while (auto sample = reader.next()) {
      s.samples++;
      for (const auto& field : sample->fields) {
        s.fields[field.ext].count++;
        s.fields[field.ext].bytes += field.bytes.size();
      }
      if (sample->find(kImageExtensions)) s.with_image++;
      if (const Field* caption = sample->find(kTextExtensions)) {
        s.with_caption++;
        ids.clear();
        tokenizer.encode_append(caption->bytes, ids);
        if (s.caption_tokens.size() <= ids.size()) s.caption_tokens.resize(ids.size() + 1);
        s.caption_tokens[ids.size()]++;
      }
    }
    s.skipped = skipped.by_reason();
    progress.add();
  });
  progress.finish();
  ShardStats total;
  for (const auto& s : per_shard) total.merge(s);
  return total;
}

}  // namespace oqvl::data
