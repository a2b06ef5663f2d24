// Unicode data for the tokenizer, generated into unicode_tables.cpp by
// tools/gen_unicode_tables.py (rerun it to change the Unicode version; never edit by hand).
#pragma once

#include <cstddef>
#include <cstdint>

namespace oqvl::data::unicode_tables {

// [first, last] have class `cls`: 1 = \p{L}, 2 = \p{N}, 3 = \s (as HF's Oniguruma defines them).
struct ClassRange {
  char32_t first, last;
  std::uint8_t cls;
};
// [first, last] have canonical combining class `ccc` (only non-zero classes are listed).
struct CccRange {
  char32_t first, last;
  std::uint8_t ccc;
};
struct CodeRange {
  char32_t first, last;
};
// Full canonical decomposition of `cp`: kDecompositionData[offset, offset + length).
struct Decomposition {
  char32_t cp;
  std::uint16_t offset;
  std::uint8_t length;
};
// Primary composite: first + second compose to `composite` (sorted by first, then second).
struct Composition {
  char32_t first, second, composite;
};

extern const ClassRange kClassRanges[];
extern const std::size_t kClassRangeCount;
extern const CccRange kCccRanges[];
extern const std::size_t kCccRangeCount;
// Code points whose NFC quick-check property is not Yes (they change or may combine).
extern const CodeRange kNfcQcNotYes[];
extern const std::size_t kNfcQcNotYesCount;
extern const Decomposition kDecompositions[];  // sorted by cp; Hangul syllables excluded
extern const std::size_t kDecompositionCount;
extern const char32_t kDecompositionData[];
extern const Composition kCompositions[];  // Hangul excluded (composed algorithmically)
extern const std::size_t kCompositionCount;

}  // namespace oqvl::data::unicode_tables
