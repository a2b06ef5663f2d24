// Small string helpers every layer uses, defined once. ASCII only on purpose: they serve file
// names, config values, answer letters and the like, where locale-dependent or Unicode-aware
// behaviour would make results differ between machines. (Use std::string_view's starts_with /
// ends_with for prefixes.)
#pragma once

#include <string>
#include <string_view>

namespace oqvl {

// `s` with A-Z mapped to a-z; other bytes unchanged.
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// True for the bytes C's isspace accepts in the "C" locale: ' ', \t, \n, \v, \f, \r.
inline bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// `s` without leading and trailing ASCII whitespace.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace oqvl
