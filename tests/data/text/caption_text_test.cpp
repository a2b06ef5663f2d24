#include "oqvl/data/text/caption_text.h"

#include <gtest/gtest.h>

using oqvl::data::clean_caption_whitespace;
using oqvl::data::measure_caption;

TEST(CaptionText, CleansUnicodeWhitespace) {
  EXPECT_EQ(clean_caption_whitespace("  a\tphoto \n\n of\r\n a  cat  "), "a photo of a cat");
  // NBSP, ideographic space, en space, NEL: all whitespace, in any script.
  EXPECT_EQ(clean_caption_whitespace("\u00a0猫\u3000の\u2002写真\u0085"), "猫 の 写真");
  EXPECT_EQ(clean_caption_whitespace(" \t\n"), "");
  EXPECT_EQ(clean_caption_whitespace("ok"), "ok");
  // Invalid UTF-8 becomes U+FFFD, so the output is always valid.
  EXPECT_EQ(clean_caption_whitespace("a \xff b"), "a \xEF\xBF\xBD b");
}

TEST(CaptionText, CountsWordsAndChars) {
  auto m = measure_caption("  a photo\u3000of 猫 ");
  EXPECT_EQ(m.words, 4u);
  EXPECT_EQ(m.code_points, 9u);
  EXPECT_EQ(measure_caption("").words, 0u);
  EXPECT_EQ(measure_caption("\u00a0\u00a0").words, 0u);
  EXPECT_EQ(measure_caption("一张猫的照片").words, 1u);  // no spaces: one run
  EXPECT_EQ(measure_caption("一张猫的照片").code_points, 6u);
  EXPECT_EQ(measure_caption("ab \xff\xfe cd").words, 3u);
}
