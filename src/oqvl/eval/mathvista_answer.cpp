#include "oqvl/eval/mathvista_answer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <regex>

#include "oqvl/core/strings.h"

namespace oqvl::eval {
namespace {

bool py_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
         (c >= '\x1c' && c <= '\x1f');
}

std::string_view strip(std::string_view s) {
  while (!s.empty() && py_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && py_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view strip_char(std::string_view s, char c) {
  while (!s.empty() && s.front() == c) s.remove_prefix(1);
  while (!s.empty() && s.back() == c) s.remove_suffix(1);
  return s;
}

// Python's len() of UTF-8 text: code points.
std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

// Python's str.split() (no argument): runs of whitespace separate, ends ignored.
std::size_t word_count(std::string_view s) {
  std::size_t n = 0;
  bool in_word = false;
  for (char c : s) {
    bool space = py_space(c);
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

// The part after the last occurrence of `sep` (Python's s.split(sep)[-1]).
std::string_view after_last(std::string_view s, std::string_view sep) {
  std::size_t at = s.rfind(sep);
  return at == std::string_view::npos ? s : s.substr(at + sep.size());
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Python float() digit part: digits, single underscores only between digits.
bool digit_part(std::string_view s, std::size_t& i, std::string& out) {
  if (i >= s.size() || !is_digit(s[i])) return false;
  while (i < s.size()) {
    if (is_digit(s[i])) {
      out += s[i++];
    } else if (s[i] == '_' && i + 1 < s.size() && is_digit(s[i + 1]) && i > 0 &&
               is_digit(s[i - 1])) {
      ++i;
    } else {
      break;
    }
  }
  return true;
}

void add_values(std::vector<OpenValue>& out, std::vector<OpenValue> add) {
  for (auto& v : add) out.push_back(std::move(v));
}

bool value_less(const OpenValue& a, const OpenValue& b) {
  if (a.is_number != b.is_number) return a.is_number;
  if (a.is_number) return a.number < b.number;
  return a.text < b.text;
}

}  // namespace

std::vector<std::string> extract_numbers(std::string_view text) {
  // The three patterns of the harness, applied one after the other to the whole text.
  static const std::regex kWithCommas(R"(-?\b[0-9]{1,3}(?:,[0-9]{3})+\b)");
  static const std::regex kScientific(R"(-?[0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]+)");
  static const std::regex kPlain(
      R"(-?(?:[0-9]+\.[0-9]+|\.[0-9]+|[0-9]+\b)(?![eE][+-]?[0-9]+)(?![,0-9]))");
  std::vector<std::string> out;
  std::string s(text);
  for (const std::regex* re : {&kWithCommas, &kScientific, &kPlain}) {
    for (auto it = std::sregex_iterator(s.begin(), s.end(), *re); it != std::sregex_iterator();
         ++it) {
      out.push_back(it->str());
    }
  }
  return out;
}

std::optional<double> parse_python_float(std::string_view text) {
  std::string s;
  for (char c : text)
    if (c != ',') s += c;
  std::string_view v = strip(s);
  if (v.empty()) return std::nullopt;
  std::string clean;
  std::size_t i = 0;
  if (v[i] == '+' || v[i] == '-') clean += v[i++];
  std::string rest = ascii_lower(v.substr(i));
  if (rest == "inf" || rest == "infinity") return clean == "-" ? -HUGE_VAL : HUGE_VAL;
  if (rest == "nan") return std::nan("");
  bool int_digits = digit_part(v, i, clean);
  bool frac_digits = false;
  if (i < v.size() && v[i] == '.') {
    clean += v[i++];
    frac_digits = digit_part(v, i, clean);
  }
  if (!int_digits && !frac_digits) return std::nullopt;
  if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
    clean += v[i++];
    if (i < v.size() && (v[i] == '+' || v[i] == '-')) clean += v[i++];
    if (!digit_part(v, i, clean)) return std::nullopt;
  }
  if (i != v.size()) return std::nullopt;
  return std::strtod(clean.c_str(), nullptr);
}

double round_decimals(double x, int decimals) {
  if (!std::isfinite(x)) return x;
  // printf rounds the exact binary value correctly (ties to even), as Python's round does.
  char buf[512];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return std::strtod(buf, nullptr);
}

std::vector<OpenValue> normalize_open_value(std::string_view text, int decimals) {
  std::string_view s = strip(text);
  if (std::optional<double> number = parse_python_float(s)) {
    return {OpenValue{true, round_decimals(*number, decimals), {}}};
  }
  std::string l = ascii_lower(s);
  if (code_points(l) == 1) return {OpenValue{false, 0, " " + l}, OpenValue{false, 0, l + " "}};
  return {OpenValue{false, 0, l}};
}

std::vector<OpenValue> parse_open_response(std::string_view response, int decimals) {
  // Key sub-responses. The harness splits at ". " before a capital letter or at line breaks,
  // but after lower-casing, so only line breaks split.
  std::string r = ascii_lower(strip_char(strip(response), '.'));
  std::vector<std::string_view> lines;
  for (std::size_t start = 0;;) {
    std::size_t nl = r.find('\n', start);
    lines.push_back(std::string_view(r).substr(
        start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  std::vector<std::string> indicators = {"could be ",  "so ",    "is ",     "thus ",
                                         "therefore ", "final ", "answer ", "result "};
  std::vector<std::string> keys;
  for (std::size_t k = 0; k < lines.size(); ++k) {
    if (k + 1 == lines.size()) indicators.push_back("=");
    std::string
        shortest;  // empty = none yet (Python treats "" as falsy, so an empty tail never sticks)
    for (const std::string& ind : indicators) {
      if (lines[k].find(ind) == std::string_view::npos) continue;
      std::string tail(strip(after_last(lines[k], ind)));
      if (shortest.empty() || tail.size() < shortest.size()) shortest = tail;
    }
    if (!shortest.empty()) {
      std::string_view t = strip(shortest);
      static const std::vector<std::string_view> kTrivial = {":", ",", ".", "!", "?", ";", "'"};
      if (std::find(kTrivial.begin(), kTrivial.end(), t) == kTrivial.end())
        keys.push_back(shortest);
    }
  }
  if (keys.empty()) keys.push_back(r);

  std::vector<std::string> raw = keys;
  for (const std::string& key : keys)
    for (std::string& n : extract_numbers(key)) raw.push_back(std::move(n));
  std::vector<OpenValue> out;
  for (const std::string& v : raw) add_values(out, normalize_open_value(v, decimals));
  std::sort(out.begin(), out.end(), value_less);
  out.erase(
      std::unique(out.begin(), out.end(),
                  [](const OpenValue& a, const OpenValue& b) {
                    return a.is_number == b.is_number && a.text == b.text &&
                           (a.number == b.number || (std::isnan(a.number) && std::isnan(b.number)));
                  }),
      out.end());
  return out;
}

bool eval_open(std::string_view answer, const std::vector<OpenValue>& candidates, int decimals) {
  std::vector<OpenValue> gold = normalize_open_value(answer, decimals);
  for (const OpenValue& c : candidates) {
    for (const OpenValue& g : gold) {
      if (c.is_number && g.is_number && c.number == g.number) return true;
      if (!c.is_number && !g.is_number && c.text.find(g.text) != std::string::npos) return true;
    }
  }
  return false;
}

std::optional<std::string> parse_multi_choice_response(
    std::string_view response, const std::vector<std::pair<std::string, std::string>>& options) {
  std::string_view r = response;
  for (char c : {',', '.', '!', '?', ';', ':', '\''}) r = strip_char(r, c);
  const std::string padded = " " + std::string(r) + " ";

  std::vector<std::string> candidates;
  bool bracketed = false, by_letter = true;
  for (const auto& [letter, text] : options)
    if (padded.find("(" + letter + ")") != std::string::npos) candidates.push_back(letter);
  bracketed = !candidates.empty();
  if (candidates.empty()) {
    for (const auto& [letter, text] : options)
      if (padded.find(letter + " ") != std::string::npos) candidates.push_back(letter);
  }
  if (candidates.empty()) {
    for (const auto& [letter, text] : options)
      if (padded.find(letter + ".") != std::string::npos) candidates.push_back(letter);
  }
  const std::string padded_lower = ascii_lower(padded);
  if (candidates.empty() && word_count(padded) > 5) {
    for (const auto& [letter, text] : options) {
      if (padded_lower.find(ascii_lower(text)) != std::string::npos) {
        candidates.push_back(letter);
        by_letter = false;
      }
    }
  }
  if (candidates.empty()) return std::nullopt;
  if (candidates.size() == 1) return candidates[0];

  // Several: the one whose mention starts last (the first of equals, like numpy's argmax;
  // a form that is not found counts as -1).
  long best = -2;
  std::string pick;
  for (const std::string& letter : candidates) {
    std::size_t at;
    if (!by_letter) {
      const std::string* text = nullptr;
      for (const auto& o : options)
        if (o.first == letter) text = &o.second;
      at = padded_lower.rfind(ascii_lower(*text));
    } else {
      at = padded.rfind(bracketed ? "(" + letter + ")" : " " + letter + " ");
    }
    long pos = at == std::string::npos ? -1 : static_cast<long>(at);
    if (pos > best) {
      best = pos;
      pick = letter;
    }
  }
  return pick;
}

std::string describe(const std::vector<OpenValue>& values) {
  std::string out;
  for (const OpenValue& v : values) {
    if (!out.empty()) out += " | ";
    if (v.is_number) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.10g", v.number);
      out += buf;
    } else {
      out += v.text;
    }
  }
  return out;
}

}  // namespace oqvl::eval
