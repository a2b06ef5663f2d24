// One visual-SFT sample in the LLaVA conversation format (docs/sft.md):
//   {"id": "000123", "image": "coco/train2017/000000033471.jpg",
//    "conversations": [{"from": "human", "value": "<image>\nWhat is this?"},
//                      {"from": "gpt", "value": "A cat."}, ...]}
// and the rules a sample must follow to be trained on. Checking them here, once, means the
// prompt builder and the trainer never see a malformed sample.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oqvl::data {

enum class Speaker { kHuman, kGpt };

struct Turn {
  Speaker from = Speaker::kHuman;
  std::string value;  // as written (the prompt builder strips it)
};

struct Conversation {
  std::string id;                    // the sample's "id" (a string or an integer), else a fallback
  std::optional<std::string> image;  // "image": a path under the images folder or a shard key
  std::vector<Turn> turns;           // human, gpt, human, gpt, ...
};

// Reads and checks one sample. Throws oqvl::Error naming the sample's id (callers add the file
// and line) when the sample is not an object, has no non-empty "conversations" array, a turn is not
// {"from": "human"|"gpt", "value": string}, the turns do not alternate human, gpt, ... starting
// with human, "image" is neither absent/null nor a non-empty string (several images per sample
// are not supported), "id" is neither absent/null, a string nor an integer, an "<image>" marker
// is in a gpt turn, a sample with an image has not exactly one marker, or a sample without one
// has any. `fallback_id` is the id when the sample has none.
Conversation parse_conversation(const nlohmann::json& sample, std::string fallback_id);

}  // namespace oqvl::data
