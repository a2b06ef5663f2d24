#include "oqvl/data/text/unicode.h"

#include <algorithm>
#include <array>
#include <vector>

#include "oqvl/data/text/unicode_tables.h"

namespace oqvl::data::unicode {
namespace {

namespace ut = unicode_tables;

constexpr char32_t kMaxCodePoint = 0x10FFFF;
constexpr std::uint8_t kClassMask = 0x3;
constexpr std::uint8_t kUnstableBit = 0x4;  // NFC quick-check not Yes, or ccc != 0

// Properties of every code point in a two-stage table (256-code-point blocks, identical blocks
// shared): one load for the class in the pre-tokenizer's inner loop instead of a binary search
// over ~800 ranges. Built once from the compact generated ranges (~60 KB).
class PropertyTable {
 public:
  PropertyTable() {
    std::vector<std::uint8_t> flat(kMaxCodePoint + 1, 0);
    for (std::size_t i = 0; i < ut::kClassRangeCount; ++i)
      for (char32_t c = ut::kClassRanges[i].first; c <= ut::kClassRanges[i].last; ++c)
        flat[c] = ut::kClassRanges[i].cls;
    for (std::size_t i = 0; i < ut::kNfcQcNotYesCount; ++i)
      for (char32_t c = ut::kNfcQcNotYes[i].first; c <= ut::kNfcQcNotYes[i].last; ++c)
        flat[c] |= kUnstableBit;
    for (std::size_t i = 0; i < ut::kCccRangeCount; ++i)
      for (char32_t c = ut::kCccRanges[i].first; c <= ut::kCccRanges[i].last; ++c) flat[c] |= kUnstableBit;
    for (std::size_t block = 0; block < kBlocks; ++block) {
      const std::uint8_t* begin = flat.data() + block * 256;
      std::size_t found = blocks_.size() / 256;
      for (std::size_t b = 0; b < blocks_.size() / 256; ++b) {
        if (std::equal(begin, begin + 256, blocks_.data() + b * 256)) {
          found = b;
          break;
        }
      }
      if (found == blocks_.size() / 256) blocks_.insert(blocks_.end(), begin, begin + 256);
      stage1_[block] = static_cast<std::uint16_t>(found);
    }
  }
  std::uint8_t get(char32_t cp) const {
    if (cp > kMaxCodePoint) return 0;
    return blocks_[std::size_t(stage1_[cp >> 8]) * 256 + (cp & 0xFF)];
  }

 private:
  static constexpr std::size_t kBlocks = (kMaxCodePoint + 1) / 256;
  std::array<std::uint16_t, kBlocks> stage1_{};
  std::vector<std::uint8_t> blocks_;
};

const PropertyTable& properties() {
  static const PropertyTable table;
  return table;
}

// Hangul syllables compose and decompose algorithmically (Unicode 3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount,
                   kSCount = kLCount * kNCount;

std::uint8_t combining_class(char32_t cp) {
  if (cp < 0x300) return 0;
  const auto* end = ut::kCccRanges + ut::kCccRangeCount;
  const auto* it = std::upper_bound(ut::kCccRanges, end, cp,
                                    [](char32_t c, const ut::CccRange& r) { return c < r.first; });
  if (it == ut::kCccRanges) return 0;
  --it;
  return cp <= it->last ? it->ccc : 0;
}

void decompose(char32_t cp, std::vector<char32_t>& out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    char32_t s = cp - kSBase;
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out.push_back(kTBase + s % kTCount);
    return;
  }
  const auto* end = ut::kDecompositions + ut::kDecompositionCount;
  const auto* it = std::lower_bound(ut::kDecompositions, end, cp,
                                    [](const ut::Decomposition& d, char32_t c) { return d.cp < c; });
  if (it == end || it->cp != cp) {
    out.push_back(cp);
    return;
  }
  out.insert(out.end(), ut::kDecompositionData + it->offset,
             ut::kDecompositionData + it->offset + it->length);
}

// The primary composite of first + second, or 0 if there is none.
char32_t compose(char32_t first, char32_t second) {
  if (first >= kLBase && first < kLBase + kLCount && second >= kVBase && second < kVBase + kVCount)
    return kSBase + ((first - kLBase) * kVCount + (second - kVBase)) * kTCount;
  if (first >= kSBase && first < kSBase + kSCount && (first - kSBase) % kTCount == 0 && second > kTBase &&
      second < kTBase + kTCount)
    return first + (second - kTBase);
  const auto* end = ut::kCompositions + ut::kCompositionCount;
  const auto* it = std::lower_bound(ut::kCompositions, end, std::pair{first, second},
                                    [](const ut::Composition& c, std::pair<char32_t, char32_t> k) {
                                      return c.first != k.first ? c.first < k.first : c.second < k.second;
                                    });
  if (it != end && it->first == first && it->second == second) return it->composite;
  return 0;
}

}  // namespace

