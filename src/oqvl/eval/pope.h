// POPE (object hallucination, yes/no questions over COCO in three splits: adversarial, popular,
// random) scored as the paper's harness does (Open-Qwen2VL vlm-evaluation pope.py, PopeScorer):
// the output with "," then "." stripped from both ends and lower-cased is the predicted label;
// correct when it equals the ground truth ("yes" / "no"). Per split: accuracy, and precision,
// recall, F1 with "yes" as the positive class (sklearn's f1_score: any label other than "yes"
// counts as "no"; 0 when undefined), plus the yes-ratio (share of "yes" predictions, POPE's own
// report). The final accuracy and F1 are the means over the splits (not pooled), as the harness
// reports them. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace oqvl::eval {

// output.strip(",").strip(".").lower() (Python semantics).
std::string pope_label(std::string_view output);

struct PopeStats {
  std::string split;
  std::int64_t total = 0, correct = 0;
  std::int64_t tp = 0, fp = 0, fn = 0, tn = 0;  // "yes" is positive
  std::int64_t yes = 0;                         // predictions equal to "yes"
  double accuracy() const;
  double precision() const;
  double recall() const;
  double f1() const;
  double yes_ratio() const;
};

struct PopeSummary {
  std::vector<PopeStats> splits;  // sorted by name
  double accuracy = 0, f1 = 0;    // means over the splits
  // A JSON block: {"splits": {name: {...}}, "accuracy", "f1"}.
  nlohmann::json to_json() const;
};

// labels[i] = pope_label(output i), truth[i] = "yes" / "no", split[i] = the item's split.
PopeSummary pope_summary(const std::vector<std::string>& labels, const std::vector<std::string>& truth,
                         const std::vector<std::string>& split);

}  // namespace oqvl::eval
