#include "oqvl/data/curate/filter.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <regex>
#include <unordered_set>

#include "oqvl/core/bad_input.h"
#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/interrupt.h"
#include "oqvl/core/progress.h"
#include "oqvl/core/thread_pool.h"
#include "oqvl/data/text/caption_text.h"
#include "oqvl/data/curate/content_hash.h"
#include "oqvl/data/curate/filter_rules.h"
#include "oqvl/data/image/image.h"
#include "oqvl/data/io/tar_reader.h"
#include "oqvl/data/io/tar_writer.h"

namespace oqvl::data {
namespace fs = std::filesystem;
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

enum class Status : std::uint8_t { kPass, kRuleFailed, kUndecodable, kBad };

// What pass 1 remembers of a sample: ~48 bytes, so tens of millions fit in memory.
struct Decision {
  Status status = Status::kPass;
  bool has_uid = false;
  bool caption_changed = false;
  Uid128 uid;
  std::uint64_t image_hash = 0;
  std::uint64_t text_hash = 0;  // (url, caption)
};

struct ShardDecisions {
  std::vector<Decision> samples;
  std::vector<FilterRuleCount> rules;
  std::uint64_t undecodable = 0, bad = 0, without_uid = 0;
  std::vector<std::uint64_t> without_row;  // by table
  SkipCounter skipped;
};

// Everything the per-sample work needs, shared read-only by the workers.
struct FilterPlan {
  const FilterOptions* options = nullptr;
  std::vector<ScoreTable> tables;
  std::map<std::string, UidSet> uid_sets;
  RuleSet rules;
  bool dedup_uid = false, dedup_image = false, dedup_text = false;
  bool needs_json = false, needs_caption = false, needs_image = false;
  std::vector<bool> table_used;
};

TarReaderOptions reader_options(const FilterOptions& o, SkipCounter* skipped) {
  TarReaderOptions r;
  r.on_bad = o.skip_bad ? OnBadInput::kSkip : OnBadInput::kFail;
  r.skipped = skipped;
  return r;
}

std::string caption_of(const Sample& s, const FilterOptions& o) {
  const Field* txt = s.find(kTextExtensions);
  if (!txt) return {};
  return o.clean_captions ? clean_caption_whitespace(txt->bytes) : txt->bytes;
}

// Pass 1 for one sample.
Decision decide(const Sample& s, const FilterPlan& plan, ShardDecisions& out) {
  const FilterOptions& o = *plan.options;
  Decision d;
  SampleFacts facts;
  facts.key = s.key;
  for (double& p : facts.property) p = kNaN;

  std::string caption;
  if (plan.needs_caption) {
    caption = caption_of(s, o);
    const Field* txt = s.find(kTextExtensions);
    d.caption_changed = o.clean_captions && txt && caption != txt->bytes;
    CaptionMeasures m = measure_caption(caption);
    facts.has_caption = m.words > 0;
    facts.property[static_cast<int>(SampleProperty::kCaptionWords)] = static_cast<double>(m.words);
    facts.property[static_cast<int>(SampleProperty::kCaptionChars)] = static_cast<double>(m.code_points);
  }

  std::string url;
  if (plan.needs_json) {
    const Field* json = s.find(kJsonExtensions);
    if (json) {
      nlohmann::json j = nlohmann::json::parse(json->bytes, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded() || !j.is_object()) {
        if (!o.skip_bad)
          fail("sample {}: its json does not parse (use --skip-bad to drop such samples)", s.where());
        out.skipped.add("malformed sample json");
        ++out.bad;
        d.status = Status::kBad;
        return d;
      }
      facts.uid = sample_uid(j);
      auto u = j.find("url");
      if (u != j.end() && u->is_string()) url = u->get<std::string>();
    }
    if (!facts.uid && (plan.rules.needs_uid() || plan.dedup_uid)) ++out.without_uid;
  }

  const Field* image = plan.needs_image ? s.find(kImageExtensions) : nullptr;
  if (image && (plan.rules.needs_probe() || plan.rules.needs_decode())) {
    facts.has_image = true;
    try {
      ImageInfo info = probe_image(as_bytes(image->bytes));
      facts.image_readable = true;
      double w = info.width, h = info.height;
      auto set = [&](SampleProperty p, double v) { facts.property[static_cast<int>(p)] = v; };
      set(SampleProperty::kImageWidth, w);
      set(SampleProperty::kImageHeight, h);
      set(SampleProperty::kImageMinSide, std::min(w, h));
      set(SampleProperty::kImageMaxSide, std::max(w, h));
      set(SampleProperty::kImageAspectRatio, std::min(w, h) > 0 ? std::max(w, h) / std::min(w, h) : kNaN);
      if (plan.rules.needs_decode()) {
        decode_image(as_bytes(image->bytes));
        facts.image_decodable = true;
      }
    } catch (const Error&) {
      // A corrupt image is a filtering outcome, not an error: the sample is dropped and counted.
      ++out.undecodable;
      d.status = Status::kUndecodable;
      return d;
    }
  }

  // Scores: one lookup per table per sample.
  std::vector<std::int64_t> rows(plan.tables.size(), -2);
  for (std::size_t t = 0; t < plan.tables.size(); ++t) {
    if (!plan.table_used[t]) continue;
    const ScoreTable& table = plan.tables[t];
    rows[t] = table.keyed_by_uid() ? (facts.uid ? table.find_uid(*facts.uid) : -1) : table.find_key(s.key);
    if (rows[t] < 0) ++out.without_row[t];
  }
  for (const ScoreColumnRef& ref : plan.rules.score_columns()) {
    std::int64_t row = rows[ref.table];
    facts.scores.push_back(row < 0 ? kNaN : plan.tables[ref.table].value(row, ref.column));
  }

  for (std::size_t i = 0; i < plan.rules.rules().size(); ++i) {
    if (!plan.rules.holds(i, facts)) {
      ++out.rules[i].failed;
      if (d.status == Status::kPass) {
        ++out.rules[i].dropped;
        d.status = Status::kRuleFailed;
      }
    }
  }
  if (d.status != Status::kPass) return d;

  if (facts.uid) {
    d.has_uid = true;
    d.uid = *facts.uid;
  }
  if (plan.dedup_image && image) d.image_hash = content_hash64(image->bytes) | 1;  // 0 = none
  if (plan.dedup_text) {
    std::string joined = url;
    joined += '\0';
    joined += caption;
    d.text_hash = content_hash64(joined) | 1;
  }
  return d;
}

nlohmann::json options_json(const std::vector<std::string>& shards, const FilterOptions& o) {
  nlohmann::json j;
  j["keep"] = o.keep;
  j["scores"] = o.scores;
  std::vector<std::string> dedup;
  for (DedupKind k : o.dedup) dedup.emplace_back(dedup_name(k));
  j["dedup"] = dedup;
  j["clean_captions"] = o.clean_captions;
  j["shard_size"] = o.shard_size;
  j["skip_bad"] = o.skip_bad;
  j["job"] = job_tag(o.job);
  j["inputs"] = shards;
  // Sizes catch an input or table replaced between runs (a cheap stand-in for a checksum).
  auto size = [](const fs::path& p) {
    std::error_code ec;
    std::uintmax_t n = fs::file_size(p, ec);
    return ec ? std::uint64_t{0} : static_cast<std::uint64_t>(n);
  };
  std::uint64_t bytes = 0;
  for (const auto& s : shards) bytes += size(s);
  j["input_bytes"] = bytes;
  std::vector<std::uint64_t> table_bytes;
  for (const auto& spec : o.scores) {
    std::uint64_t n = 0;
    for (const auto& f : score_table_files(parse_score_table_spec(spec).path)) n += size(f);
    table_bytes.push_back(n);
  }
  j["table_bytes"] = table_bytes;
  j["hash"] = content_hash_name();
  return j;
}

// Removes this job's output shards of an earlier, different run (they would mix with ours).
void remove_stale_outputs(const fs::path& out, const std::string& tag) {
  std::regex name(std::regex_replace(tag, std::regex("[-]"), "\\-") + "-[0-9]{6}\\.tar");
  for (const auto& entry : fs::directory_iterator(out)) {
    if (std::regex_match(entry.path().filename().string(), name)) fs::remove(entry.path());
  }
}

}  // namespace

