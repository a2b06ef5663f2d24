// Python str behaviour on UTF-8: isspace, strip, split, re's \d.
#include "oqvl/data/text/python_str.h"

#include <gtest/gtest.h>

using namespace oqvl::data;

TEST(PythonStr, SpaceAndDigitClasses) {
  for (char32_t cp : {U' ', U'\t', U'\n', U'\x0b', U'\x0c', U'\r', U'\x1c', U'\x1f', U'\x85', U'\xa0',
                      U'\u1680', U'\u2000', U'\u200a', U'\u2028', U'\u2029', U'\u202f', U'\u205f', U'\u3000'})
    EXPECT_TRUE(is_python_space(cp)) << static_cast<unsigned>(cp);
  for (char32_t cp : {U'a', U'\x1b', U'\u200b', U'\ufeff', U'\u180e'})
    EXPECT_FALSE(is_python_space(cp)) << static_cast<unsigned>(cp);
  for (char32_t cp : {U'0', U'9', U'\u0663', U'\u0969', U'\uff12', U'\U0001D7D9'})
    EXPECT_TRUE(is_python_decimal(cp)) << static_cast<unsigned>(cp);
  for (char32_t cp : {U'a', U'\u00b2', U'\u00bd', U'\u216b', U'/', U':'})
    EXPECT_FALSE(is_python_decimal(cp)) << static_cast<unsigned>(cp);
}

TEST(PythonStr, StripAndSplit) {
  EXPECT_EQ(python_strip(" \u3000 a b\u00a0\n"), "a b");
  EXPECT_EQ(python_strip("\t\n "), "");
  EXPECT_EQ(python_strip("\xff x \xff"), "\xff x \xff");  // invalid bytes are not spaces
  EXPECT_EQ(python_split("  a \u2028b\t\tc "), (std::vector<std::string_view>{"a", "b", "c"}));
  EXPECT_TRUE(python_split(" \u0085 ").empty());
}
