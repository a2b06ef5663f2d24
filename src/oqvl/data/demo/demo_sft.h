// The demo's visual-SFT set (docs/sft.md): one LLaVA-format conversation per train sample, a
// short-answer question about the photo answered with its class name, so `oqvl train` stage sft
// runs on the demo shards and the model it makes answers `oqvl eval` / `oqvl generate` prompts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "oqvl/data/demo/fashion_mnist.h"

namespace oqvl::data {

// Where make-demo writes it, relative to its --out folder.
inline constexpr std::string_view kDemoSftFile = "sft/train.jsonl";

// The human turn: the evaluation's generic free-form prompt (eval/prompts.h: "<image>\nQuestion:
// {q}\n" + its short-answer instruction + "\nAnswer:"), spelled out here because data sits below
// eval.
inline constexpr std::string_view kDemoSftPrompt =
    "<image>\nQuestion: What item is shown?\nAnswer the question using a single word or phrase.\nAnswer:";

// JSON Lines text of the first `count` samples of `train`, in order: {"id": key, "image": key,
// "conversations": [{"from": "human", "value": kDemoSftPrompt}, {"from": "gpt", "value": class}]},
// key = the sample's key in the demo's train shards ("000000042"), class as kFashionMnistClasses
// names it ("ankle boot").
std::string demo_sft_jsonl(const FashionMnistSplit& train, std::uint64_t count);

}  // namespace oqvl::data
