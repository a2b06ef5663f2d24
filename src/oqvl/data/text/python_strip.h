// Python's str.strip() without arguments, for code that reproduces Python references (the SFT
// prompt builder strips every message, the eval harness strips every answer).
#pragma once

#include <string>
#include <string_view>

namespace oqvl::data {

// `text` without leading and trailing whitespace as Python's str.isspace defines it: ASCII
// whitespace, U+001C-U+001F, and Unicode's other White_Space code points (NEL, NBSP, U+1680,
// U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000). Bytes that are not such a code point
// (invalid UTF-8 included) are kept.
std::string python_strip(std::string_view text);

}  // namespace oqvl::data
