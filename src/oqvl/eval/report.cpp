#include "oqvl/eval/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "oqvl/core/error.h"
#include "oqvl/core/files.h"
#include "oqvl/eval/circular.h"

namespace oqvl::eval {
using nlohmann::json;
namespace {

std::vector<AccuracyStat> to_stats(const std::map<std::string, AccuracyStat>& by_name) {
  std::vector<AccuracyStat> out;
  for (const auto& [name, stat] : by_name) out.push_back(stat);
  return out;
}

void add(AccuracyStat& s, const Judgement& j) {
  ++s.total;
  if (j.correct) ++s.correct;
  s.score += j.score;
}

void count(std::map<std::string, AccuracyStat>& by_name, const std::string& name, const Judgement& j) {
  if (name.empty()) return;
  AccuracyStat& s = by_name[name];
  s.name = name;
  add(s, j);
}

// `open`: the open-answer kind, whose credit (VQA accuracy) can differ from exact match.
json stat_json(const AccuracyStat& s, bool open = false) {
  json out{{"correct", s.correct}, {"total", s.total}, {"accuracy", s.accuracy()}};
  if (open) out["vqa_accuracy"] = s.mean_score();
  return out;
}

json stats_json(const std::vector<AccuracyStat>& stats, bool open = false) {
  json out = json::object();
  for (const auto& s : stats) out[s.name] = stat_json(s, open);
  return out;
}

}  // namespace

std::vector<Judgement> judge_all(const std::vector<McItem>& items,
                                 const std::vector<std::string>& predictions, BenchKind kind,
                                 const ScoreOptions& options) {
  if (items.size() != predictions.size()) {
    fail("{} predictions for {} questions", predictions.size(), items.size());
  }
  std::vector<Judgement> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i)
    out.push_back(judge(items[i], kind, predictions[i], options));
  return out;
}

Summary summarize(const Benchmark& bench, const std::vector<Judgement>& judgements, bool circular) {
  if (bench.items.size() != judgements.size()) {
    fail("{} judgements for {} questions", judgements.size(), bench.items.size());
  }
  Summary s;
  s.benchmark = bench.file.filename().string();
  s.kind = bench.kind;
  std::map<std::string, AccuracyStat> cats, l2;
  for (std::size_t i = 0; i < judgements.size(); ++i) {
    const McItem& item = bench.items[i];
    add(s.overall, judgements[i]);
    if (judgements[i].guessed) ++s.guessed;
    count(cats, item.category, judgements[i]);
    count(l2, item.l2_category, judgements[i]);
  }
  s.categories = to_stats(cats);
  s.l2_categories = to_stats(l2);
  if (bench.kind == BenchKind::kPOPE) {
    std::vector<std::string> labels, truth, split;
    for (std::size_t i = 0; i < judgements.size(); ++i) {
      labels.push_back(judgements[i].extracted);
      truth.push_back(bench.items[i].answer);
      split.push_back(bench.items[i].category);
    }
    s.has_pope = true;
    s.pope = pope_summary(labels, truth, split);
  }

  if (circular) {
    s.circular = true;
    // A question is right when all its rows are; its category is its first row's.
    std::map<std::string, std::pair<bool, std::string>> groups;  // key -> (all right, category)
    std::vector<std::string> order;
    for (std::size_t i = 0; i < judgements.size(); ++i) {
      std::string key = circular_key(bench.items[i]);
      auto [it, fresh] = groups.try_emplace(key, true, bench.items[i].category);
      if (fresh) order.push_back(key);
      it->second.first = it->second.first && judgements[i].correct;
    }
    std::map<std::string, AccuracyStat> ccats;
    for (const std::string& key : order) {
      const auto& [ok, category] = groups[key];
      Judgement group;
      group.correct = ok;
      group.score = ok ? 1.0 : 0.0;
      add(s.circular_overall, group);
      count(ccats, category, group);
    }
    s.circular_categories = to_stats(ccats);
  }
  return s;
}

std::string predictions_jsonl(const std::vector<McItem>& items,
                              const std::vector<std::string>& predictions,
                              const std::vector<Judgement>& judgements) {
  if (items.size() != predictions.size() || items.size() != judgements.size()) {
    fail("{} questions, {} predictions, {} judgements", items.size(), predictions.size(),
         judgements.size());
  }
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const McItem& item = items[i];
    json options = json::object();
    for (const auto& [letter, text] : item.options) options[letter] = text;
    json line = {{"index", item.index},
                 {"question", item.question},
                 {"options", options},
                 {"prediction", predictions[i]},
                 {"extracted", judgements[i].extracted},
                 {"answer", item.answer},
                 {"correct", judgements[i].correct},
                 {"category", item.category},
                 {"l2_category", item.l2_category}};
    if (!item.answers.empty()) {
      if (item.answers.size() > 1) line["answers"] = item.answers;
      line["score"] = judgements[i].score;
    }
    if (judgements[i].guessed) line["guessed"] = true;
    if (auto it = item.extra.find("circular_of"); it != item.extra.end()) line["circular_of"] = *it;
    out += line.dump(-1, ' ', false, json::error_handler_t::replace);
    out += '\n';
  }
  return out;
}

