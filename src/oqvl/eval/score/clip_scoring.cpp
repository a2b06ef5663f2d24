#include "oqvl/eval/score/clip_scoring.h"

#include <torch/torch.h>

#include <chrono>
#include <optional>
#include <set>

#include "oqvl/core/bad_input.h"
#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/log.h"
#include "oqvl/core/progress.h"
#include "oqvl/core/thread_pool.h"
#include "oqvl/core/interrupt.h"
#include "oqvl/data/image/image_preprocess.h"
#include "oqvl/data/io/parquet_table.h"
#include "oqvl/data/text/sentencepiece_tokenizer.h"
#include "oqvl/data/io/tar_reader.h"
#include "oqvl/data/curate/uid_list.h"
#include "oqvl/model/device.h"
#include "oqvl/model/runtime.h"
#include "oqvl/model/siglip_clip.h"

namespace oqvl::eval {
namespace fs = std::filesystem;
using model::ClipMetric;
using model::load_siglip_clip;
using model::parse_clip_metric;
using model::parse_device;
using model::set_torch_threads;
using model::siglip_image_settings;
using model::SiglipClipModel;

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// RFC 4180 quoting where needed (the score-table reader understands it).
std::string csv_cell(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The sample's uid (data::sample_uid) as the table writes it: 32 lower-case hex digits, or "".
std::string uid_cell(const data::Sample& sample) {
  const auto uid = data::sample_uid(sample);
  return uid ? data::format_uid_hex(*uid) : "";
}

struct ScoreRow {
  std::string uid, key;  // uid "" = the sample has none
  float score = 0;
};

// A shard's table: CSV with 9 significant digits (a float's round trip), or Parquet with the
// score as a double and a missing uid as null.
void write_table(const fs::path& path, const std::vector<ScoreRow>& rows, const ClipScoreOptions& o) {
  if (o.format == "parquet") {
    std::vector<nlohmann::json> json_rows;
    json_rows.reserve(rows.size());
    for (const auto& r : rows) {
      json_rows.push_back({{"uid", r.uid.empty() ? nlohmann::json() : nlohmann::json(r.uid)},
                           {"key", r.key},
                           {o.column, static_cast<double>(r.score)}});
    }
    using Type = data::ParquetColumn::Type;
    // Types fixed (an empty table or one without uids keeps its schema).
    data::write_parquet(path, data::parquet_columns_from_json(json_rows, {"uid", "key", o.column},
                                                              {Type::kString, Type::kString, Type::kDouble}));
    return;
  }
  std::string csv = "uid,key," + o.column + "\n";
  for (const auto& r : rows) csv += fmt::format("{},{},{:.9g}\n", csv_cell(r.uid), csv_cell(r.key), r.score);
  write_file_atomic(path, csv);
}

struct Pending {  // one sample of the batch being assembled
  std::string uid, key, caption;
  const data::Field* image = nullptr;
  data::Sample sample;  // owns the bytes
  bool ok = false;
  std::string failure;
};

struct Scorer {
  const ClipScoreOptions& options;
  SiglipClipModel model{nullptr};
  std::optional<data::SiglipTokenizer> tokenizer;
  data::PreprocessConfig pre;
  ClipMetric metric = ClipMetric::kSigmoid;
  torch::Device device{torch::kCPU};
  ThreadPool pool;
  double model_seconds = 0;

  explicit Scorer(const ClipScoreOptions& o) : options(o), pool(resolve_thread_count(o.threads)) {
    metric = parse_clip_metric(o.metric);
    device = parse_device(o.device);
    tokenizer.emplace(data::SiglipTokenizer::from_folder(o.model));
    model = load_siglip_clip(o.model);
    model->to(device);
    const auto settings = siglip_image_settings(o.model, model->config().vision);
    pre.width = settings.width;
    pre.height = settings.height;
    pre.filter = settings.resample == 2 ? data::ResampleFilter::kBilinear : data::ResampleFilter::kBicubic;
    for (int c = 0; c < 3; ++c) {
      pre.mean[c] = settings.mean[c];
      pre.std[c] = settings.std[c];
    }
  }

  // Decodes, tokenizes and scores `batch`; appends rows for the samples that could be scored.
  void score(std::vector<Pending>& batch, std::vector<ScoreRow>& rows, ClipScoreReport& report) {
    const auto n = batch.size();
    const auto max_len = tokenizer->options().max_length;
    const std::size_t image_size = data::preprocessed_size(pre);
    std::vector<float> pixels(n * image_size);
    std::vector<std::int64_t> ids(n * static_cast<std::size_t>(max_len));
    pool.parallel_for(n, [&](std::size_t i) {
      Pending& p = batch[i];
      try {
        const auto& bytes = p.image->bytes;
        data::preprocess_encoded({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, pre,
                                 {pixels.data() + i * image_size, image_size});
      } catch (const Error&) {
        p.failure = "undecodable image";
        return;
      }
      const auto row = tokenizer->encode_padded(p.caption);
      std::copy(row.begin(), row.end(), ids.begin() + static_cast<std::ptrdiff_t>(i * max_len));
      p.ok = true;
    });
    std::vector<std::int64_t> good;
    for (std::size_t i = 0; i < n; ++i) {
      if (batch[i].ok) {
        good.push_back(static_cast<std::int64_t>(i));
      } else {
        ++report.unscored[batch[i].failure];
      }
    }
    if (good.empty()) return;
    const auto t0 = Clock::now();
    auto index = torch::tensor(good, torch::kLong);
    auto pix = torch::from_blob(pixels.data(), {static_cast<std::int64_t>(n), 3, pre.height, pre.width},
                                torch::kFloat)
                   .index_select(0, index)
                   .to(device);
    auto tok = torch::from_blob(ids.data(), {static_cast<std::int64_t>(n), max_len}, torch::kLong)
                   .index_select(0, index)
                   .to(device);
    torch::Tensor scores;
    {
      torch::NoGradGuard no_grad;
      scores = model->pair_scores(pix, tok, metric).to(torch::kCPU).contiguous();
    }
    model_seconds += since(t0);
    const float* s = scores.data_ptr<float>();
    for (std::size_t k = 0; k < good.size(); ++k) {
      const Pending& p = batch[static_cast<std::size_t>(good[k])];
      rows.push_back(ScoreRow{p.uid, p.key, s[k]});
      ++report.scored;
      if (p.uid.empty()) ++report.without_uid;
    }
  }
};

}  // namespace

nlohmann::json ClipScoreReport::to_json() const {
  nlohmann::json j;
  j["job"] = job;
  j["device"] = device;
  j["shards"] = shards;
  j["shards_resumed"] = shards_resumed;
  j["samples"] = samples;
  j["pairs_scored"] = scored;
  j["without_uid"] = without_uid;
  std::uint64_t unscored_total = 0;
  for (const auto& [reason, count] : unscored) unscored_total += count;
  j["unscored"] = unscored_total;
  j["unscored_by_reason"] = unscored;
  j["skipped"] = skipped;
  j["seconds"] = seconds;
  j["model_seconds"] = model_seconds;
  j["pairs_per_second"] = pairs_per_second();
  j["tables"] = tables;
  return j;
}

fs::path clip_score_report_path(const ClipScoreOptions& options) {
  return data::job_summary_path(options.out, "score-clip", options.job);
}

fs::path clip_score_table_path(const ClipScoreOptions& options, const std::string& shard) {
  std::string stem = fs::path(shard).filename().string();
  if (stem.ends_with(".tar")) stem.resize(stem.size() - 4);
  return options.out / (stem + ".clip." + options.format);
}

ClipScoreReport run_clip_scoring(const std::vector<std::string>& shards, const ClipScoreOptions& o) {
  const auto start = Clock::now();
  if (o.batch_size < 1) fail("--batch-size must be at least 1");
  if (o.column.empty() || o.column == "uid" || o.column == "key" ||
      o.column.find_first_of(",\"\r\n") != std::string::npos) {
    fail("--column '{}' must be a plain name other than uid and key", o.column);
  }
  if (o.format != "csv" && o.format != "parquet") fail("--format '{}' must be csv or parquet", o.format);
  if (o.format == "parquet") data::require_parquet("--format parquet");
  ClipScoreReport report;
  report.job = data::job_tag(o.job);
  report.device = o.device;
  report.shards = shards.size();
  std::set<fs::path> outputs;
  for (const auto& s : shards) {
    if (s == "-") fail("oqvl score clip names its tables after the shards: standard input is not supported");
    if (!outputs.insert(clip_score_table_path(o, s)).second) {
      fail("two input shards would write the same table {} (same file name)",
           clip_score_table_path(o, s).string());
    }
  }
  ensure_writable_dir(o.out);
  std::vector<std::string> todo;
  for (const auto& s : shards) {
    if (fs::exists(clip_score_table_path(o, s))) {
      ++report.shards_resumed;
    } else {
      todo.push_back(s);
    }
  }
  if (!todo.empty()) {
    set_torch_threads(o.threads);
    Scorer scorer(o);
    SkipCounter skipped;
    data::TarReaderOptions reader_options;
    reader_options.on_bad = o.skip_bad ? OnBadInput::kSkip : OnBadInput::kFail;
    reader_options.skipped = &skipped;
    Progress progress("score clip", todo.size(), "shards");
    for (const auto& shard : todo) {
      std::vector<ScoreRow> rows;
      data::TarReader reader(shard, reader_options);
      std::vector<Pending> batch;
      auto flush = [&] {
        scorer.score(batch, rows, report);
        batch.clear();
      };
      while (auto sample = reader.next()) {
        throw_if_interrupted("score clip");
        ++report.samples;
        Pending p;
        p.sample = std::move(*sample);
        p.key = p.sample.key;
        p.image = p.sample.find(data::kImageExtensions);
        const data::Field* caption = p.sample.find(data::kTextExtensions);
        if (!p.image) {
          ++report.unscored["missing image"];
          continue;
        }
        if (!caption) {
          ++report.unscored["missing caption"];
          continue;
        }
        p.caption = caption->bytes;
        p.uid = uid_cell(p.sample);
        batch.push_back(std::move(p));
        // Moving a Sample keeps its fields' heap buffers, but re-point to be safe.
        batch.back().image = batch.back().sample.find(data::kImageExtensions);
        if (batch.size() == static_cast<std::size_t>(o.batch_size)) flush();
      }
      if (!batch.empty()) flush();
      const fs::path table = clip_score_table_path(o, shard);
      write_table(table, rows, o);
      report.tables.push_back(table.filename().string());
      progress.add();
    }
    report.skipped = skipped.by_reason();
    report.model_seconds = scorer.model_seconds;
  }
  report.seconds = since(start);
  write_file_atomic(clip_score_report_path(o), report.to_json().dump(2) + "\n");
  return report;
}

}  // namespace oqvl::eval
