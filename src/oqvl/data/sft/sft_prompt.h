// A conversation (conversation.h) -> token ids and labels for supervised fine-tuning, in one of
// two templates (docs/sft.md):
//
// "qwen2", the paper's (Open-Qwen2VL qwen2_prompter.py; docs/recipe.md §5.5-5.6). Every message is
// stripped (Python's str.strip) and each turn's text is tokenized on its own, split at "<image>":
//   turn 0 (human): "<s><|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
//                   "<|im_start|>user\n{msg}<|im_end|>assistant\n"
//   later human:    "<|im_start|>user\n{msg}<|im_end|>assistant\n"
//   gpt:            "{msg}<|im_end|>\n"            (an empty msg is written " ")
// Note "<|im_end|>assistant\n": no "\n<|im_start|>" before "assistant", unlike ChatML; kept for
// checkpoint compatibility. Labels: human turns and placeholders kIgnoreLabelId, gpt turns their
// own ids (the closing <|im_end|> and "\n" included). With strip_quirk (the default, as the
// reference) the first token of every chunk after an "<image>" in turn 0 is dropped, because
// that text starts with <s> (image_prompt.h drop_first_token_after_image): "<image>\nWhat…"
// loses its "\n", an "<image>" at the end of the message loses the "<|im_end|>".
//
// "plain", the inference format `oqvl eval` / `oqvl generate` prompt with ("<s><image>\n{q}"), so a
// model fine-tuned on it answers those prompts: [bos_id] + human turn 0 split at "<image>" (no
// chat markup, nothing dropped); each gpt turn = its message + <|im_end|> (labelled); each later
// human turn = "\n" + its message (not labelled). Messages are stripped as above.
//
// Both: ids and labels are cut to max_ids (0 = no limit) before images are expanded, as the
// reference does; `images` counts the placeholders left. Thread-safe (the tokenizer is).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "oqvl/data/sft/conversation.h"
#include "oqvl/data/text/special_tokens.h"
#include "oqvl/data/text/tokenizer.h"

namespace oqvl::data {

enum class SftTemplate { kQwen2, kPlain };

// "qwen2" or "plain"; oqvl::Error naming the accepted names otherwise.
SftTemplate parse_sft_template(std::string_view name);
std::string_view sft_template_name(SftTemplate t);

struct SftPromptOptions {
  SftTemplate prompt_template = SftTemplate::kQwen2;
  bool strip_quirk = true;       // qwen2 only: drop the first token after each image in turn 0
  std::int64_t max_ids = 4096;   // ids kept (0 = all); the reference's model_max_length
  std::int64_t bos_id = kBosId;  // plain only: the id put first (qwen2 writes "<s>" in its text)
};

struct SftTokens {
  std::vector<std::int64_t> ids;     // kImagePlaceholderId where the image's tokens go
  std::vector<std::int64_t> labels;  // one per id: kIgnoreLabelId or the id
  std::int64_t images = 0;           // placeholders in ids
};

SftTokens tokenize_conversation(const Tokenizer& tokenizer, const Conversation& conversation,
                                const SftPromptOptions& options = {});

// The text the qwen2 template writes for turn `index` of a conversation (message stripped).
std::string qwen2_turn_text(const Turn& turn, std::size_t index);

}  // namespace oqvl::data
