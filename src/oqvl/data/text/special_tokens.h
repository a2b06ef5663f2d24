// Every special token id of the Open-Qwen2VL layout, defined once. One type, the tokenizer's id
// type (int32): model code widens to int64, the packed ids file stores uint32 (pack.h).
//
// Qwen2.5's vocabulary has 22 special tokens (151643-151664). The training code adds two with
// transformers' add_special_tokens: <|endofchunk|> gets the next free id, 151665, but "<s>" is
// already an entry of Qwen2's BPE vocabulary (128245) and transformers reuses an existing entry's
// id, so <s> = 128245 (not the 151666 that docs/recipe.md §5.3 infers; docs/tokenizer.md). Pad is
// Qwen's <|endoftext|>.
#pragma once

#include <array>
#include <cstdint>

namespace oqvl::data {

inline constexpr std::int32_t kPadId = 151643;             // <|endoftext|>
inline constexpr std::int32_t kImStartId = 151644;         // <|im_start|>
inline constexpr std::int32_t kImEndId = 151645;           // <|im_end|>, ends every sample
inline constexpr std::int32_t kEndOfChunkId = 151665;      // <|endofchunk|>
inline constexpr std::int32_t kBosId = 128245;             // <s>, starts every sample
inline constexpr std::int32_t kQwen2VlVocabSize = 151666;  // ids in use (< 151936 embedding rows)

// LLaVA/Prismatic's IMAGE_TOKEN_INDEX: where an image's visual tokens are spliced in. No
// vocabulary has it.
inline constexpr std::int32_t kImagePlaceholderId = -200;

// The ids the Open-Qwen2VL evaluation stops generation at (docs/recipe.md §9.1): ".", ",", "\n" and
// the Llama-era ids the reference harness lists (not Qwen tokens, but they stop all the same).
inline constexpr std::array<std::int32_t, 13> kEvalStopIds = {
    13, 29889, 29892, 32000, 32001, 32002, 32007, 32011, 128009, 128256, 128257, 11, 198};

}  // namespace oqvl::data
