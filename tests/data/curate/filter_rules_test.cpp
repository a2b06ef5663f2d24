#include "oqvl/data/curate/filter_rules.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "oqvl/core/error.h"

using oqvl::data::RuleSet;
using oqvl::data::SampleFacts;
using oqvl::data::SampleProperty;
using oqvl::data::ScoreTable;
using oqvl::data::ScoreTableSpec;
using oqvl::data::UidSet;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A table with columns su and clip keyed by sample key; a uid set holding uid 1.
struct World {
  std::vector<ScoreTable> tables;
  UidSet dfn = UidSet::from({{0, 1}});
  World() { tables.push_back(ScoreTable::parse("key,su,clip\nk,1,2\n", "csv", ScoreTableSpec{"s.csv", ""})); }
  RuleSet bind(const std::vector<std::string>& exprs) {
    RuleSet r = RuleSet::parse(exprs);
    r.bind(tables, [&](const std::string& path) -> const UidSet& {
      EXPECT_EQ(path, "dfn.npy");
      return dfn;
    });
    return r;
  }
};

SampleFacts facts(double su, double clip, bool in_dfn) {
  SampleFacts f;
  for (double& p : f.property) p = kNaN;
  f.scores = {su, clip};
  if (in_dfn) f.uid = oqvl::data::Uid128{0, 1};
  return f;
}

bool all_hold(const RuleSet& r, const SampleFacts& f) {
  for (std::size_t i = 0; i < r.rules().size(); ++i) {
    if (!r.holds(i, f)) return false;
  }
  return true;
}

TEST(FilterRules, PaperRecipeUnion) {
  World w;
  RuleSet r = w.bind({"su >= 85 or uid in dfn.npy"});
  ASSERT_EQ(r.rules().size(), 1u);
  EXPECT_EQ(r.rules()[0].text, "su >= 85 or uid in dfn.npy");
  EXPECT_TRUE(r.needs_uid());
  // score columns are numbered in order of first use
  ASSERT_EQ(r.score_columns().size(), 1u);
  SampleFacts f;
  for (double& p : f.property) p = kNaN;
  auto eval = [&](double su, bool dfn) {
    f.scores = {su};
    f.uid.reset();
    if (dfn) f.uid = oqvl::data::Uid128{0, 1};
    return r.holds(0, f);
  };
  EXPECT_TRUE(eval(85, false));
  EXPECT_TRUE(eval(10, true));
  EXPECT_FALSE(eval(84.9, false));
  EXPECT_FALSE(eval(kNaN, false));  // no score row: only the uid list can keep it
  EXPECT_TRUE(eval(kNaN, true));
}

TEST(FilterRules, PrecedenceParenthesesAndNot) {
  World w;
  // and binds tighter than or: a or (b and c)
  RuleSet r = w.bind({"su > 5 or clip < 1 and uid in dfn.npy"});
  ASSERT_EQ(r.rules().size(), 1u);
  EXPECT_TRUE(all_hold(r, facts(6, 9, false)));
  EXPECT_FALSE(all_hold(r, facts(0, 0, false)));
  EXPECT_TRUE(all_hold(r, facts(0, 0, true)));
  RuleSet p = w.bind({"(su > 5 or clip < 1) and uid in dfn.npy"});
  ASSERT_EQ(p.rules().size(), 2u);  // top-level and splits into rules
  EXPECT_EQ(p.rules()[0].text, "(su > 5 or clip < 1)");
  EXPECT_EQ(p.rules()[1].text, "uid in dfn.npy");
  EXPECT_FALSE(all_hold(p, facts(6, 9, false)));
  EXPECT_TRUE(all_hold(p, facts(6, 9, true)));
  RuleSet n = w.bind({"not (su == 3)", "clip != 2"});
  ASSERT_EQ(n.rules().size(), 2u);
  EXPECT_TRUE(all_hold(n, facts(4, 1, false)));
  EXPECT_FALSE(all_hold(n, facts(3, 1, false)));
  EXPECT_FALSE(all_hold(n, facts(4, 2, false)));
  EXPECT_FALSE(all_hold(n, facts(4, kNaN, false)));  // a missing value fails != too
}

