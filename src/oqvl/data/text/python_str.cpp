#include "oqvl/data/text/python_str.h"

#include <algorithm>

namespace oqvl::data {
namespace {

constexpr char32_t kInvalid = 0xFFFFFFFF;

bool continuation(unsigned char b) { return (b & 0xC0) == 0x80; }

}  // namespace

bool is_python_space(char32_t cp) {
  if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F);
  if (cp < 0x85) return false;
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool is_python_decimal(char32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  const auto* begin = python_str::kDecimalDigits;
  const auto* end = begin + python_str::kDecimalDigitsSize;
  const auto* it = std::upper_bound(begin, end, cp,
                                    [](char32_t c, const python_str::DigitRange& r) { return c < r.first; });
  return it != begin && cp <= (it - 1)->last;
}

char32_t python_code_point(std::string_view text, std::size_t pos, std::size_t& length) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t left = text.size() - pos;
  const unsigned char b = s[pos];
  length = 1;
  if (b < 0x80) return b;
  std::size_t n = 0;
  char32_t cp = 0, min = 0;
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2, cp = b & 0x1F, min = 0x80;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3, cp = b & 0x0F, min = 0x800;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4, cp = b & 0x07, min = 0x10000;
  } else {
    return kInvalid;
  }
  if (left < n) return kInvalid;
  for (std::size_t k = 1; k < n; ++k) {
    if (!continuation(s[pos + k])) return kInvalid;
    cp = (cp << 6) | (s[pos + k] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kInvalid;
  length = n;
  return cp;
}

std::string python_strip(std::string_view text) {
  std::size_t begin = 0, end = 0, len = 0;
  // Scan forward once: `end` is just past the last non-space character.
  for (std::size_t pos = 0; pos < text.size(); pos += len) {
    const bool space = is_python_space(python_code_point(text, pos, len));
    if (!space) {
      if (end == 0) begin = pos;
      end = pos + len;
    }
  }
  return end == 0 ? std::string() : std::string(text.substr(begin, end - begin));
}

std::vector<std::string_view> python_split(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = std::string_view::npos, len = 0;
  for (std::size_t pos = 0; pos < text.size(); pos += len) {
    const bool space = is_python_space(python_code_point(text, pos, len));
    if (space && start != std::string_view::npos) {
      out.push_back(text.substr(start, pos - start));
      start = std::string_view::npos;
    } else if (!space && start == std::string_view::npos) {
      start = pos;
    }
  }
  if (start != std::string_view::npos) out.push_back(text.substr(start));
  return out;
}

}  // namespace oqvl::data
