// Python's str.lower() in C++ (full case mapping plus the Final_Sigma rule), for tokenizers that
// lower-case like Hugging Face's Python code does (SigLIP's). The data lives in
// unicode_lower_table.cpp, generated from Python by tools/gen_lowercase_table.py.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace oqvl::data::unicode_lower {

// cp lowers to kLowerData[offset, offset + length).
struct LowerEntry {
  char32_t cp;
  std::uint16_t offset;
  std::uint8_t length;
};
struct Range {
  char32_t first, last;
};

extern const char32_t kLowerData[];
extern const LowerEntry kLowerMap[];  // sorted by cp
extern const std::size_t kLowerMapSize;
extern const Range kCased[];
extern const std::size_t kCasedSize;
extern const Range kCaseIgnorable[];
extern const std::size_t kCaseIgnorableSize;

}  // namespace oqvl::data::unicode_lower

namespace oqvl::data::unicode {

// Python 3's str.lower() of valid UTF-8 `text`.
std::string python_lower(std::string_view text);

}  // namespace oqvl::data::unicode
