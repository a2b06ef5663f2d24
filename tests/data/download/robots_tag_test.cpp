// X-Robots-Tag opt-outs as img2dataset reads them: directives for every crawler or for ours.
#include "oqvl/data/download/robots_tag.h"

#include <gtest/gtest.h>

namespace oqvl::data {
namespace {

TEST(RobotsTag, Directives) {
  auto d = default_disallowed_directives();
  EXPECT_TRUE(robots_tag_disallows("noai", d));
  EXPECT_TRUE(robots_tag_disallows("NoImageAI", d));
  EXPECT_TRUE(robots_tag_disallows("nofollow, noindex", d));
  EXPECT_TRUE(robots_tag_disallows("img2dataset: noimageindex", d));
  EXPECT_TRUE(robots_tag_disallows("OQVL: noai", d));
  EXPECT_FALSE(robots_tag_disallows("googlebot: noindex", d));
  EXPECT_FALSE(robots_tag_disallows("nofollow", d));
  EXPECT_FALSE(robots_tag_disallows("unavailable_after: 25 Jun 2010 15:00:00 PST", d));
  EXPECT_FALSE(robots_tag_disallows("", d));
  EXPECT_FALSE(robots_tag_disallows("noai", {}));
  EXPECT_TRUE(robots_tag_disallows("nofollow", {"nofollow"}));
}

}  // namespace
}  // namespace oqvl::data
