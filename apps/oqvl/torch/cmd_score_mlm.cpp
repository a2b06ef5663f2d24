// `oqvl score mlm`: MLM-Filter scores (spec 1.4) for the image-caption pairs of WebDataset
// shards, with any oqvl vision-language checkpoint (the released MLM-Filter scorer after
// `oqvl convert`). Writes one score table per input shard, OUT/<shard>.mlm.jsonl, that
// `oqvl data filter --scores` reads: {"uid", "key", "<metric>": integer or null,
// "<metric>_output": raw text}. Shards whose table exists are skipped (resumable).
//
// Differences from the reference script, on purpose: each image goes through the vision tower
// once for all requested metrics (the reference re-encodes per metric), and left padding is
// masked (the reference passes no attention mask, so its batched scores depend on the batch;
// ours equal its batch-size-1 scores).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "oqvl/cli_common.h"
#include "oqvl/commands.h"
#include "oqvl/core/bad_input.h"
#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/log.h"
#include "oqvl/core/progress.h"
#include "oqvl/data/io/sample.h"
#include "oqvl/data/io/shard_job.h"
#include "oqvl/data/io/tar_reader.h"
#include "oqvl/eval/score/mlm_filter.h"
#include "oqvl/model/generate.h"
#include "oqvl/torch/model_flags.h"

