#include "oqvl/data/sft/conversation.h"

#include "oqvl/core/error.h"
#include "oqvl/data/text/image_prompt.h"

namespace oqvl::data {

Conversation parse_conversation(const nlohmann::json& sample, std::string fallback_id) {
  if (!sample.is_object()) fail("a sample must be a JSON object, not {}", sample.type_name());
  Conversation c;
  c.id = std::move(fallback_id);
  if (const auto id = sample.find("id"); id != sample.end() && !id->is_null()) {
    if (id->is_string()) c.id = id->get<std::string>();
    else if (id->is_number_integer()) c.id = id->dump();
    else fail("'id' must be a string or an integer, not {}", id->type_name());
  }
  if (const auto image = sample.find("image"); image != sample.end() && !image->is_null()) {
    if (image->is_array()) fail("sample '{}': several images per sample are not supported", c.id);
    if (!image->is_string() || image->get_ref<const std::string&>().empty())
      fail("sample '{}': 'image' must be a non-empty string", c.id);
    c.image = image->get<std::string>();
  }
  const auto turns = sample.find("conversations");
  if (turns == sample.end() || !turns->is_array() || turns->empty())
    fail("sample '{}' needs a non-empty 'conversations' array", c.id);

  std::size_t markers = 0;
  for (std::size_t i = 0; i < turns->size(); ++i) {
    const auto& t = (*turns)[i];
    const auto from = t.is_object() ? t.find("from") : t.end();
    const auto value = t.is_object() ? t.find("value") : t.end();
    if (!t.is_object() || from == t.end() || !from->is_string() || value == t.end() || !value->is_string())
      fail("sample '{}': turn {} must be {{\"from\": \"human\"|\"gpt\", \"value\": string}}", c.id, i);
    const auto& name = from->get_ref<const std::string&>();
    Turn turn;
    if (name == "human") turn.from = Speaker::kHuman;
    else if (name == "gpt") turn.from = Speaker::kGpt;
    else fail("sample '{}': turn {} is from '{}' (expected 'human' or 'gpt')", c.id, i, name);
    const auto expected = i % 2 == 0 ? Speaker::kHuman : Speaker::kGpt;
    if (turn.from != expected)
      fail("sample '{}': turn {} is from '{}' but turns must alternate human, gpt, ... starting with human",
           c.id, i, name);
    turn.value = value->get<std::string>();
    const auto n = count_image_markers(turn.value);
    if (n > 0 && turn.from == Speaker::kGpt)
      fail("sample '{}': turn {} (gpt) has an {} marker; images go in human turns", c.id, i, kImageMarker);
    markers += n;
    c.turns.push_back(std::move(turn));
  }
  if (c.image && markers != 1)
    fail("sample '{}' has an image and {} {} markers (exactly one is needed)", c.id, markers, kImageMarker);
  if (!c.image && markers > 0)
    fail("sample '{}' has {} {} marker(s) but no 'image'", c.id, markers, kImageMarker);
  return c;
}

}  // namespace oqvl::data
