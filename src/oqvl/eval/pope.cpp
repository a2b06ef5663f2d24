#include "oqvl/eval/pope.h"

#include <map>

#include "oqvl/core/error.h"
#include "oqvl/data/text/unicode.h"
#include "oqvl/data/text/unicode_lower.h"

namespace oqvl::eval {
namespace {

std::string_view strip_char(std::string_view s, char c) {
  while (!s.empty() && s.front() == c) s.remove_prefix(1);
  while (!s.empty() && s.back() == c) s.remove_suffix(1);
  return s;
}

double ratio(std::int64_t a, std::int64_t b) {
  return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
}

}  // namespace

std::string pope_label(std::string_view output) {
  return data::unicode::python_lower(data::unicode::repair_utf8(strip_char(strip_char(output, ','), '.')));
}

double PopeStats::accuracy() const { return ratio(correct, total); }
double PopeStats::precision() const { return ratio(tp, tp + fp); }
double PopeStats::recall() const { return ratio(tp, tp + fn); }
double PopeStats::f1() const { return ratio(2 * tp, 2 * tp + fp + fn); }
double PopeStats::yes_ratio() const { return ratio(yes, total); }

PopeSummary pope_summary(const std::vector<std::string>& labels, const std::vector<std::string>& truth,
                         const std::vector<std::string>& split) {
  if (labels.size() != truth.size() || labels.size() != split.size())
    fail("pope: {} labels, {} answers, {} splits", labels.size(), truth.size(), split.size());
  std::map<std::string, PopeStats> by_split;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    PopeStats& s = by_split[split[i]];
    s.split = split[i];
    const bool pred_yes = labels[i] == "yes", gt_yes = truth[i] == "yes";
    ++s.total;
    s.correct += labels[i] == truth[i];
    s.yes += pred_yes;
    s.tp += pred_yes && gt_yes;
    s.fp += pred_yes && !gt_yes;
    s.fn += !pred_yes && gt_yes;
    s.tn += !pred_yes && !gt_yes;
  }
  PopeSummary out;
  for (auto& [name, s] : by_split) {
    out.accuracy += s.accuracy();
    out.f1 += s.f1();
    out.splits.push_back(s);
  }
  if (!out.splits.empty()) {
    out.accuracy /= static_cast<double>(out.splits.size());
    out.f1 /= static_cast<double>(out.splits.size());
  }
  return out;
}

nlohmann::json PopeSummary::to_json() const {
  nlohmann::json s = nlohmann::json::object();
  for (const PopeStats& p : splits) {
    s[p.split] = {{"total", p.total},
                  {"correct", p.correct},
                  {"accuracy", p.accuracy()},
                  {"precision", p.precision()},
                  {"recall", p.recall()},
                  {"f1", p.f1()},
                  {"yes_ratio", p.yes_ratio()},
                  {"tp", p.tp},
                  {"fp", p.fp},
                  {"fn", p.fn},
                  {"tn", p.tn}};
  }
  return {{"splits", s}, {"accuracy", accuracy}, {"f1", f1}};
}

}  // namespace oqvl::eval
