// The few-shot shared prefix's matching rule (eval/shared_prefix.h); the cache reuse itself is
// checked end to end (tests/cli/eval_few_shot.sh: predictions with and without it identical) and
// in tests/model/generate_test.cpp (AfterPrefixEqualsWholePrompts).
#include "oqvl/eval/shared_prefix.h"

#include <gtest/gtest.h>

#include <vector>

namespace oqvl::eval {
namespace {

TEST(SharedPrefix, BeginsWithPrefixNeedsTheWholePrefixAndMore) {
  SharedPrefix p;
  p.ids = {128245, -200, 198, 14582, 151665};
  const std::vector<std::int64_t> prompt = {128245, -200, 198, 14582, 151665, -200, 198};
  EXPECT_TRUE(begins_with_prefix(p, prompt));
  EXPECT_FALSE(begins_with_prefix(p, p.ids));  // nothing left to run
  EXPECT_FALSE(begins_with_prefix(p, std::vector<std::int64_t>{128245, -200, 198}));
  // The last block merged with the question's text: a different id at the boundary.
  EXPECT_FALSE(begins_with_prefix(p, std::vector<std::int64_t>{128245, -200, 198, 14582, 151666, -200}));
}

}  // namespace
}  // namespace oqvl::eval
