#include "oqvl/eval/prompts.h"

#include <cctype>

namespace oqvl::eval {
namespace {

std::string option_lines(const McItem& item) {
  std::string out;
  for (const auto& [letter, text] : item.options) out += "\n" + letter + ". " + text;
  return out;
}

std::string head(const McItem& item, const PromptOptions& options) {
  std::string out(kImagePlaceholder);
  out += "\n";
  if (options.include_hint && !item.hint.empty()) out += item.hint + "\n";
  return out;
}

}  // namespace

std::string mmstar_question(const McItem& item) {
  if (item.options.empty() || item.question.find("Options:") != std::string::npos)
    return item.question;
  std::string out = item.question + "\nOptions: ";
  for (std::size_t i = 0; i < item.options.size(); ++i) {
    if (i) out += ", ";
    out += item.options[i].first + ": " + item.options[i].second;
  }
  return out;
}

std::string textvqa_question(const McItem& item, const PromptOptions& options) {
  const std::string base = item.question.substr(0, item.question.find(kOcrMarker));
  if (!options.ocr) return base;
  auto it = item.extra.find("ocr_tokens");
  if (it == item.extra.end() || !it->is_array()) return item.question;
  std::string out = base + std::string(kOcrMarker) + " ";
  for (std::size_t i = 0; i < it->size(); ++i) {
    if (i) out += ", ";
    out += (*it)[i].is_string() ? (*it)[i].get<std::string>() : (*it)[i].dump();
  }
  return out;
}

std::string mmmu_prompt(const McItem& item) {
  std::string subfield;
  if (auto it = item.extra.find("subfield"); it != item.extra.end() && it->is_string()) subfield = *it;
  if (subfield.empty()) subfield = item.l2_category.empty() ? item.category : item.l2_category;
  std::string text = "The following are multiple choice questions about";
  for (std::size_t start = 0;;) {
    const std::size_t end = subfield.find('_', start);
    text += " " + subfield.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  text += ".\n\n" + item.question;
  if (item.multiple_choice()) text += option_lines(item) + "\n" + std::string(kMcInstruction);
  else text += "\n" + std::string(kShortAnswerInstruction);
  text += "\nAnswer:";
  // re.sub(r"<image\s*\d+>", "<image>\n", text), ASCII whitespace and digits.
  std::string out;
  bool any = false;
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 6, "<image") == 0) {
      std::size_t j = i + 6;
      while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
      const std::size_t digits = j;
      while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
      if (j > digits && j < text.size() && text[j] == '>') {
        out += std::string(kImagePlaceholder) + "\n";
        any = true;
        i = j + 1;
        continue;
      }
    }
    out += text[i++];
  }
  return any ? out : std::string(kImagePlaceholder) + "\n" + out;
}

std::string build_prompt(const McItem& item, BenchKind kind, const PromptOptions& options) {
  const std::string mc_tail = "\n" + std::string(kMcInstruction) + "\nAnswer:";
  const std::string short_tail = "\n" + std::string(kShortAnswerInstruction) + "\nAnswer:";
  switch (kind) {
    case BenchKind::kMMStar:
      return head(item, options) + "Question: " + mmstar_question(item) + mc_tail;
    case BenchKind::kMathVista:
      if (item.multiple_choice())
        return head(item, options) + item.question + option_lines(item) + mc_tail;
      return head(item, options) + item.question + short_tail;
    case BenchKind::kMMMU: return mmmu_prompt(item);
    case BenchKind::kTextVQA:
      return head(item, options) + "Question: " + textvqa_question(item, options) + short_tail;
    case BenchKind::kMMBench:
    case BenchKind::kSEEDBench:
    case BenchKind::kOpen:
    case BenchKind::kGeneric:
    case BenchKind::kPOPE:
    case BenchKind::kAI2D: break;
  }
  if (item.multiple_choice())
    return head(item, options) + item.question + option_lines(item) + mc_tail;
  return head(item, options) + "Question: " + item.question + short_tail;
}

}  // namespace oqvl::eval
