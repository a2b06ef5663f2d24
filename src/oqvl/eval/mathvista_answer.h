// MathVista's rule-based answer extraction as the paper's harness scores it (MMMU-style:
// parse_multi_choice_response for multiple choice, parse_open_response + extract_numbers for
// free-form; no GPT answer extraction). Reimplemented from the documented behaviour of
// vlm_eval/tasks/harnesses/mathvista.py, quirks included (docs/eval.md lists them).
// Text handling is ASCII: lower-casing and \b/\d in the number patterns see bytes, where
// Python sees Unicode characters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oqvl::eval {

// Every number written in `text`, as written, in the harness's order: numbers with
// thousands separators ("1,234", "-12,000,000"), then scientific ("1.5e-3"), then plain ones
// ("-3", "2.50", ".5"). A plain number directly followed by "," or a digit is not taken, but
// the tail after a separator is: "1,234" gives "1,234" and "234".
std::vector<std::string> extract_numbers(std::string_view text);

// Python's float(text) after removing commas, or nullopt (accepts surrounding whitespace,
// a sign, "inf"/"infinity"/"nan", exponents and digit-group underscores, like Python).
std::optional<double> parse_python_float(std::string_view text);

// Python's round(x, decimals) (round half to even on the exact binary value).
double round_decimals(double x, int decimals);

// A normalized candidate answer: a number, or lower-cased text.
struct OpenValue {
  bool is_number = false;
  double number = 0;
  std::string text;
  bool operator==(const OpenValue&) const = default;
};

// normalize_str: a number (commas removed) rounded to `decimals`; otherwise the lower-cased,
// stripped text, a single character as [" c", "c "] so it does not match inside words.
std::vector<OpenValue> normalize_open_value(std::string_view text, int decimals = 2);

// The candidate answers of a free-form response: the tails after "is ", "so ", "therefore ",
// "answer ", "=" (last line only) and similar key phrases (the shortest per line), or the
// whole response; plus every number in them; normalized, duplicates removed, sorted.
std::vector<OpenValue> parse_open_response(std::string_view response, int decimals = 2);

// eval_open: a candidate number equal to the normalized answer number, or a candidate text
// containing the normalized answer text.
bool eval_open(std::string_view answer, const std::vector<OpenValue>& candidates, int decimals = 2);

// The option letter a multiple-choice response picks: "(B)" forms first, then "B " , then
// "B.", then (responses of more than five words) option texts; several candidates -> the one
// written last. No candidate: nullopt (the harness then guesses at random).
std::optional<std::string> parse_multi_choice_response(
    std::string_view response, const std::vector<std::pair<std::string, std::string>>& options);

// The candidates as one line for reports ("12.5 | abc").
std::string describe(const std::vector<OpenValue>& values);

}  // namespace oqvl::eval
