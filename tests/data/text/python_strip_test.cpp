// python_strip vs Python's str.strip() on the whitespace Python knows. (Octal escapes: a hex
// escape would swallow the letter after it.)
#include "oqvl/data/text/python_strip.h"

#include <gtest/gtest.h>

namespace oqvl::data {
namespace {

TEST(PythonStrip, StripsWhatPythonStrips) {
  EXPECT_EQ(python_strip(" \t\n\r\v\f x y \n"), "x y");
  EXPECT_EQ(python_strip("\034\037a\302\205"), "a");  // U+001C..1F, NEL
  EXPECT_EQ(python_strip("\302\240\343\200\200a\342\200\212\342\200\257"),
            "a");                                             // NBSP, U+3000, U+200A, U+202F
  EXPECT_EQ(python_strip("\342\200\213a"), "\342\200\213a");  // U+200B is not whitespace in Python
  EXPECT_EQ(python_strip("   "), "");
  EXPECT_EQ(python_strip(""), "");
  EXPECT_EQ(python_strip("\377 a \377"), "\377 a \377");  // invalid bytes are kept
}

}  // namespace
}  // namespace oqvl::data
