// The filter rule language (data/curate/filter_rules.h): one --keep expression per input line,
// bound against a fixed score table (columns clip, semantic_understanding) and an empty uid
// list, then evaluated on a few samples.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "oqvl/data/curate/filter_rules.h"

using namespace oqvl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> expressions;
  std::string_view rest = fuzz::text(data, size);
  while (!rest.empty() && expressions.size() < 8) {
    std::size_t nl = rest.find('\n');
    expressions.emplace_back(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  static const std::vector<data::ScoreTable> tables = [] {
    std::vector<data::ScoreTable> t;
    data::ScoreTableSpec spec{"scores.csv", "key"};
    t.push_back(
        data::ScoreTable::parse("key,clip,semantic_understanding\na,0.3,90\nb,n/a,70\n", "csv", spec));
    return t;
  }();
  static const data::UidSet empty;
  fuzz::expect_ok_or_error([&] {
    auto rules = data::RuleSet::parse(expressions);
    rules.bind(tables, [](const std::string&) -> const data::UidSet& { return empty; });
    for (int variant = 0; variant < 3; ++variant) {
      data::SampleFacts facts;
      facts.key = "a";
      facts.has_caption = facts.has_image = facts.image_readable = variant != 1;
      if (variant == 0) facts.uid = data::Uid128{1, 2};
      for (auto& p : facts.property)
        p = variant == 2 ? std::numeric_limits<double>::quiet_NaN() : 7.0 * variant;
      facts.scores.assign(rules.score_columns().size(), variant == 1 ? NAN : 85.0);
      for (std::size_t i = 0; i < rules.rules().size(); ++i) rules.holds(i, facts);
    }
  });
  return 0;
}
