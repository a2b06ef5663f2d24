// Loading a Qwen2.5 tokenizer.json in the Open-Qwen2VL token layout: Qwen2.5's vocabulary plus
// <|endofchunk|> and <s> as the training code adds them (ids and why: special_tokens.h). This is
// what the released checkpoints were trained with.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "oqvl/data/text/special_tokens.h"
#include "oqvl/data/text/tokenizer.h"

namespace oqvl::data {

// The text of kEndOfChunkId, the separator of interleaved chunks and few-shot demonstrations.
inline constexpr std::string_view kEndOfChunkText = "<|endofchunk|>";

// The added-token changes that turn a Qwen2.5 / Qwen3 tokenizer.json into the Open-Qwen2VL
// layout: ids 151665-151668 of the file are dropped, then <|endofchunk|> and <s> are defined.
AddedTokenOverrides qwen2vl_added_tokens();

// Loads `path` with the Open-Qwen2VL layout applied.
Tokenizer load_qwen2vl_tokenizer(const std::filesystem::path& path);

}  // namespace oqvl::data
