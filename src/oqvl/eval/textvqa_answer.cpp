#include "oqvl/eval/textvqa_answer.h"

#include <algorithm>

#include "oqvl/data/text/python_str.h"
#include "oqvl/data/text/unicode.h"
#include "oqvl/data/text/unicode_lower.h"
#include "oqvl/eval/vqa_answer.h"

namespace oqvl::eval {
namespace {

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size())
    text.replace(pos, from.size(), to);
  return text;
}

std::string erase_chars(std::string_view text, std::string_view chars) {
  std::string out;
  out.reserve(text.size());
  for (char c : text)
    if (chars.find(c) == std::string_view::npos) out += c;
  return out;
}

}  // namespace

std::string textvqa_clean_output(std::string_view output) {
  std::string lower = data::unicode::python_lower(data::unicode::repair_utf8(erase_chars(output, "\n.,")));
  return std::string(cut_at_end_of_chunk(lower));
}

std::string textvqa_process_answer(std::string_view answer) {
  // word_tokenize: lower, drop "," and "?", split off "'s", strip.
  std::string t = data::unicode::python_lower(data::unicode::repair_utf8(answer));
  t = replace_all(erase_chars(t, ",?"), "'s", " 's");
  t = data::python_strip(t);
  t = data::python_strip(replace_all(replace_all(t, "\n", " "), "\t", " "));
  return vqa_process_digit_article(vqa_process_punctuation(t));
}

double textvqa_accuracy(std::string_view cleaned_prediction, const std::vector<std::string>& answers) {
  std::vector<std::string> refs;
  refs.reserve(answers.size());
  for (const std::string& a : answers) refs.push_back(textvqa_process_answer(a));
  return leave_one_out_accuracy(textvqa_process_answer(cleaned_prediction), refs);
}

TextVqaScore score_textvqa_answer(std::string_view output, const std::vector<std::string>& answers) {
  TextVqaScore s;
  const std::string cleaned = textvqa_clean_output(output);
  s.processed = textvqa_process_answer(cleaned);
  s.exact = std::any_of(answers.begin(), answers.end(),
                        [&](const std::string& a) { return textvqa_process_answer(a) == s.processed; });
  s.score = textvqa_accuracy(cleaned, answers);
  return s;
}

}  // namespace oqvl::eval
