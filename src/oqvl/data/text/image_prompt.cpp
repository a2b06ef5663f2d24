#include "oqvl/data/text/image_prompt.h"

namespace oqvl::data {

std::vector<std::int64_t> tokenize_image_prompt(const Tokenizer& tokenizer, std::string_view text,
                                                const ImagePromptOptions& options) {
  std::vector<std::int64_t> ids;
  if (options.add_bos) ids.push_back(options.bos_id);
  std::vector<std::int32_t> chunk_ids;
  for (bool after_image = false;; after_image = true) {
    const auto at = text.find(kImageMarker);
    const auto chunk = text.substr(0, at);
    if (!chunk.empty()) {
      chunk_ids.clear();
      tokenizer.encode_append(chunk, chunk_ids);
      const std::size_t skip = after_image && options.drop_first_token_after_image && !chunk_ids.empty() ? 1
                                                                                                         : 0;
      ids.insert(ids.end(), chunk_ids.begin() + static_cast<std::ptrdiff_t>(skip), chunk_ids.end());
    }
    if (at == std::string_view::npos) break;
    ids.push_back(options.placeholder);
    text.remove_prefix(at + kImageMarker.size());
  }
  return ids;
}

std::size_t count_image_markers(std::string_view text) {
  std::size_t n = 0;
  for (auto at = text.find(kImageMarker); at != std::string_view::npos;
       at = text.find(kImageMarker, at + kImageMarker.size()))
    ++n;
  return n;
}

}  // namespace oqvl::data