std::string_view dedup_name(DedupKind kind) {
  switch (kind) {
    case DedupKind::kUid: return "uid";
    case DedupKind::kImage: return "image";
    case DedupKind::kUrlCaption: return "url_caption";
  }
  return "?";
}

DedupKind parse_dedup_kind(std::string_view name) {
  if (name == "uid") return DedupKind::kUid;
  if (name == "image") return DedupKind::kImage;
  if (name == "url_caption") return DedupKind::kUrlCaption;
  fail("--dedup '{}': expected uid, image or url_caption", name);
}

fs::path filter_report_path(const FilterOptions& options) {
  return job_summary_path(options.out, "filter", options.job);
}

FilterReport run_filter(const std::vector<std::string>& shards, const FilterOptions& o) {
  auto start = std::chrono::steady_clock::now();
  if (o.shard_size == 0) fail("--shard-size must be at least 1");
  for (const auto& s : shards) {
    if (s == "-") fail("oqvl data filter reads its inputs twice: standard input ('-') is not supported");
  }
  FilterReport report;
  report.job = job_tag(o.job);
  report.options = options_json(shards, o);
  fs::path report_path = filter_report_path(o);

  if (fs::exists(report_path)) {
    try {
      FilterReport done = FilterReport::from_json(nlohmann::json::parse(read_file(report_path)));
      bool complete = done.options == report.options;
      for (const auto& s : done.output) complete = complete && fs::exists(o.out / s.path);
      if (complete) {
        done.resumed = true;
        return done;
      }
    } catch (const std::exception&) {
      // An unreadable report means an unknown state: redo the job.
    }
  }
  ensure_writable_dir(o.out);

  // Load tables and uid lists, bind the rules: every usage error surfaces before any reading.
  FilterPlan plan;
  plan.options = &o;
  for (const auto& spec : o.scores) plan.tables.push_back(ScoreTable::load(parse_score_table_spec(spec)));
  plan.rules = RuleSet::parse(o.keep);
  plan.rules.bind(plan.tables, [&](const std::string& path) -> const UidSet& {
    auto it = plan.uid_sets.find(path);
    if (it == plan.uid_sets.end()) it = plan.uid_sets.emplace(path, UidSet::load_npy(path)).first;
    return it->second;
  });
  plan.table_used.assign(plan.tables.size(), false);
  for (const auto& ref : plan.rules.score_columns()) plan.table_used[ref.table] = true;
  for (std::size_t t = 0; t < plan.tables.size(); ++t) {
    if (!plan.table_used[t]) fail("score table {} is not used by any --keep rule", plan.tables[t].path());
  }
  for (DedupKind k : o.dedup) {
    plan.dedup_uid |= k == DedupKind::kUid;
    plan.dedup_image |= k == DedupKind::kImage;
    plan.dedup_text |= k == DedupKind::kUrlCaption;
  }
  bool uid_tables = false;
  for (std::size_t t = 0; t < plan.tables.size(); ++t) uid_tables |= plan.tables[t].keyed_by_uid();
  plan.needs_json = plan.rules.needs_uid() || uid_tables || plan.dedup_uid || plan.dedup_text;
  plan.needs_caption = plan.rules.needs_caption() || o.clean_captions || plan.dedup_text;
  plan.needs_image = plan.rules.needs_probe() || plan.rules.needs_decode() || plan.dedup_image;

  // Pass 1: decide, one task per input shard.
  ThreadPool pool(resolve_thread_count(o.threads));
  std::vector<ShardDecisions> decided(shards.size());
  {
    Progress progress("filter: decide", shards.size(), "shards");
    pool.parallel_for(shards.size(), [&](std::size_t i) {
      ShardDecisions& sd = decided[i];
      for (const auto& r : plan.rules.rules()) sd.rules.push_back({r.text});
      sd.without_row.assign(plan.tables.size(), 0);
      TarReader reader(shards[i], reader_options(o, &sd.skipped));
      while (auto sample = reader.next()) {
        throw_if_interrupted("filter");
        sd.samples.push_back(decide(*sample, plan, sd));
      }
      progress.add();
    });
  }

  // Pass 2: counts and dedup in input order (first occurrence wins).
  for (const auto& r : plan.rules.rules()) report.rules.push_back({r.text});
  for (DedupKind k : o.dedup) report.duplicates[std::string(dedup_name(k))] = 0;
  for (const auto& t : plan.tables) report.without_score_row[t.path()] = 0;
  std::unordered_set<Uid128, Uid128Hash> seen_uid;
  std::unordered_set<std::uint64_t> seen_image, seen_text;
  std::vector<std::vector<std::uint8_t>> keep(shards.size());
  std::vector<std::uint64_t> kept_before(shards.size() + 1, 0);  // kept samples in shards [0, i)
  SkipCounter skipped;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    ShardDecisions& sd = decided[i];
    report.input_samples += sd.samples.size();
    for (std::size_t r = 0; r < sd.rules.size(); ++r) {
      report.rules[r].failed += sd.rules[r].failed;
      report.rules[r].dropped += sd.rules[r].dropped;
    }
    report.undecodable += sd.undecodable;
    report.bad_samples += sd.bad;
    report.without_uid += sd.without_uid;
    for (std::size_t t = 0; t < plan.tables.size(); ++t)
      report.without_score_row[plan.tables[t].path()] += sd.without_row[t];
    skipped.merge(sd.skipped);
    keep[i].assign(sd.samples.size(), 0);
    std::uint64_t kept = 0;
    for (std::size_t k = 0; k < sd.samples.size(); ++k) {
      const Decision& d = sd.samples[k];
      if (d.status != Status::kPass) continue;
      bool duplicate = false;
      for (DedupKind kind : o.dedup) {
        bool dup = (kind == DedupKind::kUid && d.has_uid && seen_uid.count(d.uid)) ||
                   (kind == DedupKind::kImage && d.image_hash && seen_image.count(d.image_hash)) ||
                   (kind == DedupKind::kUrlCaption && d.text_hash && seen_text.count(d.text_hash));
        if (dup) {
          ++report.duplicates[std::string(dedup_name(kind))];
          duplicate = true;
          break;
        }
      }
      if (duplicate) continue;
      if (plan.dedup_uid && d.has_uid) seen_uid.insert(d.uid);
      if (plan.dedup_image && d.image_hash) seen_image.insert(d.image_hash);
      if (plan.dedup_text && d.text_hash) seen_text.insert(d.text_hash);
      keep[i][k] = 1;
      ++kept;
      report.captions_cleaned += d.caption_changed;
    }
    kept_before[i + 1] = kept_before[i] + kept;
    std::vector<Decision>().swap(sd.samples);
  }
  report.skipped = skipped.by_reason();
  report.input_shards = shards.size();
  report.kept = kept_before.back();

  // Pass 3: write output shard n = kept samples [n * S, (n + 1) * S), re-read from the inputs.
  remove_stale_outputs(o.out, report.job);
  std::error_code ec;
  fs::remove(report_path, ec);
  std::uint64_t outputs = (report.kept + o.shard_size - 1) / o.shard_size;
  report.output.resize(outputs);
  {
    Progress progress("filter: write", outputs, "shards");
    pool.parallel_for(outputs, [&](std::size_t n) {
      std::uint64_t begin = n * o.shard_size, end = std::min(report.kept, begin + o.shard_size);
      // The first input shard holding kept sample `begin`.
      std::size_t shard = std::upper_bound(kept_before.begin(), kept_before.end(), begin) -
                          kept_before.begin() - 1;
      std::uint64_t index = kept_before[shard];
      ShardWriterOptions wo;
      wo.max_samples = 0;
      wo.max_bytes = 0;
      wo.first_index = n;
      ShardWriter writer((o.out / (report.job + "-{:06d}.tar")).string(), wo);
      SkipCounter ignored;  // pass 1 counted the bad input already
      for (; index < end && shard < shards.size(); ++shard) {
        TarReader reader(shards[shard], reader_options(o, &ignored));
        std::size_t k = 0;
        for (; index < end; ++k) {
          auto sample = reader.next();
          if (!sample) break;
          if (k >= keep[shard].size()) fail("input shard {} changed during the run", shards[shard]);
          if (!keep[shard][k]) continue;
          if (index++ < begin) continue;
          throw_if_interrupted("filter");
          if (o.clean_captions) {
            for (Field& f : sample->fields) {
              if (f.ext == kTextExtensions) f.bytes = clean_caption_whitespace(f.bytes);
            }
          }
          writer.write(*sample);
        }
        if (index < end && k < keep[shard].size())
          fail("input shard {} changed during the run", shards[shard]);
      }
      if (index != end)
        fail("input shards changed during the run (expected {} samples for output shard {})", end - begin, n);
      ShardWriterResult written = writer.close();
      report.output[n] = {fs::path(written.shards.at(0).path).filename().string(), written.shards[0].samples,
                          written.shards[0].bytes};
      progress.add();
    });
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  write_file_atomic(report_path, report.to_json().dump(2) + "\n");
  return report;
}