json summary_json(const Summary& s) {
  const bool open = s.kind == BenchKind::kOpen || s.kind == BenchKind::kTextVQA;
  json out = {{"benchmark", s.benchmark},
              {"kind", std::string(bench_kind_name(s.kind))},
              {"overall", stat_json(s.overall, open)},
              {"categories", stats_json(s.categories, open)},
              {"l2_categories", stats_json(s.l2_categories, open)}};
  if (s.guessed) out["guessed"] = s.guessed;
  if (s.has_pope) out["pope"] = s.pope.to_json();
  if (s.circular) {
    out["circular"] = {{"overall", stat_json(s.circular_overall)},
                       {"categories", stats_json(s.circular_categories)}};
  }
  return out;
}

std::string summary_table(const Summary& s) {
  std::size_t width = 8;
  for (const auto& c : s.categories) width = std::max(width, c.name.size());
  for (const auto& c : s.l2_categories) width = std::max(width, c.name.size());
  width = std::min<std::size_t>(width, 48);
  std::map<std::string, const AccuracyStat*> circular_by_name;
  for (const auto& c : s.circular_categories) circular_by_name[c.name] = &c;

  std::string out = fmt::format("{} ({})\n", s.benchmark, bench_kind_name(s.kind));
  const bool open = s.kind == BenchKind::kOpen || s.kind == BenchKind::kTextVQA;
  auto header = [&](std::string_view title) {
    out += fmt::format("{:<{}}  {:>7}  {:>11}", title, width, "acc %", "right/total");
    if (open) out += fmt::format("  {:>7}", "vqa %");
    if (s.circular) out += fmt::format("  {:>10}", "circular %");
    out += "\n";
  };
  auto row = [&](const AccuracyStat& c, const AccuracyStat* circ) {
    std::string name = c.name.size() > width ? c.name.substr(0, width - 1) + "~" : c.name;
    out += fmt::format("{:<{}}  {:>7.2f}  {:>11}", name, width, 100.0 * c.accuracy(),
                       fmt::format("{}/{}", c.correct, c.total));
    if (open) out += fmt::format("  {:>7.2f}", 100.0 * c.mean_score());
    if (s.circular)
      out +=
          circ ? fmt::format("  {:>10.2f}", 100.0 * circ->accuracy()) : fmt::format("  {:>10}", "");
    out += "\n";
  };
  if (!s.categories.empty()) {
    header("category");
    for (const auto& c : s.categories) {
      auto it = circular_by_name.find(c.name);
      row(c, it == circular_by_name.end() ? nullptr : it->second);
    }
  }
  if (!s.l2_categories.empty()) {
    header("l2 category");
    for (const auto& c : s.l2_categories) row(c, nullptr);
  }
  if (s.categories.empty() && s.l2_categories.empty()) header("");
  row(s.overall, s.circular ? &s.circular_overall : nullptr);
  if (s.guessed) out += fmt::format("({} answers were random picks: no option letter found)\n", s.guessed);
  if (s.has_pope) {
    out += fmt::format("{:<{}}  {:>7}  {:>7}  {:>7}  {:>7}  {:>7}\n", "pope split", width, "acc %", "prec %",
                       "rec %", "f1 %", "yes %");
    for (const PopeStats& p : s.pope.splits)
      out += fmt::format("{:<{}}  {:>7.2f}  {:>7.2f}  {:>7.2f}  {:>7.2f}  {:>7.2f}\n", p.split, width,
                         100 * p.accuracy(), 100 * p.precision(), 100 * p.recall(), 100 * p.f1(),
                         100 * p.yes_ratio());
    out += fmt::format("{:<{}}  {:>7.2f}  {:>7}  {:>7}  {:>7.2f}\n", "final (mean)", width,
                       100 * s.pope.accuracy, "", "", 100 * s.pope.f1);
  }
  return out;
}

void write_report(const std::filesystem::path& dir, const Benchmark& bench,
                  const std::vector<std::string>& predictions,
                  const std::vector<Judgement>& judgements, const Summary& summary) {
  ensure_writable_dir(dir);
  write_file_atomic(dir / "predictions.jsonl",
                    predictions_jsonl(bench.items, predictions, judgements));
  write_file_atomic(dir / "metrics.json", summary_json(summary).dump(2) + "\n");
}

}  // namespace oqvl::eval
