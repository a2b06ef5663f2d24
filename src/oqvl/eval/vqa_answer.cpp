#include "oqvl/eval/vqa_answer.h"

#include <algorithm>
#include <array>
#include <set>
#include <unordered_map>

#include "oqvl/data/text/python_str.h"
#include "oqvl/data/text/qwen2vl_tokenizer.h"
#include "oqvl/data/text/unicode.h"
#include "oqvl/data/text/unicode_lower.h"

namespace oqvl::eval {
namespace {

// vqaEval.py's punct list, in its order (the order matters: each replacement sees the previous).
constexpr std::array<char, 21> kPunct = {';',  '/', '[', ']', '"', '{', '}', '(', ')', '=', '+',
                                         '\\', '_', '-', '>', '<', '@', '`', ',', '?', '!'};
// periodStrip.sub("", text, re.UNICODE): re.UNICODE (32) lands in sub()'s count argument.
constexpr int kPeriodStripLimit = 32;

const std::unordered_map<std::string_view, std::string_view>& number_words() {
  static const std::unordered_map<std::string_view, std::string_view> kMap = {
      {"none", "0"}, {"zero", "0"}, {"one", "1"},   {"two", "2"},   {"three", "3"}, {"four", "4"},
      {"five", "5"}, {"six", "6"},  {"seven", "7"}, {"eight", "8"}, {"nine", "9"},  {"ten", "10"}};
  return kMap;
}

// vqaEval.py's contractions table. Keys with a capital never match (the text is lower-cased
// before the lookup); "somebody'd" -> "somebodyd" is the table's own.
const std::unordered_map<std::string_view, std::string_view>& contractions() {
  // clang-format off
  static const std::unordered_map<std::string_view, std::string_view> kMap = {
    {"'ow'sat", "'ow's'at"}, {"'ows'at", "'ow's'at"}, {"I'dve", "I'd've"}, {"Id've", "I'd've"},
    {"Im", "I'm"}, {"Ive", "I've"}, {"aint", "ain't"}, {"arent", "aren't"}, {"cant", "can't"},
    {"couldn'tve", "couldn't've"}, {"couldnt", "couldn't"}, {"couldnt've", "couldn't've"},
    {"couldve", "could've"}, {"didnt", "didn't"}, {"doesnt", "doesn't"}, {"dont", "don't"},
    {"hadn'tve", "hadn't've"}, {"hadnt", "hadn't"}, {"hadnt've", "hadn't've"}, {"hasnt", "hasn't"},
    {"havent", "haven't"}, {"he'dve", "he'd've"}, {"hed", "he'd"}, {"hed've", "he'd've"},
    {"hes", "he's"}, {"howd", "how'd"}, {"howll", "how'll"}, {"hows", "how's"}, {"isnt", "isn't"},
    {"it'dve", "it'd've"}, {"itd", "it'd"}, {"itd've", "it'd've"}, {"itll", "it'll"},
    {"let's", "let's"}, {"maam", "ma'am"}, {"mightn'tve", "mightn't've"}, {"mightnt", "mightn't"},
    {"mightnt've", "mightn't've"}, {"mightve", "might've"}, {"mustnt", "mustn't"},
    {"mustve", "must've"}, {"neednt", "needn't"}, {"notve", "not've"}, {"oclock", "o'clock"},
    {"oughtnt", "oughtn't"}, {"ow's'at", "'ow's'at"}, {"shant", "shan't"}, {"she'dve", "she'd've"},
    {"she's", "she's"}, {"shed've", "she'd've"}, {"shouldn'tve", "shouldn't've"},
    {"shouldnt", "shouldn't"}, {"shouldnt've", "shouldn't've"}, {"shouldve", "should've"},
    {"somebody'd", "somebodyd"}, {"somebody'dve", "somebody'd've"},
    {"somebodyd've", "somebody'd've"}, {"somebodyll", "somebody'll"}, {"somebodys", "somebody's"},
    {"someone'dve", "someone'd've"}, {"someoned", "someone'd"}, {"someoned've", "someone'd've"},
    {"someonell", "someone'll"}, {"someones", "someone's"}, {"something'dve", "something'd've"},
    {"somethingd", "something'd"}, {"somethingd've", "something'd've"},
    {"somethingll", "something'll"}, {"thats", "that's"}, {"there'dve", "there'd've"},
    {"thered", "there'd"}, {"thered've", "there'd've"}, {"therere", "there're"},
    {"theres", "there's"}, {"they'dve", "they'd've"}, {"theyd", "they'd"},
    {"theyd've", "they'd've"}, {"theyll", "they'll"}, {"theyre", "they're"}, {"theyve", "they've"},
    {"twas", "'twas"}, {"wasnt", "wasn't"}, {"we'dve", "we'd've"}, {"wed've", "we'd've"},
    {"werent", "weren't"}, {"weve", "we've"}, {"whatll", "what'll"}, {"whatre", "what're"},
    {"whats", "what's"}, {"whatve", "what've"}, {"whens", "when's"}, {"whered", "where'd"},
    {"wheres", "where's"}, {"whereve", "where've"}, {"who'dve", "who'd've"}, {"whod", "who'd"},
    {"whod've", "who'd've"}, {"wholl", "who'll"}, {"whos", "who's"}, {"whove", "who've"},
    {"whyll", "why'll"}, {"whyre", "why're"}, {"whys", "why's"}, {"wont", "won't"},
    {"wouldn'tve", "wouldn't've"}, {"wouldnt", "wouldn't"}, {"wouldnt've", "wouldn't've"},
    {"wouldve", "would've"}, {"y'all'dve", "y'all'd've"}, {"y'alld've", "y'all'd've"},
    {"y'allll", "y'all'll"}, {"yall", "y'all"}, {"yall'd've", "y'all'd've"},
    {"yall'll", "y'all'll"}, {"you'dve", "you'd've"}, {"youd", "you'd"}, {"youd've", "you'd've"},
    {"youll", "you'll"}, {"youre", "you're"}, {"youve", "you've"},
  };
  // clang-format on
  return kMap;
}

bool is_article(std::string_view w) { return w == "a" || w == "an" || w == "the"; }

// re.search(r"(\d)(\,)(\d)", text): a comma between two decimal digits.
bool has_digit_comma_digit(std::string_view text) {
  bool prev_digit = false, comma_after_digit = false;
  std::size_t len = 0;
  for (std::size_t pos = 0; pos < text.size(); pos += len) {
    const char32_t cp = data::python_code_point(text, pos, len);
    const bool digit = data::is_python_decimal(cp);
    if (comma_after_digit && digit) return true;
    comma_after_digit = cp == ',' && prev_digit;
    prev_digit = digit;
  }
  return false;
}

std::string replace_char(std::string_view text, char from, std::string_view to) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == from) {
      out += to;
    } else {
      out += c;
    }
  }
  return out;
}

