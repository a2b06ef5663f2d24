// The Open-Qwen2VL token layout: Qwen2.5's vocabulary and 22 special tokens (151643-151664)
// plus the two special tokens the training code adds with transformers' add_special_tokens:
// <|endofchunk|> gets the next free id, 151665, but "<s>" is already an entry of Qwen2's BPE
// vocabulary (128245), and transformers reuses an existing entry's id, so <s> = 128245 (not the
// 151666 that spec section 5.3 infers; verified with transformers and tokenizers, see
// docs/tokenizer.md). This is what the released checkpoints were trained with. Pad is left at
// Qwen's <|endoftext|>.
#pragma once

#include <cstdint>
#include <filesystem>

#include "oqvl/data/tokenizer.h"

namespace oqvl::data {

inline constexpr std::int32_t kPadId = 151643;         // <|endoftext|>
inline constexpr std::int32_t kImStartId = 151644;     // <|im_start|>
inline constexpr std::int32_t kImEndId = 151645;       // <|im_end|>, ends every sample
inline constexpr std::int32_t kEndOfChunkId = 151665;  // <|endofchunk|>
inline constexpr std::int32_t kBosId = 128245;         // <s>, starts every sample
inline constexpr std::int32_t kQwen2VlVocabSize = 151666;  // ids in use (< 151936 embedding rows)

// The added-token changes that turn a Qwen2.5 / Qwen3 tokenizer.json into the Open-Qwen2VL
// layout: ids 151665-151668 of the file are dropped, then the two tokens above are defined.
AddedTokenOverrides qwen2vl_added_tokens();

// Loads `path` with the Open-Qwen2VL layout applied.
Tokenizer load_qwen2vl_tokenizer(const std::filesystem::path& path);

}  // namespace oqvl::data
