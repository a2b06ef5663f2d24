// Scoring a model's raw output against an item's answer, by the rules of the paper's harness
// (docs/recipe.md §9.1), plus a strict option-letter extractor as an alternative.
//
//   MMBench, SEED-Bench (and generic multiple choice): gt.lower() in output.lower(), a
//     substring test on the option letter. Quirk kept on purpose: gt "A" also matches
//     "an apple" or "Cat" (any output containing that letter) - that is how the paper scores.
//   MMStar: gt in output, case-sensitive substring.
//   MathVista: rule-based extraction (mathvista_answer.h); multiple choice compares the picked
//     letter, free-form compares numbers (rounded to 2 decimals) or contained text.
//   Open (VQAv2, GQA, TextVQA): score_open_answer (vqa_answer.h): the output cut at
//     <|endofchunk|>, VQA-normalised, exact match against any normalised reference; the score is
//     the VQA accuracy when the question has 10 annotator answers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "oqvl/eval/benchmark.h"

namespace oqvl::eval {

// gt.lower() in output.lower() (ASCII lower-casing).
bool contains_ignore_case(std::string_view output, std::string_view gt);

// The option a response picks, read strictly: "B", "b", "(B)", "B.", "B)", "B: text",
// "The answer is B.", "Answer: (b)", the exact text of one option ("a pullover"), or a lone
// capital letter among the valid ones ("I think C is right"; "A" / "I" followed by a
// lower-case word are read as words). Empty when the response names no option or several.
std::string extract_option_letter(std::string_view output,
                                  const std::vector<std::pair<std::string, std::string>>& options);

enum class McRule {
  kPaper,         // the harness's rule for the benchmark (above)
  kStrictLetter,  // extract_option_letter(output) == answer, for every multiple-choice kind
};

struct ScoreOptions {
  McRule rule = McRule::kPaper;
  // MathVista multiple choice with no letter found: the harness picks a random option
  // (unseeded random.choice). We pick one from a generator seeded with guess_seed and the
  // item's index, so runs repeat; false = count the item wrong.
  bool mathvista_guess = true;
  std::uint64_t guess_seed = 0;
  // MathVista free-form: round numbers to the item's `precision` (float answers) instead of
  // the harness's fixed 2 decimals (MathVista's own scorer does this).
  bool mathvista_use_precision = false;
};

struct Judgement {
  std::string extracted;  // the letter / candidate answers / normalised answer ("" = none)
  bool correct = false;
  double score = 0;      // credit in [0, 1]: the VQA accuracy for open answers, else correct as 0/1
  bool guessed = false;  // MathVista: no letter found, `extracted` is the random pick
};

// Scores one output.
Judgement judge(const McItem& item, BenchKind kind, std::string_view output,
                const ScoreOptions& options = {});

}  // namespace oqvl::eval