namespace oqvl::cli {
namespace {

namespace fs = std::filesystem;

struct Options {
  ModelFlags model;
  ShardCommandFlags shards;
  std::string metrics = "semantic_understanding";
  int batch_size = 8;
  int64_t max_new_tokens = 2;
  size_t max_len = 2040;
  bool skip_bad = false;
  int64_t limit = 0;  // pairs per shard, 0 = all
};

struct Pair {
  std::string key, uid, caption;
  torch::Tensor pixels;  // [3, S, S]
};

std::string uid_of(const data::Sample& s) {
  const auto* j = s.find("json");
  if (!j) return {};
  try {
    auto json = nlohmann::json::parse(j->bytes);
    if (json.contains("uid") && json["uid"].is_string()) return json["uid"].get<std::string>();
  } catch (const nlohmann::json::exception&) {
  }
  return {};
}

struct Totals {
  int64_t scored = 0, unparsed = 0, shards_done = 0, shards_skipped = 0, new_tokens = 0;
  std::map<std::string, int64_t> unscored;  // reason -> samples
};

void run(Options& o) {
  if (o.batch_size <= 0) fail("--batch-size must be > 0");
  if (o.max_new_tokens <= 0) fail("--max-new-tokens must be > 0");
  std::vector<eval::MlmMetric> metrics;
  if (o.metrics == "all") {
    metrics.assign(std::begin(eval::kAllMlmMetrics), std::end(eval::kAllMlmMetrics));
  } else {
    size_t start = 0;
    while (start <= o.metrics.size()) {
      auto end = o.metrics.find(',', start);
      if (end == std::string::npos) end = o.metrics.size();
      metrics.push_back(eval::parse_mlm_metric(o.metrics.substr(start, end - start)));
      start = end + 1;
    }
  }
  const auto shards = o.shards.job_shards();
  if (o.shards.out.empty()) fail("--out is required");
  ensure_writable_dir(o.shards.out);
  o.model.threads = o.shards.threads;
  auto m = load_model(o.model);
  const auto& cfg = m.model->config();

  model::GenerationConfig gen;
  gen.max_new_tokens = o.max_new_tokens;
  gen.pad_id = cfg.pad_id;
  gen.stop_ids = {cfg.eos_id, cfg.pad_id};
  eval::MlmPromptOptions po;
  po.max_len = o.max_len;
  po.placeholder = cfg.image_placeholder;
  auto decode = [&](const std::vector<int64_t>& ids) {
    std::vector<int32_t> v(ids.begin(), ids.end());
    return m.tokenizer->decode(v, /*skip_special=*/true, /*skip_unknown=*/true);
  };

  Totals totals;
  SkipCounter skipped;
  const auto t0 = std::chrono::steady_clock::now();
  Progress progress("score mlm", shards.size(), "shards");
  torch::InferenceMode inference;
  for (const auto& shard : shards) {
    const fs::path table = fs::path(o.shards.out) / (fs::path(shard).stem().string() + ".mlm.jsonl");
    if (fs::exists(table)) {
      ++totals.shards_skipped;
      progress.add(1);
      continue;
    }
    AtomicFile out(table);
    data::TarReaderOptions ro;
    if (o.skip_bad) {
      ro.on_bad = OnBadInput::kSkip;
      ro.skipped = &skipped;
    }
    data::TarReader reader(shard, ro);
    std::vector<Pair> batch;
    auto flush = [&] {
      if (batch.empty()) return;
      std::vector<torch::Tensor> pixels;
      for (const auto& p : batch) pixels.push_back(p.pixels);
      auto tokens = m.model->encode_images(torch::stack(pixels).to(m.device, m.dtype), m.image_tokens);
      std::vector<nlohmann::json> rows(batch.size());
      for (size_t i = 0; i < batch.size(); ++i) {
        if (!batch[i].uid.empty()) rows[i]["uid"] = batch[i].uid;
        rows[i]["key"] = batch[i].key;
      }
      for (auto metric : metrics) {
        std::vector<torch::Tensor> prompts;
        for (size_t i = 0; i < batch.size(); ++i)
          prompts.push_back(m.model->prompt_embeds(eval::mlm_prompt_ids(*m.tokenizer, batch[i].caption, metric, po),
                                                   tokens.narrow(0, i, 1)));
        auto results = model::generate_from_embeds(m.model->llm, prompts, gen, decode);
        const std::string name(eval::mlm_metric_name(metric));
        for (size_t i = 0; i < batch.size(); ++i) {
          const auto text = decode(results[i].tokens);
          totals.new_tokens += results[i].tokens.size();
          const auto score = eval::parse_mlm_score(text);
          rows[i][name] = score ? nlohmann::json(*score) : nlohmann::json(nullptr);
          rows[i][name + "_output"] = text;
          if (!score) ++totals.unparsed;
        }
      }
      for (const auto& r : rows) out.write(r.dump() + "\n");
      totals.scored += batch.size();
      batch.clear();
    };
    int64_t taken = 0;
    while (auto s = reader.next()) {
      if (o.limit > 0 && taken >= o.limit) break;
      const auto* image = s->find(data::kImageExtensions);
      const auto* text = s->find(data::kTextExtensions);
      if (!image) { ++totals.unscored["no image"]; continue; }
      if (!text) { ++totals.unscored["no caption"]; continue; }
      Pair p{s->key, uid_of(*s), text->bytes, {}};
      try {
        p.pixels = model::preprocess_for_vlm(
            {reinterpret_cast<const std::uint8_t*>(image->bytes.data()), image->bytes.size()}, cfg);
      } catch (const Error&) {
        ++totals.unscored["undecodable image"];
        continue;
      }
      batch.push_back(std::move(p));
      ++taken;
      if (static_cast<int>(batch.size()) == o.batch_size) flush();
    }
    flush();
    out.commit();
    ++totals.shards_done;
    progress.add(1);
  }
  progress.finish();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  int64_t unscored = 0;
  for (const auto& [k, v] : totals.unscored) unscored += v;
  nlohmann::json summary = {
      {"command", "score mlm"},
      {"model", o.model.model},
      {"metrics", o.metrics},
      {"shards", shards.size()},
      {"shards_scored", totals.shards_done},
      {"shards_skipped_existing", totals.shards_skipped},
      {"pairs_scored", totals.scored},
      {"outputs_not_integer", totals.unparsed},
      {"unscored", totals.unscored},
      {"skipped_bad_input", skipped.by_reason()},
      {"seconds", seconds},
      {"pairs_per_second", totals.scored / std::max(seconds, 1e-9)},
  };
  const auto summary_path = fs::path(o.shards.out) / ("score-mlm-" + data::job_tag(o.shards.job) + ".summary.json");
  write_file_atomic(summary_path, summary.dump(2) + "\n");
  log::info("scored {} pairs ({} unscored, {} outputs not an integer) in {:.1f} s, {:.2f} pairs/s; tables in {}",
            totals.scored, unscored, totals.unparsed, seconds, totals.scored / std::max(seconds, 1e-9),
            o.shards.out);
}

}  // namespace

void register_score_mlm(CLI::App& score) {
  auto o = std::make_shared<Options>();
  auto* cmd = score.add_subcommand("mlm", "MLM-Filter quality scores for image-caption shards (score tables for data filter)");
  add_model_flags(cmd, o->model, /*with_threads=*/false);
  add_shard_command_flags(cmd, o->shards, /*with_tokenizer=*/false);
  cmd->add_option("--metric", o->metrics,
                  "semantic_understanding (the paper's), image_text_matching, object_detail_fulfillment, "
                  "caption_text_quality, a comma list, or all")
      ->capture_default_str();
  cmd->add_option("--batch-size", o->batch_size, "pairs per forward")->capture_default_str();
  cmd->add_option("--max-new-tokens", o->max_new_tokens, "generated tokens per score (the reference: 2)")
      ->capture_default_str();
  cmd->add_option("--max-len", o->max_len, "prompt tokens kept before the whitespace token")->capture_default_str();
  cmd->add_option("--limit", o->limit, "score only the first N pairs of each shard (0 = all; trial runs: the table then holds only those, and a rerun skips it)")
      ->capture_default_str();
  cmd->add_flag("--skip-bad", o->skip_bad, "skip and count bad shard content instead of stopping");
  cmd->callback([o] { run(*o); });
}

}  // namespace oqvl::cli
