// Evaluation results: per-item prediction lines, overall / per-category accuracy, and a
// readable table. Every output is deterministic (items in file order, categories sorted).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "oqvl/eval/answer.h"
#include "oqvl/eval/benchmark.h"
#include "oqvl/eval/pope.h"

namespace oqvl::eval {

struct AccuracyStat {
  std::string name;
  std::int64_t correct = 0;
  std::int64_t total = 0;
  double score = 0;  // the judgements' credit summed (open kind: VQA accuracy; else = correct)
  double accuracy() const {
    return total ? static_cast<double>(correct) / static_cast<double>(total) : 0.0;
  }
  double mean_score() const { return total ? score / static_cast<double>(total) : 0.0; }
};

struct Summary {
  std::string benchmark;  // the file name
  BenchKind kind = BenchKind::kGeneric;
  AccuracyStat overall{"overall"};
  std::vector<AccuracyStat> categories;     // by `category`, sorted by name (empty names left out)
  std::vector<AccuracyStat> l2_categories;  // by `l2_category`
  std::int64_t guessed = 0;                 // MathVista random picks
  // Circular evaluation (when asked): questions (circular_key groups) with every rotation right.
  bool circular = false;
  AccuracyStat circular_overall{"overall"};
  std::vector<AccuracyStat> circular_categories;
  // POPE: accuracy / precision / recall / F1 / yes-ratio per split (the item's category) and the
  // harness's final means.
  bool has_pope = false;
  PopeSummary pope;
};

// Judges every prediction (predictions[i] is the raw output for items[i]); throws
// oqvl::Error when the counts differ.
std::vector<Judgement> judge_all(const std::vector<McItem>& items,
                                 const std::vector<std::string>& predictions, BenchKind kind,
                                 const ScoreOptions& options = {});

Summary summarize(const Benchmark& bench, const std::vector<Judgement>& judgements,
                  bool circular = false);

// One JSON object per item and line: index, question, options, prediction, extracted,
// answer, correct, category, l2_category (+ guessed, circular_of when set; open-answer items
// also answers when there are several, and score).
std::string predictions_jsonl(const std::vector<McItem>& items,
                              const std::vector<std::string>& predictions,
                              const std::vector<Judgement>& judgements);

// overall / categories / l2_categories as {correct, total, accuracy}; the open and TextVQA kinds
// add vqa_accuracy (mean score) to each; POPE adds a "pope" block (pope.h).
nlohmann::json summary_json(const Summary& summary);

// The console table: one line per category, then overall (and the circular columns).
std::string summary_table(const Summary& summary);

// Writes DIR/predictions.jsonl and DIR/metrics.json atomically.
void write_report(const std::filesystem::path& dir, const Benchmark& bench,
                  const std::vector<std::string>& predictions,
                  const std::vector<Judgement>& judgements, const Summary& summary);

}  // namespace oqvl::eval
