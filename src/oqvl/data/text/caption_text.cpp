#include "oqvl/data/text/caption_text.h"

#include "oqvl/data/text/unicode.h"

namespace oqvl::data {
using unicode::next_code_point;
using unicode::repair_utf8;
using unicode::valid_utf8_prefix;

bool is_unicode_space(char32_t cp) {
  if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
  if (cp < 0x85) return false;
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

std::string clean_caption_whitespace(std::string_view caption) {
  std::string valid;
  if (valid_utf8_prefix(caption) != caption.size()) {
    valid = repair_utf8(caption);
    caption = valid;
  }
  std::string out;
  out.reserve(caption.size());
  bool pending_space = false;
  for (std::size_t pos = 0; pos < caption.size();) {
    std::size_t start = pos;
    char32_t cp = next_code_point(caption, pos);
    if (is_unicode_space(cp)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out.append(caption.substr(start, pos - start));
  }
  return out;
}

CaptionMeasures measure_caption(std::string_view caption) {
  CaptionMeasures m;
  std::size_t valid = valid_utf8_prefix(caption);
  bool in_word = false;
  auto step = [&](bool space) {
    if (!space) {
      ++m.code_points;
      if (!in_word) ++m.words;
    }
    in_word = !space;
  };
  for (std::size_t pos = 0; pos < valid;) step(is_unicode_space(next_code_point(caption, pos)));
  // Past an invalid byte, fall back to bytes: ASCII whitespace splits, anything else is a char.
  for (std::size_t pos = valid; pos < caption.size(); ++pos) {
    unsigned char b = static_cast<unsigned char>(caption[pos]);
    bool cont = b >= 0x80 && b < 0xC0;
    if (cont && in_word) continue;
    step(b == 0x20 || (b >= 0x09 && b <= 0x0D));
  }
  return m;
}

}  // namespace oqvl::data
