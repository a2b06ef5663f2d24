// Python str behaviour the evaluation scorers must reproduce byte for byte, on UTF-8 text:
// str.isspace(), str.strip(), str.split() (no argument) and re's \d on str patterns (category Nd).
// Invalid UTF-8 bytes are treated as one non-space, non-digit character each (never an error).
// The digit ranges are generated from Python by tools/gen_decimal_table.py.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace oqvl::data {

namespace python_str {
struct DigitRange {
  char32_t first, last;
};
extern const DigitRange kDecimalDigits[];  // sorted
extern const std::size_t kDecimalDigitsSize;
}  // namespace python_str

// str.isspace() of one code point (= re's \s on str): ASCII \t..\r, \x1c..\x1f, space, NEL,
// NBSP, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
bool is_python_space(char32_t cp);

// re's \d on a str pattern: Unicode decimal digits (Nd), e.g. '7', '٣' (U+0663), '７'.
bool is_python_decimal(char32_t cp);

// The code point at text[pos] and its byte length; an invalid or truncated sequence is one byte
// long and yields 0xFFFFFFFF (matches no class above).
char32_t python_code_point(std::string_view text, std::size_t pos, std::size_t& length);

// str.strip(): `text` without leading and trailing is_python_space characters.
std::string python_strip(std::string_view text);

// str.split(): the maximal runs of non-space characters, in order.
std::vector<std::string_view> python_split(std::string_view text);

}  // namespace oqvl::data