nlohmann::json FilterReport::to_json() const {
  nlohmann::json j;
  j["job"] = job;
  j["options"] = options;
  j["input"] = {{"shards", input_shards}, {"samples", input_samples}};
  j["kept"] = kept;
  nlohmann::json rule_list = nlohmann::json::array();
  std::uint64_t by_rules = 0, dups = 0;
  for (const auto& r : rules) {
    rule_list.push_back({{"rule", r.rule}, {"failed", r.failed}, {"dropped", r.dropped}});
    by_rules += r.dropped;
  }
  for (const auto& [k, n] : duplicates) dups += n;
  j["dropped"] = {{"total", input_samples - kept}, {"by_rule", rule_list},     {"rules", by_rules},
                  {"undecodable", undecodable},    {"duplicates", duplicates}, {"duplicates_total", dups},
                  {"bad_samples", bad_samples}};
  j["skipped_bad_input"] = skipped;
  j["missing"] = {{"uid", without_uid}, {"score_row", without_score_row}};
  j["captions_cleaned"] = captions_cleaned;
  nlohmann::json shards = nlohmann::json::array();
  for (const auto& s : output)
    shards.push_back({{"path", s.path}, {"samples", s.samples}, {"bytes", s.bytes}});
  j["output"] = {{"shards", shards}, {"samples", kept}};
  j["seconds"] = seconds;
  j["samples_per_second"] = seconds > 0 ? static_cast<double>(input_samples) / seconds : 0.0;
  return j;
}

