#include "oqvl/eval/score/mlm_scoring.h"

#include <torch/torch.h>

#include <chrono>
#include <optional>

#include "oqvl/core/bad_input.h"
#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/log.h"
#include "oqvl/core/progress.h"
#include "oqvl/core/interrupt.h"
#include "oqvl/data/curate/uid_list.h"
#include "oqvl/data/io/parquet_table.h"
#include "oqvl/data/io/sample.h"
#include "oqvl/data/io/tar_reader.h"
#include "oqvl/model/generate.h"

namespace oqvl::eval {

namespace fs = std::filesystem;

namespace {

struct Pair {
  std::string key, uid, caption;
  torch::Tensor pixels;  // [3, S, S]
};

}  // namespace

nlohmann::json MlmScoreReport::to_json(const MlmScoreOptions& options) const {
  std::vector<std::string> metric_names;
  for (auto m : options.metrics) metric_names.emplace_back(mlm_metric_name(m));
  return {
      {"command", "score mlm"},
      {"job", job},
      {"model", options.model_name},
      {"metrics", metric_names},
      {"shards", shards},
      {"shards_scored", shards_scored},
      {"shards_skipped_existing", shards_skipped_existing},
      {"pairs_scored", pairs_scored},
      {"outputs_not_integer", outputs_not_integer},
      {"new_tokens", new_tokens},
      {"unscored", unscored},
      {"skipped_bad_input", skipped},
      {"tables", tables},
      {"seconds", seconds},
      {"pairs_per_second", pairs_per_second()},
  };
}

std::vector<MlmMetric> parse_mlm_metrics(std::string_view spec) {
  if (spec == "all") return {std::begin(kAllMlmMetrics), std::end(kAllMlmMetrics)};
  std::vector<MlmMetric> metrics;
  std::size_t start = 0;
  while (start <= spec.size()) {
    auto end = spec.find(',', start);
    if (end == std::string_view::npos) end = spec.size();
    metrics.push_back(parse_mlm_metric(spec.substr(start, end - start)));
    start = end + 1;
  }
  return metrics;
}

fs::path mlm_score_table_path(const fs::path& out, const std::string& shard, const std::string& format) {
  return out / (fs::path(shard).stem().string() + ".mlm." + format);
}

namespace {

// The rows as Parquet: uid (when any row has one), key, then each metric's score and output.
void write_parquet_table(const fs::path& path, const std::vector<nlohmann::json>& rows,
                         const std::vector<MlmMetric>& metrics) {
  std::vector<std::string> names;
  bool any_uid = false;
  for (const auto& r : rows) any_uid = any_uid || r.contains("uid");
  if (any_uid) names.emplace_back("uid");
  names.emplace_back("key");
  for (auto m : metrics) {
    names.emplace_back(mlm_metric_name(m));
    names.push_back(std::string(mlm_metric_name(m)) + "_output");
  }
  // Types fixed by the column, not the values: a shard whose scores are all null keeps int64.
  std::vector<data::ParquetColumn::Type> types(names.size(), data::ParquetColumn::Type::kString);
  for (std::size_t c = any_uid ? 2 : 1; c < names.size(); c += 2)
    types[c] = data::ParquetColumn::Type::kInt64;
  const auto columns = data::parquet_columns_from_json(rows, names, types);
  data::write_parquet(path, columns);
}

}  // namespace

MlmScoreReport run_mlm_scoring(const std::vector<std::string>& shards, model::OpenQwen2VL& vlm,
                               const data::Tokenizer& tokenizer, const MlmScoreOptions& o) {
  if (o.batch_size <= 0) fail("--batch-size must be > 0");
  if (o.max_new_tokens <= 0) fail("--max-new-tokens must be > 0");
  if (o.metrics.empty()) fail("no MLM-Filter metric to score");
  if (o.out.empty()) fail("--out is required");
  if (o.format != "jsonl" && o.format != "parquet") fail("--format '{}' must be jsonl or parquet", o.format);
  if (o.format == "parquet") data::require_parquet("--format parquet");
  ensure_writable_dir(o.out);
  const auto& cfg = vlm->config();
  const std::int64_t image_tokens = o.image_tokens > 0 ? o.image_tokens : cfg.image_tokens;
  const auto weights = vlm->parameters().front();

  model::GenerationConfig gen;
  gen.max_new_tokens = o.max_new_tokens;
  gen.pad_id = cfg.pad_id;
  gen.stop_ids = {cfg.eos_id, cfg.pad_id};
  MlmPromptOptions po;
  po.max_len = o.max_len;
  po.placeholder = cfg.image_placeholder;
  auto decode = [&](const std::vector<std::int64_t>& ids) {
    std::vector<std::int32_t> v(ids.begin(), ids.end());
    return tokenizer.decode(v, /*skip_special=*/true, /*skip_unknown=*/true);
  };

  MlmScoreReport report;
  report.job = data::job_tag(o.job);
  report.shards = shards.size();
  SkipCounter skipped;
  const auto t0 = std::chrono::steady_clock::now();
  Progress progress("score mlm", shards.size(), "shards");
  torch::InferenceMode inference;
  for (const auto& shard : shards) {
    const fs::path table = mlm_score_table_path(o.out, shard, o.format);
    if (fs::exists(table)) {
      ++report.shards_skipped_existing;
      progress.add(1);
      continue;
    }
    const bool parquet = o.format == "parquet";
    std::optional<AtomicFile> out;  // jsonl: rows stream out; parquet: collected, written at the end
    if (!parquet) out.emplace(table);
    std::vector<nlohmann::json> table_rows;
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
      // Each image through the tower once, for every metric.
      auto tokens = vlm->encode_images(torch::stack(pixels).to(weights.device(), weights.scalar_type()),
                                       image_tokens);
      std::vector<nlohmann::json> rows(batch.size());
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (!batch[i].uid.empty()) rows[i]["uid"] = batch[i].uid;
        rows[i]["key"] = batch[i].key;
      }
      for (auto metric : o.metrics) {
        std::vector<torch::Tensor> prompts;
        for (std::size_t i = 0; i < batch.size(); ++i)
          prompts.push_back(vlm->prompt_embeds(mlm_prompt_ids(tokenizer, batch[i].caption, metric, po),
                                               tokens.narrow(0, static_cast<std::int64_t>(i), 1)));
        auto results = model::generate_from_embeds(vlm->llm, prompts, gen, decode);
        const std::string name(mlm_metric_name(metric));
        for (std::size_t i = 0; i < batch.size(); ++i) {
          const auto text = decode(results[i].tokens);
          report.new_tokens += results[i].tokens.size();
          const auto score = parse_mlm_score(text);
          rows[i][name] = score ? nlohmann::json(*score) : nlohmann::json(nullptr);
          rows[i][name + "_output"] = text;
          if (!score) ++report.outputs_not_integer;
        }
      }
      for (auto& r : rows) {
        if (parquet) {
          table_rows.push_back(std::move(r));
        } else {
          out->write(r.dump() + "\n");
        }
      }
      report.pairs_scored += batch.size();
      batch.clear();
    };
    std::int64_t taken = 0;
    while (auto s = reader.next()) {
      throw_if_interrupted("score mlm");
      if (o.limit > 0 && taken >= o.limit) break;
      const auto* image = s->find(data::kImageExtensions);
      const auto* text = s->find(data::kTextExtensions);
      if (!image) {
        ++report.unscored["no image"];
        continue;
      }
      if (!text) {
        ++report.unscored["no caption"];
        continue;
      }
      const auto uid = data::sample_uid(*s);
      Pair p{s->key, uid ? data::format_uid_hex(*uid) : "", text->bytes, {}};
      try {
        p.pixels = model::preprocess_for_vlm(
            {reinterpret_cast<const std::uint8_t*>(image->bytes.data()), image->bytes.size()}, cfg);
      } catch (const Error&) {
        ++report.unscored["undecodable image"];
        continue;
      }
      batch.push_back(std::move(p));
      ++taken;
      if (static_cast<int>(batch.size()) == o.batch_size) flush();
    }
    flush();
    if (parquet) {
      write_parquet_table(table, table_rows, o.metrics);
    } else {
      out->commit();
    }
    report.tables.push_back(table.filename().string());
    ++report.shards_scored;
    progress.add(1);
  }
  progress.finish();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  report.skipped = skipped.by_reason();
  write_file_atomic(data::job_summary_path(o.out, "score-mlm", o.job), report.to_json(o).dump(2) + "\n");
  return report;
}

}  // namespace oqvl::eval