CharClass char_class(char32_t cp) { return static_cast<CharClass>(properties().get(cp) & kClassMask); }

bool nfc_stable(char32_t cp) { return cp < 0x80 || !(properties().get(cp) & kUnstableBit); }

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

namespace {

// Length of the well-formed sequence at s[pos] (Unicode Table 3-7), or 0 if it is ill-formed;
// `bad` is then the length of its maximal subpart (the bytes that one U+FFFD replaces).
std::size_t sequence_length(const unsigned char* s, std::size_t pos, std::size_t size, std::size_t& bad) {
  unsigned char b = s[pos];
  bad = 1;
  if (b < 0x80) return 1;
  std::size_t need;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b >= 0xC2 && b <= 0xDF) {
    need = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;  // no surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  for (std::size_t k = 1; k < need; ++k) {
    if (pos + k >= size) return 0;
    unsigned char c = s[pos + k];
    unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (c < l || c > h) return 0;
    bad = k + 1;
  }
  return need;
}

}  // namespace

std::size_t valid_utf8_prefix(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t pos = 0, bad = 0;
  while (pos < text.size()) {
    if (s[pos] < 0x80) {
      ++pos;
      continue;
    }
    std::size_t len = sequence_length(s, pos, text.size(), bad);
    if (len == 0) return pos;
    pos += len;
  }
  return pos;
}

std::string repair_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t pos = 0, bad = 0;
  while (pos < text.size()) {
    std::size_t len = sequence_length(s, pos, text.size(), bad);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      pos += bad;
    } else {
      out.append(text.data() + pos, len);
      pos += len;
    }
  }
  return out;
}

bool is_nfc_quick(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    if (!nfc_stable(next_code_point(text, pos))) return false;
  }
  return true;
}

void append_nfc(std::string_view text, std::string& out) {
  // 1. Full canonical decomposition.
  std::vector<char32_t> chars;
  chars.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) decompose(next_code_point(text, pos), chars);
  std::vector<std::uint8_t> ccc(chars.size());
  for (std::size_t i = 0; i < chars.size(); ++i) ccc[i] = combining_class(chars[i]);
  // 2. Canonical ordering: stable sort of each run of non-starters by combining class.
  for (std::size_t i = 1; i < chars.size(); ++i) {
    for (std::size_t j = i; j > 0 && ccc[j] != 0 && ccc[j - 1] > ccc[j]; --j) {
      std::swap(chars[j], chars[j - 1]);
      std::swap(ccc[j], ccc[j - 1]);
    }
  }
  // 3. Canonical composition: a character combines with the last starter unless a character
  // of the same or higher class (or a starter) stands between them.
  std::vector<char32_t> result;
  result.reserve(chars.size());
  std::size_t starter = 0;
  bool have_starter = false;
  int last_class = -1;  // class of the last character appended; -1 = none since the starter
  for (std::size_t i = 0; i < chars.size(); ++i) {
    char32_t c = chars[i];
    int cls = ccc[i];
    if (have_starter && (last_class == -1 || last_class < cls)) {
      if (char32_t composite = compose(result[starter], c)) {
        result[starter] = composite;
        continue;
      }
    }
    if (cls == 0) {
      starter = result.size();
      have_starter = true;
      last_class = -1;
    } else {
      last_class = cls;
    }
    result.push_back(c);
  }
  for (char32_t c : result) append_utf8(out, c);
}

}  // namespace oqvl::data::unicode
