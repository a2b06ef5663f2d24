#include "oqvl/data/text/python_strip.h"

namespace oqvl::data {

namespace {

// UTF-8 length of a White_Space code point at the start of `s` (Python's str.isspace set), or 0.
std::size_t space_at(std::string_view s) {
  if (s.empty()) return 0;
  const auto c = static_cast<unsigned char>(s[0]);
  if (c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F)) return 1;
  if (s.size() >= 2 && c == 0xC2 &&
      (static_cast<unsigned char>(s[1]) == 0x85 || static_cast<unsigned char>(s[1]) == 0xA0))
    return 2;
  if (s.size() >= 3) {
    const auto c1 = static_cast<unsigned char>(s[1]), c2 = static_cast<unsigned char>(s[2]);
    if (c == 0xE1 && c1 == 0x9A && c2 == 0x80) return 3;  // U+1680
    if (c == 0xE2 && c1 == 0x80 && (c2 <= 0x8A || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF))
      return 3;                                           // U+2000-200A, 2028, 2029, 202F
    if (c == 0xE2 && c1 == 0x81 && c2 == 0x9F) return 3;  // U+205F
    if (c == 0xE3 && c1 == 0x80 && c2 == 0x80) return 3;  // U+3000
  }
  return 0;
}

// Start of the last UTF-8 character of s.
std::size_t last_char_start(std::string_view s) {
  std::size_t i = s.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  return i;
}

}  // namespace

std::string python_strip(std::string_view text) {
  while (auto n = space_at(text)) text.remove_prefix(n);
  while (!text.empty()) {
    const auto start = last_char_start(text);
    if (space_at(text.substr(start)) != text.size() - start) break;
    text.remove_suffix(text.size() - start);
  }
  return std::string(text);
}

}  // namespace oqvl::data
