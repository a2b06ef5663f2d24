#include "oqvl/data/sft/sft_prompt.h"

#include <algorithm>

#include "oqvl/core/error.h"
#include "oqvl/data/text/image_prompt.h"
#include "oqvl/data/text/python_str.h"

namespace oqvl::data {
namespace {

constexpr std::string_view kQwen2System = "<s><|im_start|>system\nYou are a helpful assistant.<|im_end|>\n";

// Appends the <image>-split tokens of `text`, labelled with themselves or ignored.
void append_turn(const Tokenizer& tokenizer, std::string_view text, bool labelled, bool drop_after_image,
                 SftTokens& out) {
  ImagePromptOptions po;
  po.add_bos = false;
  po.drop_first_token_after_image = drop_after_image;
  const auto ids = tokenize_image_prompt(tokenizer, text, po);
  for (const auto id : ids) {
    out.ids.push_back(id);
    out.labels.push_back(labelled && id != kImagePlaceholderId ? id : kIgnoreLabelId);
  }
}

}  // namespace

SftTemplate parse_sft_template(std::string_view name) {
  if (name == "qwen2") return SftTemplate::kQwen2;
  if (name == "plain") return SftTemplate::kPlain;
  fail("unknown SFT prompt template '{}' (expected 'qwen2' or 'plain')", name);
}

std::string_view sft_template_name(SftTemplate t) { return t == SftTemplate::kQwen2 ? "qwen2" : "plain"; }

std::string qwen2_turn_text(const Turn& turn, std::size_t index) {
  const auto msg = python_strip(turn.value);
  if (turn.from == Speaker::kGpt) return (msg.empty() ? std::string(" ") : msg) + "<|im_end|>\n";
  std::string text = index == 0 ? std::string(kQwen2System) : std::string();
  return text + "<|im_start|>user\n" + msg + "<|im_end|>assistant\n";
}

SftTokens tokenize_conversation(const Tokenizer& tokenizer, const Conversation& conversation,
                                const SftPromptOptions& options) {
  SftTokens out;
  const auto& turns = conversation.turns;
  for (std::size_t i = 0; i < turns.size(); ++i) {
    const bool gpt = turns[i].from == Speaker::kGpt;
    if (options.prompt_template == SftTemplate::kQwen2) {
      // Only turn 0's text starts with <s>, which is what makes the reference drop tokens.
      append_turn(tokenizer, qwen2_turn_text(turns[i], i), gpt, options.strip_quirk && i == 0, out);
    } else if (gpt) {
      append_turn(tokenizer, python_strip(turns[i].value), true, false, out);
      out.ids.push_back(kImEndId);
      out.labels.push_back(kImEndId);
    } else {
      if (i == 0) {
        out.ids.push_back(options.bos_id);
        out.labels.push_back(kIgnoreLabelId);
      }
      append_turn(tokenizer, (i == 0 ? "" : "\n") + python_strip(turns[i].value), false, false, out);
    }
  }
  if (options.max_ids > 0 && static_cast<std::int64_t>(out.ids.size()) > options.max_ids) {
    out.ids.resize(static_cast<std::size_t>(options.max_ids));
    out.labels.resize(static_cast<std::size_t>(options.max_ids));
  }
  out.images = std::count(out.ids.begin(), out.ids.end(), std::int64_t{kImagePlaceholderId});
  return out;
}

}  // namespace oqvl::data
