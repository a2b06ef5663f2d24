// The rule language of `oqvl data filter` (docs/filter.md): small boolean expressions over
// per-sample properties, scores and uid lists.
//
//   expr    := and_expr { "or" and_expr }
//   and_expr:= unary { "and" unary }
//   unary   := "not" unary | "(" expr ")" | atom
//   atom    := NAME OP NUMBER          OP: >= > <= < == !=
//            | "uid" "in" PATH         PATH: a .npy uid list; quote it ('…' or "…") if it has
//                                      spaces or parentheses
//            | PREDICATE               has_caption, has_image, image_decodable
//
// NAME is a built-in property (caption_words, caption_chars, image_width, image_height,
// image_min_side, image_max_side, image_aspect_ratio = long side / short side) or a column of a
// score table. Each --keep expression is split at its top-level "and"s into rules; a sample is
// kept when every rule holds, and a dropped sample is attributed to the first rule that failed
// (the report counts both). A comparison with a missing value (no score row, no image) is
// false, so `not` of it is true: write thresholds the way that keeps what you mean.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oqvl/data/curate/score_table.h"
#include "oqvl/data/curate/uid_list.h"

namespace oqvl::data {

enum class SampleProperty {
  kCaptionWords,
  kCaptionChars,
  kImageWidth,
  kImageHeight,
  kImageMinSide,
  kImageMaxSide,
  kImageAspectRatio,
  kCount
};

// What a sample looks like to the rules; the filter fills only what the rules need.
struct SampleFacts {
  std::optional<Uid128> uid;
  std::string_view key;
  bool has_caption = false;  // non-empty after whitespace cleanup
  bool has_image = false;
  bool image_readable = false;   // header probe succeeded
  bool image_decodable = false;  // full decode succeeded (only when the rules ask)
  double property[static_cast<int>(SampleProperty::kCount)] = {};
  std::vector<double> scores;  // by RuleSet::score_columns() index; NaN when missing
};

struct ScoreColumnRef {
  int table = 0;
  int column = 0;
  std::string name;
};

class RuleSet {
 public:
  struct Node;
  struct Rule {
    std::string text;  // the rule as written
    int root = 0;      // node index
  };

  // Parses --keep expressions; throws oqvl::Error with the expression and the position of the
  // problem for a syntax error or an unknown predicate.
  static RuleSet parse(const std::vector<std::string>& expressions);

  // Resolves names against built-in properties and the tables' columns, and loads the uid
  // lists. Throws oqvl::Error for a name no table has (listing the columns there are), a
  // column two tables share, and bad uid files.
  void bind(const std::vector<ScoreTable>& tables,
            const std::function<const UidSet&(const std::string&)>& load_uids);

  const std::vector<Rule>& rules() const { return rules_; }
  const std::vector<ScoreColumnRef>& score_columns() const { return score_columns_; }
  bool needs_uid() const { return needs_uid_; }
  bool needs_caption() const { return needs_caption_; }
  bool needs_probe() const { return needs_probe_; }
  bool needs_decode() const { return needs_decode_; }

  // Whether rule `i` holds for the sample.
  bool holds(std::size_t i, const SampleFacts& facts) const;

  RuleSet();
  ~RuleSet();
  RuleSet(RuleSet&&) noexcept;
  RuleSet& operator=(RuleSet&&) noexcept;

 private:
  bool eval(int node, const SampleFacts& facts) const;

  std::vector<Node> nodes_;
  std::vector<Rule> rules_;
  std::vector<ScoreColumnRef> score_columns_;
  std::vector<const UidSet*> uid_sets_;
  bool needs_uid_ = false, needs_caption_ = false, needs_probe_ = false, needs_decode_ = false;
};

}  // namespace oqvl::data
