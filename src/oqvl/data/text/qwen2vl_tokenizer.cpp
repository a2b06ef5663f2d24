#include "oqvl/data/text/qwen2vl_tokenizer.h"

namespace oqvl::data {

AddedTokenOverrides qwen2vl_added_tokens() {
  AddedTokenOverrides overrides;
  // 151665-151668 are <tool_response>, </tool_response>, <think>, </think> in Qwen3's file.
  overrides.remove = {kEndOfChunkId, kEndOfChunkId + 1, kEndOfChunkId + 2, kEndOfChunkId + 3};
  // <s> keeps its vocabulary id but becomes special: matched before BPE, skipped by decode.
  overrides.define = {{kEndOfChunkId, std::string(kEndOfChunkText), true}, {kBosId, "<s>", true}};
  return overrides;
}

Tokenizer load_qwen2vl_tokenizer(const std::filesystem::path& path) {
  return Tokenizer::from_file(path, qwen2vl_added_tokens());
}

}  // namespace oqvl::data
