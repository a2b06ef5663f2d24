// Open-answer scoring as the VQA benchmarks do it (VQAv2, GQA, TextVQA, VizWiz, OK-VQA): the
// answer normalisation of the official VQA evaluation (GT-Vision-Lab/VQA vqaEval.py, run as
// Python 3: Unicode lower-casing, splitting and \d), exact match against any reference, and the
// official VQA accuracy over 10 annotators. Pure functions of UTF-8 text (invalid bytes are
// replaced with U+FFFD first, as Python would have to); no errors, thread-safe.
// Goldens: tools/make_vqa_answer_goldens.py (cross-checked against vqaEval.py itself).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace oqvl::eval {

// VQAv2 and TextVQA questions carry this many annotator answers; with that many, the score is
// the VQA accuracy, otherwise exact match against any reference.
inline constexpr std::size_t kVqaAnnotators = 10;

// vqaEval.py's processPunctuation: each of ; / [ ] " { } ( ) = + \ _ - > < @ ` , ? ! is deleted
// when the input has it beside a space or has digit,digit anywhere, else replaced by a space;
// then every "." not followed by a digit is deleted (at most 32: the script hands re.UNICODE to
// re.sub as its count).
std::string vqa_process_punctuation(std::string_view text);

// vqaEval.py's processDigitArticle: lower-case, split at whitespace, "none"/"zero".."ten" ->
// "0".."10", "a"/"an"/"the" dropped, the contractions table ("dont" -> "don't"), joined by " ".
std::string vqa_process_digit_article(std::string_view text);

// The whole normalisation of one answer: "\n" and "\t" -> " ", str.strip(), punctuation, then
// digits/articles/contractions.
std::string normalize_vqa_answer(std::string_view text);

// The prediction before the first "<|endofchunk|>" (the harness cuts there; generation stops at
// that token anyway, but hand-made or few-shot predictions may run past it).
std::string_view cut_at_end_of_chunk(std::string_view prediction);

// The official VQA accuracy of a raw prediction against raw annotator answers (vqaEval.py,
// current master): both newline/tab-cleaned and stripped; only when the answers are not all the
// same are they and the prediction normalised; then the mean over i of
// min(1, #{j != i : answer_j == prediction} / 3). 0 for no answers.
double vqa_accuracy(std::string_view prediction, const std::vector<std::string>& answers);

// The accuracy over the leave-one-out annotator subsets (10 choose 9 for 10 answers): the mean
// over i of min(1, #{j != i : refs[j] == prediction} / 3), on texts already normalised as the
// caller's scorer wants. 0 for no refs.
double leave_one_out_accuracy(std::string_view prediction, const std::vector<std::string>& refs);

struct OpenAnswerScore {
  std::string normalized;  // the normalised prediction (after the <|endofchunk|> cut)
  bool exact = false;      // equals the normalisation of one of the references
  double score = 0;        // vqa_accuracy with kVqaAnnotators references, else exact as 0 / 1
};

// Scores a raw model output against the references of one question.
OpenAnswerScore score_open_answer(std::string_view prediction, const std::vector<std::string>& answers);

}  // namespace oqvl::eval