FilterReport FilterReport::from_json(const nlohmann::json& j) {
  FilterReport r;
  r.job = j.at("job").get<std::string>();
  r.options = j.at("options");
  r.input_shards = j.at("input").at("shards").get<std::uint64_t>();
  r.input_samples = j.at("input").at("samples").get<std::uint64_t>();
  r.kept = j.at("kept").get<std::uint64_t>();
  const auto& d = j.at("dropped");
  for (const auto& x : d.at("by_rule")) {
    r.rules.push_back({x.at("rule").get<std::string>(), x.at("failed").get<std::uint64_t>(),
                       x.at("dropped").get<std::uint64_t>()});
  }
  r.undecodable = d.at("undecodable").get<std::uint64_t>();
  r.duplicates = d.at("duplicates").get<std::map<std::string, std::uint64_t>>();
  r.bad_samples = d.at("bad_samples").get<std::uint64_t>();
  r.skipped = j.at("skipped_bad_input").get<std::map<std::string, std::uint64_t>>();
  r.without_uid = j.at("missing").at("uid").get<std::uint64_t>();
  r.without_score_row = j.at("missing").at("score_row").get<std::map<std::string, std::uint64_t>>();
  r.captions_cleaned = j.at("captions_cleaned").get<std::uint64_t>();
  for (const auto& s : j.at("output").at("shards")) {
    r.output.push_back({s.at("path").get<std::string>(), s.at("samples").get<std::uint64_t>(),
                        s.at("bytes").get<std::uint64_t>()});
  }
  r.seconds = j.at("seconds").get<double>();
  return r;
}

}  // namespace oqvl::data
