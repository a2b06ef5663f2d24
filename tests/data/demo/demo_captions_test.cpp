#include "oqvl/data/demo/demo_captions.h"

#include <gtest/gtest.h>

#include <set>

namespace {

TEST(DemoCaptions, ArticleFollowsTheNextWord) {
  EXPECT_EQ(oqvl::data::indefinite_article("ankle boot"), "an");
  EXPECT_EQ(oqvl::data::indefinite_article("sneaker"), "a");
  EXPECT_EQ(oqvl::data::indefinite_article("Ankle"), "an");
}

TEST(DemoCaptions, SameSeedSameCaption) {
  EXPECT_EQ(oqvl::data::demo_caption("sneaker", 7), oqvl::data::demo_caption("sneaker", 7));
}

TEST(DemoCaptions, CaptionsAreVariedAndNameTheItem) {
  std::set<std::string> seen;
  for (std::uint64_t s = 0; s < 500; ++s) {
    std::string c = oqvl::data::demo_caption("ankle boot", s);
    EXPECT_NE(c.find("ankle boot"), std::string::npos) << c;
    EXPECT_EQ(c.find("a ankle"), std::string::npos) << c;
    EXPECT_EQ(c.find("A ankle"), std::string::npos) << c;
    EXPECT_EQ(c.find('{'), std::string::npos) << c;
    seen.insert(c);
  }
  EXPECT_GT(seen.size(), 50u);
}

}  // namespace
