// The evaluation prompts of the paper's harness (Open-Qwen2VL's fork of vlm-evaluation,
// vlm_eval/tasks/harnesses/*.py; docs/recipe.md §9.1): no chat template, a raw prompt that starts with
// the "<image>" placeholder and ends with "Answer:". The runner prepends "<s>" and splits at
// "<image>" when tokenizing.
#pragma once

#include <string>
#include <string_view>

#include "oqvl/eval/benchmark.h"

namespace oqvl::eval {

inline constexpr std::string_view kImagePlaceholder = "<image>";
inline constexpr std::string_view kMcInstruction =
    "Answer with the option's letter from the given choices directly.";
inline constexpr std::string_view kShortAnswerInstruction =
    "Answer the question using a single word or phrase.";

struct PromptOptions {
  // The paper's MMBench harness ignores MMBench's hint column. With this set, a non-empty hint
  // goes on its own line before the question (as the "{hint}{question}" form and the
  // LLaVA-style MMBench prompts do): "<image>\n{hint}\n{question}\n...".
  bool include_hint = false;
  // TextVQA: put the question's OCR tokens in the prompt ("{question}\nReference OCR token: a,
  // b, c", the harness's text-vqa-ocr variant); false = the question alone (its "Pure" variant).
  bool ocr = true;
};

inline constexpr std::string_view kOcrMarker = "\nReference OCR token:";

// The prompt for one item:
//  MMBench, SEED-Bench, generic multiple choice:
//    "<image>\n{question}\nA. {A}\nB. {B}...\n" + kMcInstruction + "\nAnswer:"
//  MMStar: "<image>\nQuestion: {question}\n" + kMcInstruction + "\nAnswer:", where the question
//    carries its options inline as in MMStar's own release ("...\nOptions: A: x, B: y, ...";
//    rebuilt that way when a TSV has them in A-D columns).
//  MathVista: multiple choice like MMBench (options from `choices`); free-form
//    "<image>\n{question}\n" + kShortAnswerInstruction + "\nAnswer:".
//  Open answers (VQAv2/GQA/TextVQA) and generic free-form (no options; the harness's
//    POPE/TextVQA form): "<image>\nQuestion: {question}\n" + kShortAnswerInstruction + "\nAnswer:".
//  POPE: as open answers. AI2D: as MMBench.
//  TextVQA: as open answers, the question given by textvqa_question.
//  MMMU: mmmu_prompt (no leading "<image>": the images sit where the question names them).
// Only the options an item has are listed (the harness always printed A-D).
std::string build_prompt(const McItem& item, BenchKind kind, const PromptOptions& options = {});

// TextVQA's question: the text before any "\nReference OCR token:" line; with options.ocr and
// the item's extra["ocr_tokens"] (a list), that text + "\nReference OCR token: " + the tokens
// joined by ", " (the form of the harness's OCR question file); with options.ocr and no tokens,
// the question as written.
std::string textvqa_question(const McItem& item, const PromptOptions& options = {});

// MMMU as the paper's harness builds it (mmmu.py format_example):
//   "The following are multiple choice questions about" + " {w}" for each "_"-separated word of
//   the subfield + ".\n\n" + question, then for multiple choice "\nA. {A}\nB. {B}..." +
//   "\n" + kMcInstruction, else "\n" + kShortAnswerInstruction; + "\nAnswer:"; every
//   "<image N>" tag (also "<image  N>", in options too) replaced with "<image>\n". The subfield
//   is extra["subfield"], else the l2 category, else the category. A prompt left without any
//   image tag gets "<image>\n" in front (our choice: the harness would show no image).
std::string mmmu_prompt(const McItem& item);

// MMStar's question with its options inline ("{stem}\nOptions: A: x, B: y, C: z, D: w"); the
// question unchanged when it already has an "Options:" line or the item has no options.
std::string mmstar_question(const McItem& item);

}  // namespace oqvl::eval
