// Text with "<image>" markers -> token ids with one image placeholder per marker, the way
// LLaVA/Prismatic's tokenizer_image_token does it at inference (docs/recipe.md §5.5, 9.1): the text is split
// at each "<image>", every chunk is tokenized on its own (Qwen's tokenizer adds no BOS, so
// nothing is stripped), and the chunks are joined with the placeholder id (-200). The
// evaluation format prepends <s>: "<s><image>\n{prompt}".
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "oqvl/data/text/special_tokens.h"
#include "oqvl/data/text/tokenizer.h"

namespace oqvl::data {

inline constexpr std::string_view kImageMarker = "<image>";

struct ImagePromptOptions {
  bool add_bos = true;  // prepend bos_id
  std::int64_t bos_id = kBosId;
  std::int64_t placeholder = kImagePlaceholderId;
  // The reference's SFT quirk (docs/sft.md): when the text starts with BOS, LLaVA's
  // tokenizer_image_token assumes every chunk does and drops the first token of each chunk after
  // an "<image>". Qwen's chunks have no BOS, so a real token goes ("\n", "<|im_end|>").
  bool drop_first_token_after_image = false;
};

std::vector<std::int64_t> tokenize_image_prompt(const Tokenizer& tokenizer, std::string_view text,
                                                const ImagePromptOptions& options = {});

// Number of "<image>" markers in `text`.
std::size_t count_image_markers(std::string_view text);

}  // namespace oqvl::data