TEST(FilterRules, BuiltinsAndNeeds) {
  World w;
  RuleSet r = w.bind({"caption_words >= 2 and caption_words <= 50 and has_caption",
                      "image_min_side >= 32 and image_aspect_ratio <= 3"});
  EXPECT_EQ(r.rules().size(), 5u);
  EXPECT_TRUE(r.needs_caption());
  EXPECT_TRUE(r.needs_probe());
  EXPECT_FALSE(r.needs_decode());
  EXPECT_FALSE(r.needs_uid());
  SampleFacts f = facts(0, 0, false);
  f.has_caption = true;
  f.property[static_cast<int>(SampleProperty::kCaptionWords)] = 3;
  f.property[static_cast<int>(SampleProperty::kImageMinSide)] = 32;
  f.property[static_cast<int>(SampleProperty::kImageAspectRatio)] = 3;
  EXPECT_TRUE(all_hold(r, f));
  f.property[static_cast<int>(SampleProperty::kImageAspectRatio)] = 3.01;
  EXPECT_FALSE(r.holds(4, f));
  EXPECT_TRUE(w.bind({"image_decodable"}).needs_decode());
  // Numbers: negatives, exponents.
  RuleSet e = w.bind({"su<1.5e1", "clip >= -1e-3"});  // columns numbered by first use
  EXPECT_TRUE(all_hold(e, facts(14, 0, false)));
  EXPECT_FALSE(all_hold(e, facts(15, 0, false)));
}

TEST(FilterRules, QuotedPaths) {
  World w;
  RuleSet r = w.bind({"(uid in 'dfn.npy')"});
  EXPECT_TRUE(all_hold(r, facts(0, 0, true)));
}

void expect_error(World& w, const std::string& expr, const std::string& part) {
  try {
    w.bind({expr});
    FAIL() << "no error for " << expr;
  } catch (const oqvl::Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(FilterRules, ClearErrors) {
  World w;
  expect_error(w, "su >= ", "expected a number");
  expect_error(w, "su >= abc", "expected a number");
  expect_error(w, "(su >= 1", "expected ')'");
  expect_error(w, "su >= 1 )", "unexpected ')'");
  expect_error(w, "su => 1", "unknown operator");
  expect_error(w, "su", "not a predicate");
  expect_error(w, "key in x.npy", "only 'uid in FILE'");
  expect_error(w, "uid in", "expected a uid file");
  expect_error(w, "su >= 1 and", "expected a name");
  expect_error(w, "su # 1", "unexpected character");
  // A column no table has names the tables and their columns.
  expect_error(w, "semantic_understanding >= 85", "s.csv (su, clip)");
  World none;
  none.tables.clear();
  expect_error(none, "clip_score >= 0.3", "no --scores given");
  // The same column in two tables is ambiguous.
  w.tables.push_back(ScoreTable::parse("key,su\nk,1\n", "csv", ScoreTableSpec{"t.csv", ""}));
  expect_error(w, "su >= 1", "two score tables");
}

// Parsing and evaluation recurse per level: 100,000 '(' overflowed the stack (the filter_rules fuzz
// finding). Nesting and or-chains up to the limit still parse and evaluate.
TEST(FilterRules, DeepNestingIsAnErrorNotAStackOverflow) {
  World w;
  auto repeat = [](std::string_view s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
  };
  expect_error(w, repeat("(", 100000) + "su >= 1" + repeat(")", 100000), "nests deeper than 256 levels");
  expect_error(w, repeat("not ", 100000) + "su >= 1", "nests deeper than 256 levels");
  expect_error(w, "su >= 1" + repeat(" or su >= 1", 100000), "nests deeper than 256 levels");
  const RuleSet ok = w.bind({repeat("not not ", 60) + "(" + repeat("(", 60) + "su >= 1" + repeat(")", 60) +
                             repeat(" or clip > 5", 100) + ")"});
  EXPECT_TRUE(all_hold(ok, facts(1, 0, false)));
  EXPECT_FALSE(all_hold(ok, facts(0, 0, false)));
}

}  // namespace
