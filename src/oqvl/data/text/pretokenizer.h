// The Qwen2 pre-tokenizer: splits normalized text into the pieces that BPE encodes separately.
// A hand-written equivalent of the Split regex in Qwen2's tokenizer.json, as HF tokenizers
// runs it with Oniguruma (leftmost alternative wins, greedy with backtracking):
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|
//   \s*[\r\n]+|\s+(?!\S)|\s+
// Every character matches some alternative, so the pieces tile the text.
#pragma once

#include <string_view>
#include <vector>

namespace oqvl::data {

// The regex pattern this scanner implements; the loader checks tokenizer.json against it.
inline constexpr std::string_view kQwen2SplitPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// Appends the pieces of `text` (valid UTF-8) to `pieces`; they are views into `text`.
void split_qwen2(std::string_view text, std::vector<std::string_view>& pieces);

}  // namespace oqvl::data
