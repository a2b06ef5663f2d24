// MLM-Filter prompts and score parsing (docs/recipe.md §1.4; MLM-Filter's batch-inference script for Qwen
// models): a caption is rated 0-100 on one of four metrics by an MLLM prompted with
//   user message = "<image>\n" + TEMPLATE(caption, criteria, aspect)
//   chat (LLaVA "qwen_instruct", MPT separator style):
//     <|im_start|>system\nYou are a helpful assistant<|im_end|><|im_start|>user\n{msg}<|im_end|>
//     <|im_start|>assistant\n
// tokenized with the <image> split (no BOS), truncated to max_len (2040) tokens, then the
// whitespace token (tokenizer(" ")[-1] = 220 for Qwen) appended. Greedy, 2 new tokens; the score
// is the first line of the output with ',' and ';' removed, parsed as Python's int() does; the
// paper keeps semantic_understanding >= 85.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oqvl/data/text/special_tokens.h"
#include "oqvl/data/text/tokenizer.h"

namespace oqvl::eval {

enum class MlmMetric {
  kImageTextMatching,
  kObjectDetailFulfillment,
  kCaptionTextQuality,
  kSemanticUnderstanding
};

// "image_text_matching", "object_detail_fulfillment", "caption_text_quality",
// "semantic_understanding" (the score-table column is this name).
std::string_view mlm_metric_name(MlmMetric metric);
// The inverse; oqvl::Error listing the four names for anything else.
MlmMetric parse_mlm_metric(std::string_view name);
inline constexpr MlmMetric kAllMlmMetrics[] = {
    MlmMetric::kImageTextMatching, MlmMetric::kObjectDetailFulfillment, MlmMetric::kCaptionTextQuality,
    MlmMetric::kSemanticUnderstanding};

// "<image>\n" + the instruction template filled with the caption, the metric's criteria and
// its aspect (name with '_' -> ' ').
std::string mlm_user_message(std::string_view caption, MlmMetric metric);
// The full chat prompt around a user message.
std::string mlm_chat_prompt(std::string_view user_message);

struct MlmPromptOptions {
  std::size_t max_len = 2040;        // prompt ids kept before the whitespace token
  std::int64_t whitespace_id = 220;  // tokenizer(" ")[-1] for Qwen
  std::int64_t placeholder = data::kImagePlaceholderId;
};
// Token ids of the whole prompt, with one image placeholder.
std::vector<std::int64_t> mlm_prompt_ids(const data::Tokenizer& tokenizer, std::string_view caption,
                                         MlmMetric metric, const MlmPromptOptions& options = {});

// The reference's decision rule: first line, ',' and ';' removed, then int() (surrounding
// whitespace, an optional sign, digits with single '_' separators). nullopt when that fails.
std::optional<std::int64_t> parse_mlm_score(std::string_view output);

}  // namespace oqvl::eval
