#include "oqvl/eval/prompts.h"

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
    case BenchKind::kMMBench:
    case BenchKind::kSEEDBench:
    case BenchKind::kOpen:
    case BenchKind::kGeneric:
      break;
  }
  if (item.multiple_choice())
    return head(item, options) + item.question + option_lines(item) + mc_tail;
  return head(item, options) + "Question: " + item.question + short_tail;
}

}  // namespace oqvl::eval
