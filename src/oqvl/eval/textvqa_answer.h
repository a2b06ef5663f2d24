// TextVQA scoring as the paper's harness does it (Open-Qwen2VL vlm-evaluation textvqa.py, which
// scores with the m4c TextVQAAccuracyEvaluator and its EvalAIAnswerProcessor):
//   1. the raw output: every "\n", "." and "," removed, lower-cased, cut at "<|endofchunk|>"
//      (textvqa_clean_output; note "3.5" becomes "35");
//   2. the prediction and all 10 references go through the EvalAI answer processor
//      (textvqa_process_answer): lower-case, "," and "?" removed, "'s" -> " 's", strip; then
//      "\n"/"\t" -> " " and strip; then vqaEval.py's punctuation and digit/article/contraction
//      steps (vqa_answer.h) - always, also when the annotators agree (unlike vqaEval.py);
//   3. score = leave_one_out_accuracy (10 choose 9) of the processed prediction among the
//      processed references (the evaluator asserts 10; other counts use the same formula).
// Pure functions of UTF-8 text; no errors, thread-safe.
// Goldens: tools/make_textvqa_answer_goldens.py (a Python transcription of the evaluator).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace oqvl::eval {

// The harness's clean-up of a raw TextVQA output (step 1).
std::string textvqa_clean_output(std::string_view output);

// EvalAIAnswerProcessor (step 2).
std::string textvqa_process_answer(std::string_view answer);

// Step 3 on an already cleaned prediction (the processor is applied here).
double textvqa_accuracy(std::string_view cleaned_prediction, const std::vector<std::string>& answers);

struct TextVqaScore {
  std::string processed;  // the prediction after steps 1 and 2
  bool exact = false;     // equals one processed reference
  double score = 0;
};

// Steps 1-3 on a raw output.
TextVqaScore score_textvqa_answer(std::string_view output, const std::vector<std::string>& answers);

}  // namespace oqvl::eval
