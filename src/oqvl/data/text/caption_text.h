// Language-agnostic caption measures and cleanup for filtering: whitespace is Unicode's
// White_Space set (ASCII spaces and controls, NBSP, U+1680, U+2000–U+200A, U+2028/2029, U+202F,
// U+205F, ideographic space U+3000, NEL), so captions in any script are treated alike. A "word"
// is a maximal run of non-whitespace; scripts written without spaces (Chinese, Japanese, Thai)
// therefore count one word per run — use caption_chars for those.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace oqvl::data {

// Whether `cp` is in Unicode's White_Space property.
bool is_unicode_space(char32_t cp);

// Trims leading/trailing whitespace and collapses every internal run to one ASCII space.
// Invalid UTF-8 is replaced with U+FFFD first (so the output is always valid UTF-8).
std::string clean_caption_whitespace(std::string_view caption);

struct CaptionMeasures {
  std::size_t words = 0;        // maximal runs of non-whitespace
  std::size_t code_points = 0;  // excluding whitespace
};
// Measures of a caption (invalid UTF-8 bytes count as one code point each).
CaptionMeasures measure_caption(std::string_view caption);

}  // namespace oqvl::data
