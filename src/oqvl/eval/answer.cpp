#include "oqvl/eval/answer.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <regex>
#include <set>

#include "oqvl/core/hash.h"
#include "oqvl/core/random.h"
#include "oqvl/core/strings.h"
#include "oqvl/eval/mathvista_answer.h"
#include "oqvl/eval/pope.h"
#include "oqvl/eval/textvqa_answer.h"
#include "oqvl/eval/vqa_answer.h"

namespace oqvl::eval {
namespace {

// Trailing punctuation and spaces a short answer often ends with.
std::string_view trim_end_punct(std::string_view s) {
  s = trim(s);
  while (!s.empty() && std::string_view(".,;:!?)'\"").find(s.back()) != std::string_view::npos) {
    s.remove_suffix(1);
    s = trim(s);
  }
  return s;
}

bool is_valid(const std::vector<std::pair<std::string, std::string>>& options,
              std::string_view letter) {
  for (const auto& o : options)
    if (o.first == letter) return true;
  return false;
}

std::string upper_letter(char c) {
  return std::string(1, static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
}

}  // namespace

bool contains_ignore_case(std::string_view output, std::string_view gt) {
  return ascii_lower(output).find(ascii_lower(gt)) != std::string::npos;
}

std::string extract_option_letter(std::string_view output,
                                  const std::vector<std::pair<std::string, std::string>>& options) {
  std::string_view s = trim(output);
  if (s.empty() || options.empty()) return {};
  auto valid = [&](char c) {
    std::string l = upper_letter(c);
    return std::isalpha(static_cast<unsigned char>(c)) && is_valid(options, l) ? l : std::string();
  };

  // 1. Just a letter, maybe in parentheses or followed by punctuation: "B", "b.", "(B)".
  std::string_view core = trim_end_punct(s);
  if (!core.empty() && core.front() == '(') core = trim(core.substr(1));
  if (core.size() == 1) return valid(core[0]);

  // 2. A leading "B." / "B)" / "B:" / "(B)" followed by more text ("B. a dress").
  {
    std::string_view t = s;
    bool paren = !t.empty() && t.front() == '(';
    if (paren) t.remove_prefix(1);
    if (t.size() >= 2 && std::isalpha(static_cast<unsigned char>(t[0])) &&
        (t[1] == '.' || t[1] == ')' || t[1] == ':') && !(paren && t[1] != ')')) {
      if (std::string l = valid(t[0]); !l.empty()) return l;
    }
  }

  // 3. "answer is B", "answer: (b)", "option B", "choice is C".
  {
    static const std::regex kStated(
        R"((?:answer|option|choice)\s*(?:is|:)?\s*(?:option\s+)?\(?([A-Za-z])\)?(?![A-Za-z]))",
        std::regex::icase);
    std::string text(s);
    std::set<std::string> found;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), kStated);
         it != std::sregex_iterator(); ++it) {
      if (std::string l = valid((*it)[1].str()[0]); !l.empty()) found.insert(l);
    }
    if (found.size() == 1) return *found.begin();
    if (found.size() > 1) return {};
  }

  // 4. The text of exactly one option: equal to the response, else contained in it.
  {
    std::string body = ascii_lower(trim_end_punct(s));
    std::vector<std::string> equal, contained;
    for (const auto& [letter, text] : options) {
      std::string t = ascii_lower(trim_end_punct(text));
      if (t.empty()) continue;
      if (body == t)
        equal.push_back(letter);
      else if (body.find(t) != std::string::npos)
        contained.push_back(letter);
    }
    if (equal.size() == 1) return equal[0];
    if (equal.empty() && contained.size() == 1) return contained[0];
  }

  // 5. A lone capital letter among the options, once ("I think C").
  {
    std::set<std::string> found;
    for (std::size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      if (c < 'A' || c > 'Z') continue;
      bool left = i == 0 || !std::isalnum(static_cast<unsigned char>(s[i - 1]));
      bool right = i + 1 == s.size() || !std::isalnum(static_cast<unsigned char>(s[i + 1]));
      if (!left || !right) continue;
      // "A cat", "I think": the article and the pronoun, not options.
      if ((c == 'A' || c == 'I') && i + 2 < s.size() && s[i + 1] == ' ' &&
          std::islower(static_cast<unsigned char>(s[i + 2]))) {
        continue;
      }
      if (std::string l = valid(c); !l.empty()) found.insert(l);
    }
    if (found.size() == 1) return *found.begin();
  }
  return {};
}

namespace {

Judgement judge_rule(const McItem& item, BenchKind kind, std::string_view output,
                     const ScoreOptions& options) {
  Judgement j;
  if (kind == BenchKind::kMathVista || kind == BenchKind::kMMMU || !item.multiple_choice()) {
    if (item.multiple_choice()) {
      if (options.rule == McRule::kStrictLetter) {
        j.extracted = extract_option_letter(output, item.options);
      } else if (auto letter = parse_multi_choice_response(output, item.options)) {
        j.extracted = *letter;
      } else if (options.mathvista_guess) {
        SplitMix64 rng(options.guess_seed ^ fnv1a64(item.index));
        j.extracted = item.options[rng.below(item.options.size())].first;
        j.guessed = true;
      }
      j.correct = !j.extracted.empty() && j.extracted == item.answer;
      return j;
    }
    int decimals = 2;
    if (options.mathvista_use_precision && item.answer_type == "float" && item.precision >= 0) {
      decimals = item.precision;
    }
    std::vector<OpenValue> candidates = parse_open_response(output, decimals);
    j.extracted = describe(candidates);
    j.correct = eval_open(item.answer, candidates, decimals);
    return j;
  }

  j.extracted = extract_option_letter(output, item.options);
  if (options.rule == McRule::kStrictLetter) {
    j.correct = !j.extracted.empty() && j.extracted == item.answer;
  } else if (kind == BenchKind::kMMStar) {
    j.correct = !item.answer.empty() &&
                std::string_view(output).find(item.answer) != std::string_view::npos;
  } else {
    j.correct = !item.answer.empty() && contains_ignore_case(output, item.answer);
  }
  return j;
}

}  // namespace

Judgement judge(const McItem& item, BenchKind kind, std::string_view output, const ScoreOptions& options) {
  const auto refs = item.answers.empty() ? std::vector<std::string>{item.answer} : item.answers;
  if (kind == BenchKind::kOpen) {
    const auto s = score_open_answer(output, refs);
    return Judgement{s.normalized, s.exact, s.score};
  }
  if (kind == BenchKind::kTextVQA) {
    const auto s = score_textvqa_answer(output, refs);
    return Judgement{s.processed, s.exact, s.score};
  }
  if (kind == BenchKind::kPOPE) {
    Judgement j;
    j.extracted = pope_label(output);
    j.correct = j.extracted == item.answer;
    j.score = j.correct ? 1.0 : 0.0;
    return j;
  }
  if (kind == BenchKind::kAI2D && options.rule == McRule::kPaper) {
    // The runner's prediction is the most likely letter (runner.h); a free-text output is read
    // with the strict extractor.
    Judgement j;
    j.extracted = item.option(output) ? std::string(output) : extract_option_letter(output, item.options);
    j.correct = !j.extracted.empty() && j.extracted == item.answer;
    j.score = j.correct ? 1.0 : 0.0;
    return j;
  }
  Judgement j = judge_rule(item, kind, output, options);
  j.score = j.correct ? 1.0 : 0.0;
  return j;
}

}  // namespace oqvl::eval
