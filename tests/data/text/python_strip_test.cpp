// python_strip vs Python's str.strip() on the whitespace Python knows.
#include "oqvl/data/text/python_strip.h"

#include <gtest/gtest.h>

namespace oqvl::data {
namespace {

TEST(PythonStrip, StripsWhatPythonStrips) {
  EXPECT_EQ(python_strip(" \t\n\r\v\f x y \n"), "x y");
  EXPECT_EQ(python_strip("\x1c\x1f" "a" "\xc2\x85"), "a");                 // U+001C..1F, NEL
  EXPECT_EQ(python_strip("\xc2\xa0\xe3\x80\x80" "a\xe2\x80\x8a\xe2\x80\xaf"), "a");  // NBSP, U+3000, U+200A, U+202F
  EXPECT_EQ(python_strip("\xe2\x80\x8b" "a"), "\xe2\x80\x8b" "a");  // U+200B is not whitespace in Python
  EXPECT_EQ(python_strip("   "), "");
  EXPECT_EQ(python_strip(""), "");
  EXPECT_EQ(python_strip("\xff a \xff"), "\xff a \xff");  // invalid bytes are kept
}

}  // namespace
}  // namespace oqvl::data
