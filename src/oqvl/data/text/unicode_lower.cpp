#include "oqvl/data/text/unicode_lower.h"

#include <algorithm>
#include <vector>

#include "oqvl/data/text/unicode.h"

namespace oqvl::data::unicode {
namespace {

using unicode_lower::Range;

bool in_ranges(const Range* ranges, std::size_t n, char32_t cp) {
  const Range* end = ranges + n;
  const Range* it = std::upper_bound(ranges, end, cp, [](char32_t c, const Range& r) { return c < r.first; });
  return it != ranges && cp <= (it - 1)->last;
}

bool is_cased(char32_t cp) { return in_ranges(unicode_lower::kCased, unicode_lower::kCasedSize, cp); }
bool is_case_ignorable(char32_t cp) {
  return in_ranges(unicode_lower::kCaseIgnorable, unicode_lower::kCaseIgnorableSize, cp);
}

// CPython's handle_capital_sigma: 'Σ' at i is final when, skipping case-ignorables, a cased
// letter precedes it and none follows.
bool final_sigma(const std::vector<char32_t>& cps, std::size_t i) {
  std::size_t j = i;
  while (j > 0 && is_case_ignorable(cps[j - 1])) --j;
  if (j == 0 || !is_cased(cps[j - 1])) return false;
  std::size_t k = i + 1;
  while (k < cps.size() && is_case_ignorable(cps[k])) ++k;
  return k == cps.size() || !is_cased(cps[k]);
}

}  // namespace

std::string python_lower(std::string_view text) {
  std::vector<char32_t> cps;
  cps.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) cps.push_back(next_code_point(text, pos));
  std::string out;
  out.reserve(text.size());
  const auto* map = unicode_lower::kLowerMap;
  const auto* map_end = map + unicode_lower::kLowerMapSize;
  for (std::size_t i = 0; i < cps.size(); ++i) {
    const char32_t cp = cps[i];
    if (cp < 0x80) {
      out.push_back(cp >= 'A' && cp <= 'Z' ? static_cast<char>(cp + 32) : static_cast<char>(cp));
      continue;
    }
    if (cp == 0x03A3) {
      append_utf8(out, final_sigma(cps, i) ? 0x03C2 : 0x03C3);
      continue;
    }
    const auto* it = std::lower_bound(
        map, map_end, cp, [](const unicode_lower::LowerEntry& e, char32_t c) { return e.cp < c; });
    if (it != map_end && it->cp == cp) {
      for (int k = 0; k < it->length; ++k) append_utf8(out, unicode_lower::kLowerData[it->offset + k]);
    } else {
      append_utf8(out, cp);
    }
  }
  return out;
}

}  // namespace oqvl::data::unicode