// periodStrip: "." not followed by a decimal digit, deleted, the first kPeriodStripLimit only.
std::string strip_lone_periods(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  int removed = 0;
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    if (text[pos] == '.' && removed < kPeriodStripLimit) {
      std::size_t len = 0;
      const bool digit_next = pos + 1 < text.size() &&
                              data::is_python_decimal(data::python_code_point(text, pos + 1, len));
      if (!digit_next) {
        ++removed;
        continue;
      }
    }
    out += text[pos];
  }
  return out;
}

std::string clean(std::string_view text) {
  std::string s = data::unicode::repair_utf8(text);
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\t', ' ');
  return data::python_strip(s);
}

}  // namespace

std::string vqa_process_punctuation(std::string_view text_in) {
  const std::string text = data::unicode::repair_utf8(text_in);
  const bool drop_all = has_digit_comma_digit(text);
  std::string out = text;
  for (char p : kPunct) {
    const char beside_space[] = {p, ' ', '\0'};
    const char space_before[] = {' ', p, '\0'};
    const bool drop = drop_all || text.find(beside_space) != std::string::npos ||
                      text.find(space_before) != std::string::npos;
    out = replace_char(out, p, drop ? "" : " ");
  }
  return strip_lone_periods(out);
}

std::string vqa_process_digit_article(std::string_view text) {
  const std::string lower = data::unicode::python_lower(data::unicode::repair_utf8(text));
  std::string out;
  for (std::string_view word : data::python_split(lower)) {
    if (auto it = number_words().find(word); it != number_words().end()) word = it->second;
    if (is_article(word)) continue;
    if (auto it = contractions().find(word); it != contractions().end()) word = it->second;
    if (!out.empty()) out += ' ';
    out += word;
  }
  return out;
}

std::string normalize_vqa_answer(std::string_view text) {
  return vqa_process_digit_article(vqa_process_punctuation(clean(text)));
}

std::string_view cut_at_end_of_chunk(std::string_view prediction) {
  return prediction.substr(0, prediction.find(data::kEndOfChunkText));
}

double vqa_accuracy(std::string_view prediction, const std::vector<std::string>& answers) {
  if (answers.empty()) return 0;
  std::string pred = clean(prediction);
  std::vector<std::string> refs;
  refs.reserve(answers.size());
  for (const std::string& a : answers) refs.push_back(clean(a));
  if (std::set<std::string>(refs.begin(), refs.end()).size() > 1) {
    for (std::string& r : refs) r = normalize_vqa_answer(r);
    pred = normalize_vqa_answer(pred);
  }
  return leave_one_out_accuracy(pred, refs);
}

double leave_one_out_accuracy(std::string_view prediction, const std::vector<std::string>& refs) {
  if (refs.empty()) return 0;
  // Answer i's subset misses exactly that one answer.
  const auto matches = static_cast<double>(std::count(refs.begin(), refs.end(), prediction));
  double total = 0;
  for (const std::string& r : refs) total += std::min(1.0, (matches - (r == prediction ? 1 : 0)) / 3.0);
  return total / static_cast<double>(refs.size());
}

OpenAnswerScore score_open_answer(std::string_view prediction, const std::vector<std::string>& answers) {
  OpenAnswerScore s;
  const std::string_view cut = cut_at_end_of_chunk(prediction);
  s.normalized = normalize_vqa_answer(cut);
  for (const std::string& a : answers) {
    if (normalize_vqa_answer(a) == s.normalized) {
      s.exact = true;
      break;
    }
  }
  s.score = answers.size() == kVqaAnnotators ? vqa_accuracy(cut, answers) : (s.exact ? 1.0 : 0.0);
  return s;
}

}  // namespace oqvl::eval
