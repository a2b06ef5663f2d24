// The Unicode pieces of the tokenizer: UTF-8 decoding and repair, the character classes of the
// Qwen2 pre-tokenizer regex (\p{L}, \p{N}, \s as Oniguruma defines them), and NFC.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace oqvl::data::unicode {

enum class CharClass : std::uint8_t { kOther = 0, kLetter = 1, kNumber = 2, kSpace = 3 };

// Class of a code point; anything outside the tables (unassigned, > U+10FFFF) is kOther.
CharClass char_class(char32_t cp);

// True when `cp` can be left alone by NFC as long as its neighbours can too (quick-check Yes
// and combining class 0). All ASCII is stable.
bool nfc_stable(char32_t cp);

// Decodes the code point at text[pos] (text must be valid UTF-8) and advances pos.
inline char32_t next_code_point(std::string_view text, std::size_t& pos) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  unsigned char b = s[pos];
  if (b < 0x80) {
    ++pos;
    return b;
  }
  if (b < 0xE0) {
    char32_t cp = (char32_t(b & 0x1F) << 6) | (s[pos + 1] & 0x3F);
    pos += 2;
    return cp;
  }
  if (b < 0xF0) {
    char32_t cp = (char32_t(b & 0x0F) << 12) | (char32_t(s[pos + 1] & 0x3F) << 6) | (s[pos + 2] & 0x3F);
    pos += 3;
    return cp;
  }
  char32_t cp = (char32_t(b & 0x07) << 18) | (char32_t(s[pos + 1] & 0x3F) << 12) |
                (char32_t(s[pos + 2] & 0x3F) << 6) | (s[pos + 3] & 0x3F);
  pos += 4;
  return cp;
}

// Appends the UTF-8 encoding of `cp`.
void append_utf8(std::string& out, char32_t cp);

// Length of the longest valid UTF-8 prefix of `text` (== text.size() when all is valid).
std::size_t valid_utf8_prefix(std::string_view text);

// Replaces each maximal invalid subsequence with U+FFFD, exactly like Rust's
// String::from_utf8_lossy and Python's bytes.decode("utf-8", "replace"). Valid text is copied.
std::string repair_utf8(std::string_view text);

// Unicode Normalization Form C of valid UTF-8 `text`, appended to `out`.
void append_nfc(std::string_view text, std::string& out);

// True if `text` (valid UTF-8) is certainly already NFC (quick check; may say false for some
// normalized strings, never true for an unnormalized one).
bool is_nfc_quick(std::string_view text);

}  // namespace oqvl::data::unicode
