#include "oqvl/data/text/pretokenizer.h"

#include <cstdint>

#include "oqvl/data/text/unicode.h"

namespace oqvl::data {
namespace {

using unicode::CharClass;

// The text decoded once: code point, class and byte offset of each character.
struct DecodedText {
  std::vector<char32_t> cp;
  std::vector<CharClass> cls;
  std::vector<std::uint32_t> offset;  // size() + 1 entries

  void decode(std::string_view text) {
    cp.clear();
    cls.clear();
    offset.clear();
    std::size_t pos = 0;
    while (pos < text.size()) {
      offset.push_back(static_cast<std::uint32_t>(pos));
      char32_t c = unicode::next_code_point(text, pos);
      cp.push_back(c);
      cls.push_back(unicode::char_class(c));
    }
    offset.push_back(static_cast<std::uint32_t>(pos));
  }
};

bool is_newline(char32_t c) { return c == '\r' || c == '\n'; }

// (?i:...) folds: 's' also matches U+017F LATIN SMALL LETTER LONG S (Unicode simple case
// folding); the other letters of the contractions have only their ASCII case pair.
bool folds_to(char32_t c, char lower) {
  if (c == char32_t(lower) || c == char32_t(lower - 'a' + 'A')) return true;
  return lower == 's' && c == 0x17F;
}

// Length in characters of a contraction ('s 't 're 've 'm 'll 'd) at i, or 0.
std::size_t contraction_length(const DecodedText& t, std::size_t i) {
  const std::size_t n = t.cp.size();
  if (t.cp[i] != '\'' || i + 1 >= n) return 0;
  char32_t a = t.cp[i + 1];
  if (folds_to(a, 's') || folds_to(a, 't') || folds_to(a, 'm') || folds_to(a, 'd')) return 2;
  if (i + 2 >= n) return 0;
  char32_t b = t.cp[i + 2];
  if ((folds_to(a, 'r') || folds_to(a, 'v')) && folds_to(b, 'e')) return 3;
  if (folds_to(a, 'l') && folds_to(b, 'l')) return 3;
  return 0;
}

std::size_t run_of(const DecodedText& t, std::size_t i, CharClass cls) {
  while (i < t.cls.size() && t.cls[i] == cls) ++i;
  return i;
}

// End (exclusive, in characters) of the match that starts at character i.
std::size_t match_end(const DecodedText& t, std::size_t i) {
  const std::size_t n = t.cp.size();
  const char32_t c = t.cp[i];
  const CharClass cls = t.cls[i];
  const bool next_is_letter = i + 1 < n && t.cls[i + 1] == CharClass::kLetter;

  if (std::size_t len = contraction_length(t, i)) return i + len;
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (cls == CharClass::kLetter) return run_of(t, i, CharClass::kLetter);
  if (cls != CharClass::kNumber && !is_newline(c) && next_is_letter)
    return run_of(t, i + 1, CharClass::kLetter);
  // \p{N}: digits one by one
  if (cls == CharClass::kNumber) return i + 1;
  // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
  const bool space_then_other = c == ' ' && i + 1 < n && t.cls[i + 1] == CharClass::kOther;
  if (cls == CharClass::kOther || space_then_other) {
    std::size_t end = run_of(t, space_then_other ? i + 1 : i, CharClass::kOther);
    while (end < n && is_newline(t.cp[end])) ++end;
    return end;
  }
  // Whitespace. \s*[\r\n]+ backtracks to just after the last newline of the run.
  const std::size_t run_end = run_of(t, i, CharClass::kSpace);
  for (std::size_t k = run_end; k > i; --k)
    if (is_newline(t.cp[k - 1])) return k;
  // \s+(?!\S): the whole run at the end of text, else all but its last character (which then
  // prefixes the next word, "  a" -> " ", " a"); \s+ for a single space before a non-space.
  if (run_end == n) return run_end;
  if (run_end - 1 > i) return run_end - 1;
  return run_end;
}

}  // namespace

void split_qwen2(std::string_view text, std::vector<std::string_view>& pieces) {
  thread_local DecodedText decoded;
  decoded.decode(text);
  const std::size_t n = decoded.cp.size();
  for (std::size_t i = 0; i < n;) {
    std::size_t end = match_end(decoded, i);
    pieces.push_back(text.substr(decoded.offset[i], decoded.offset[end] - decoded.offset[i]));
    i = end;
  }
}

}  // namespace oqvl::data
