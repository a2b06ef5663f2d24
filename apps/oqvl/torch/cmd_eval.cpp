// `oqvl eval`: a multiple-choice / short-answer benchmark (MMBench, SEED-Bench, MMStar, MathVista
// TSVs as the benchmark kits ship them, open-answer VQAv2/GQA/TextVQA-style TSVs, JSONL, or the
// public VQAv2/OK-VQA/GQA/VizWiz/TextVQA question files)
// through an oqvl model with the paper's prompts,
// greedy decoding and scoring (docs/recipe.md §9.1; docs/eval.md). Writes OUT/predictions.jsonl and
// OUT/metrics.json and prints the accuracy table.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "oqvl/torch/model_commands.h"
#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/core/log.h"
#include "oqvl/core/progress.h"
#include "oqvl/eval/answer.h"
#include "oqvl/eval/benchmark.h"
#include "oqvl/eval/circular.h"
#include "oqvl/eval/few_shot.h"
#include "oqvl/eval/report.h"
#include "oqvl/eval/runner.h"
#include "oqvl/torch/model_flags.h"
#include "oqvl/core/interrupt.h"

namespace oqvl::cli {
namespace {

namespace fs = std::filesystem;

struct Options {
  ModelFlags model;
  std::string bench;
  std::string format = "auto";
  std::string kind = "auto";
  std::string out;
  std::string annotations, images;
  std::string rule = "paper";
  bool circular = false;
  bool make_circular = false;
  bool include_hint = false;
  bool no_ocr = false;
  bool skip_malformed = false;
  std::size_t shots = 0;
  int seeds = 1;
  std::string support;
  std::int64_t context = 4096;
  bool no_prefix_cache = false;
  int batch_size = 8;
  int64_t max_new_tokens = 16;
  size_t limit = 0;
};

// --shots K --seeds S: one run per seed (seed s draws its K demonstrations with
// eval::draw_demonstrations(support size, K, s)); OUT/seed-{s}/ holds that run's report, OUT/metrics.json
// the per-seed scores with their mean and spread.
void run_few_shot(const Options& o, const eval::Benchmark& bench, const eval::Benchmark& support,
                  LoadedModel& m, eval::RunOptions run, const eval::ScoreOptions& so) {
  nlohmann::json seeds = nlohmann::json::array();
  std::vector<double> scores;
  double seconds = 0;
  std::size_t reused = 0, recomputed = 0;
  for (int seed = 0; seed < o.seeds; ++seed) {
    const auto drawn = eval::draw_demonstrations(support.items.size(), o.shots,
                                                 static_cast<std::uint64_t>(seed));
    run.demonstrations.clear();
    nlohmann::json demo_ids = nlohmann::json::array();
    for (std::size_t i : drawn) {
      run.demonstrations.push_back(&support.items[i]);
      demo_ids.push_back(support.items[i].index);
    }
    Progress progress(fmt::format("eval seed {}", seed), bench.items.size(), "questions");
    auto result = eval::run_benchmark(m.model, *m.tokenizer, bench, run, [&](size_t n) { progress.add(n); });
    progress.finish();
    seconds += result.seconds;
    reused += result.prefix_reused;
    recomputed += result.prefix_recomputed;
    const auto judgements = eval::judge_all(bench.items, result.predictions, bench.kind, so);
    const auto summary = eval::summarize(bench, judgements);
    if (!o.out.empty())
      eval::write_report(fs::path(o.out) / fmt::format("seed-{}", seed), bench, result.predictions,
                         judgements, summary);
    std::cout << fmt::format("seed {} ({} shots: {})\n", seed, o.shots, demo_ids.dump())
              << eval::summary_table(summary);
    scores.push_back(summary.overall.mean_score());
    seeds.push_back({{"seed", seed},
                     {"demonstrations", demo_ids},
                     {"accuracy", summary.overall.accuracy()},
                     {"score", summary.overall.mean_score()},
                     {"prefix_cache",
                      {{"reused", result.prefix_reused},
                       {"recomputed", result.prefix_recomputed},
                       {"positions", result.prefix_positions}}}});
  }
  double mean = 0, var = 0;
  for (double x : scores) mean += x / static_cast<double>(scores.size());
  for (double x : scores) var += (x - mean) * (x - mean);
  const double std_dev = scores.size() > 1 ? std::sqrt(var / static_cast<double>(scores.size() - 1)) : 0.0;
  const auto [lo, hi] = std::minmax_element(scores.begin(), scores.end());
  nlohmann::json metrics = {{"benchmark", bench.file.filename().string()},
                            {"kind", std::string(eval::bench_kind_name(bench.kind))},
                            {"shots", o.shots},
                            {"support", o.support.empty() ? bench.file.string() : o.support},
                            {"seeds", seeds},
                            {"mean", mean},
                            {"std", std_dev},
                            {"min", *lo},
                            {"max", *hi}};
  if (!o.out.empty()) write_file_atomic(fs::path(o.out) / "metrics.json", metrics.dump(2) + "\n");
  std::cout << fmt::format("{} shots over {} seeds: score {:.2f} % (std {:.2f}, min {:.2f}, max {:.2f})\n",
                           o.shots, o.seeds, 100 * mean, 100 * std_dev, 100 * *lo, 100 * *hi);
  log::info("{} questions x {} seeds in {:.1f} s ({:.2f} questions/s)", bench.items.size(), o.seeds, seconds,
            static_cast<double>(bench.items.size() * o.seeds) / std::max(seconds, 1e-9));
  log::info("shared demonstration prefix: reused by {} of {} questions{}", reused, reused + recomputed,
            o.no_prefix_cache ? " (--no-prefix-cache)" : "");
}

void run(Options& o) {
  catch_interrupts();  // stop at a safe point on SIGINT/SIGTERM (core/interrupt.h)
  eval::ReadOptions ro;
  ro.format = eval::parse_bench_format(o.format);
  ro.annotations = o.annotations;
  ro.images = o.images;
  if (o.kind != "auto") ro.kind = eval::parse_bench_kind(o.kind);
  ro.skip_malformed = o.skip_malformed;
  eval::ScoreOptions so;
  if (o.rule == "strict") so.rule = eval::McRule::kStrictLetter;
  else if (o.rule != "paper") fail("--rule '{}' is not paper or strict", o.rule);
  if (o.batch_size <= 0) fail("--batch-size must be > 0");
  if (o.max_new_tokens <= 0) fail("--max-new-tokens must be > 0");
  if (!o.out.empty()) ensure_writable_dir(o.out);

  auto bench = eval::read_benchmark(o.bench, ro);
  if (bench.skipped > 0) log::warn("{}: skipped {} malformed row(s)", o.bench, bench.skipped);
  if (o.limit > 0 && bench.items.size() > o.limit) bench.items.resize(o.limit);
  if ((o.circular || o.make_circular) && eval::open_answer_kind(bench.kind))
    fail("{}: circular evaluation needs multiple-choice questions; this is an open-answer benchmark",
         o.bench);
  if (o.make_circular) bench.items = eval::make_circular(bench.items);
  if (bench.items.empty()) fail("{}: no questions", o.bench);

  if (o.shots > 0 && !eval::open_answer_kind(bench.kind))
    fail("{}: --shots needs an open-answer benchmark (open, textvqa, pope); this one is {}", o.bench,
         eval::bench_kind_name(bench.kind));
  if (o.seeds <= 0) fail("--seeds must be > 0");
  eval::Benchmark support;
  if (o.shots > 0) {
    eval::ReadOptions sro = ro;
    sro.kind = bench.kind;
    support = o.support.empty() ? bench : eval::read_benchmark(o.support, sro);
    if (support.items.size() < o.shots)
      fail("{}: {} demonstrations asked, the support set has {} questions",
           o.support.empty() ? o.bench : o.support, o.shots, support.items.size());
  }

  auto m = load_model(o.model);
  eval::RunOptions run;
  run.max_context = o.context;
  run.batch_size = o.batch_size;
  run.max_new_tokens = o.max_new_tokens;
  run.image_tokens = m.image_tokens;
  run.prompt.include_hint = o.include_hint;
  run.prompt.ocr = !o.no_ocr;
  run.reuse_prefix = !o.no_prefix_cache;
  if (o.shots > 0) return run_few_shot(o, bench, support, m, run, so);
  Progress progress("eval", bench.items.size(), "questions");
  auto result = eval::run_benchmark(m.model, *m.tokenizer, bench, run, [&](size_t n) { progress.add(n); });
  progress.finish();

  const auto judgements = eval::judge_all(bench.items, result.predictions, bench.kind, so);
  const auto summary = eval::summarize(bench, judgements, o.circular || o.make_circular);
  if (!o.out.empty()) eval::write_report(o.out, bench, result.predictions, judgements, summary);
  std::cout << eval::summary_table(summary);
  log::info("{} questions in {:.1f} s ({:.2f} questions/s, {:.1f} new tokens/s){}", bench.items.size(),
            result.seconds, bench.items.size() / std::max(result.seconds, 1e-9),
            result.new_tokens / std::max(result.seconds, 1e-9),
            o.out.empty() ? std::string() : "; predictions and metrics in " + o.out);
}

}  // namespace

void register_eval(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "eval",
      "Evaluate an oqvl model on a multiple-choice or open-answer benchmark (paper's prompts and scoring)");
  add_model_flags(cmd, o->model);
  cmd->add_option("--bench", o->bench,
                  "benchmark file: TSV (MMBench/SEED/MMStar/MathVista or open-answer layout) or JSONL")
      ->required();
  cmd->add_option("--format", o->format,
                  "auto | tsv | jsonl | vqa-json (VQAv2/OK-VQA/GQA/VizWiz/TextVQA JSON)")
      ->capture_default_str();
  cmd->add_option("--annotations", o->annotations,
                  "VQAv2 / OK-VQA: the annotations JSON that goes with the --bench questions file");
  cmd->add_option("--images", o->images,
                  "vqa-json: the folder with the images (default: the question file's)");
  cmd->add_option(
         "--kind", o->kind,
         "auto (from the file name and columns) | mmbench | seedbench | mmstar | mathvista | open | pope | ai2d | "
         "textvqa | mmmu | generic")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "folder for predictions.jsonl and metrics.json");
  cmd->add_option("--rule", o->rule, "paper (the harness's substring rule) | strict (option letter)")
      ->capture_default_str();
  cmd->add_flag("--circular", o->circular, "MMBench circular evaluation over rotations already in the file");
  cmd->add_flag("--make-circular", o->make_circular, "ask every rotation of the options, score circularly");
  cmd->add_flag("--include-hint", o->include_hint, "put the hint column before the question (the paper's harness does not)");
  cmd->add_flag("--no-ocr", o->no_ocr,
                "TextVQA: leave the OCR tokens out of the prompt (the harness's 'Pure' run)");
  cmd->add_flag("--skip-malformed", o->skip_malformed, "skip and count malformed rows instead of stopping");
  cmd->add_option(
         "--shots", o->shots,
         "few-shot: K demonstrations (seeded, from the benchmark or --support) before every question")
      ->capture_default_str();
  cmd->add_option("--seeds", o->seeds,
                  "few-shot: runs with seeds 0..S-1, reported with their mean and spread")
      ->capture_default_str();
  cmd->add_option("--support", o->support, "few-shot: the benchmark file to draw demonstrations from");
  cmd->add_option("--context", o->context, "few-shot: positions a prompt + answer may take (the paper: 4096)")
      ->capture_default_str();
  cmd->add_flag(
      "--no-prefix-cache", o->no_prefix_cache,
      "few-shot: run every question's whole prompt instead of reusing the demonstrations' KV cache");
  cmd->add_option("--batch-size", o->batch_size, "questions per forward")->capture_default_str();
  cmd->add_option("--max-new-tokens", o->max_new_tokens, "generated tokens per answer (the paper: 16)")
      ->capture_default_str();
  cmd->add_option("--limit", o->limit, "only the first N questions (0 = all)")->capture_default_str();
  cmd->callback([o] { run(*o); });
}

}  // namespace oqvl::cli
