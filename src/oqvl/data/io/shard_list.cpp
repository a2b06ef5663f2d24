#include "oqvl/data/io/shard_list.h"

#include <fmt/format.h>
#include <glob.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <optional>

#include "oqvl/core/error.h"

namespace oqvl::data {
namespace fs = std::filesystem;
namespace {

// A typo like {0..99999999999} must not eat all memory.
constexpr std::size_t kMaxExpansion = 10'000'000;

std::optional<long long> parse_int(std::string_view s) {
  long long v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// "{a..b}" or "{a..b..step}" with integers or single letters; nullopt if `inner` is not one.
std::optional<std::vector<std::string>> expand_range(std::string_view inner) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t dots = inner.find("..", start);
    parts.push_back(inner.substr(start, dots == std::string_view::npos ? inner.npos : dots - start));
    if (dots == std::string_view::npos) break;
    start = dots + 2;
  }
  if (parts.size() != 2 && parts.size() != 3) return std::nullopt;
  long long step = 1;
  if (parts.size() == 3) {
    auto s = parse_int(parts[2]);
    if (!s) return std::nullopt;
    step = *s < 0 ? -*s : *s;
    if (step == 0) step = 1;
  }
  std::vector<std::string> out;
  auto a = parse_int(parts[0]), b = parse_int(parts[1]);
  if (a && b) {
    // Zero padding as in braceexpand: if either end has a leading zero, pad to the longer one.
    auto padded = [](std::string_view s) {
      return s != "0" && s != "-0" && (s.starts_with("0") || s.starts_with("-0"));
    };
    std::size_t width = (padded(parts[0]) || padded(parts[1])) ? std::max(parts[0].size(), parts[1].size())
                                                               : 0;
    long long lo = *a, hi = *b;
    unsigned long long count = (lo <= hi ? hi - lo : lo - hi) / step + 1;
    if (count > kMaxExpansion) fail("brace range {{{}}} is too large", inner);
    for (unsigned long long i = 0; i < count; ++i) {
      long long v = lo <= hi ? lo + static_cast<long long>(i) * step : lo - static_cast<long long>(i) * step;
      out.push_back(fmt::format("{:0{}d}", v, width));
    }
    return out;
  }
  auto letter = [](std::string_view s) {
    return s.size() == 1 && std::isalpha(static_cast<unsigned char>(s[0]));
  };
  if (letter(parts[0]) && letter(parts[1])) {
    int lo = parts[0][0], hi = parts[1][0];
    for (int c = lo; lo <= hi ? c <= hi : c >= hi; c += lo <= hi ? step : -step) {
      out.push_back(std::string(1, static_cast<char>(c)));
    }
    return out;
  }
  return std::nullopt;
}

void append_product(std::vector<std::string>& out, std::string_view head,
                    const std::vector<std::string>& alternatives, const std::vector<std::string>& rests) {
  if (out.size() + alternatives.size() * rests.size() > kMaxExpansion) {
    fail("brace expansion gives more than {} names", kMaxExpansion);
  }
  for (const auto& a : alternatives) {
    for (const auto& r : rests) out.push_back(fmt::format("{}{}{}", head, a, r));
  }
}

std::vector<std::string> expand(std::string_view s) {
  // Find the first '{' with a matching '}'.
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '{') continue;
    int depth = 0;
    std::size_t j = i;
    std::vector<std::size_t> commas;
    for (; j < s.size(); ++j) {
      if (s[j] == '{') ++depth;
      else if (s[j] == '}' && --depth == 0) break;
      else if (s[j] == ',' && depth == 1) commas.push_back(j);
    }
    if (j >= s.size()) return {std::string(s)};  // unreachable: balance is checked first
    std::string_view inner = s.substr(i + 1, j - i - 1);
    std::vector<std::string> alternatives;
    if (!commas.empty()) {
      std::size_t from = i + 1;
      commas.push_back(j);
      for (std::size_t c : commas) {
        for (auto& e : expand(s.substr(from, c - from))) alternatives.push_back(std::move(e));
        from = c + 1;
      }
    } else if (auto range = expand_range(inner)) {
      alternatives = std::move(*range);
    } else {
      // "{}" or "{abc}" is literal text, as in braceexpand; braces inside it may still expand.
      std::vector<std::string> out;
      append_product(out, s.substr(0, i + 1), expand(s.substr(i + 1)), {""});
      return out;
    }
    std::vector<std::string> out;
    append_product(out, s.substr(0, i), alternatives, expand(s.substr(j + 1)));
    return out;
  }
  return {std::string(s)};
}

}  // namespace

std::vector<std::string> expand_braces(std::string_view pattern) {
  // Unbalanced braces are an error, as in braceexpand (a typo, not a literal '{').
  int depth = 0;
  for (char c : pattern) {
    depth += c == '{' ? 1 : c == '}' ? -1 : 0;
    if (depth < 0) break;
  }
  if (depth != 0) fail("unbalanced braces in shard spec '{}'", pattern);
  return expand(pattern);
}

std::vector<std::string> expand_shard_specs(const std::vector<std::string>& specs) {
  std::vector<std::string> shards;
  for (const std::string& spec : specs) {
    if (spec == "-") {
      shards.push_back(spec);
      continue;
    }
    if (spec.starts_with("@")) {
      std::string list = spec.substr(1);
      std::ifstream in(list);
      if (!in) fail("cannot read shard list '{}' (from '{}')", list, spec);
      std::vector<std::string> lines;
      std::string line;
      while (std::getline(in, line)) {
        std::size_t b = line.find_first_not_of(" \t\r");
        std::size_t e = line.find_last_not_of(" \t\r");
        if (b == std::string::npos || line[b] == '#') continue;
        lines.push_back(line.substr(b, e - b + 1));
      }
      if (lines.empty()) fail("shard list '{}' is empty", list);
      for (auto& s : expand_shard_specs(lines)) shards.push_back(std::move(s));
      continue;
    }
    std::size_t before = shards.size();
    for (const std::string& name : expand_braces(spec)) {
      if (name.find_first_of("*?[") != std::string::npos) {
        glob_t g{};
        int rc = ::glob(name.c_str(), 0, nullptr, &g);
        if (rc == 0) {
          for (std::size_t k = 0; k < g.gl_pathc; ++k) shards.emplace_back(g.gl_pathv[k]);
        }
        ::globfree(&g);
        if (rc != 0 && rc != GLOB_NOMATCH) fail("cannot expand shard glob '{}'", name);
        continue;
      }
      std::error_code ec;
      if (!fs::exists(name, ec)) {
        fail("shard '{}' does not exist{}", name,
             name == spec ? std::string() : fmt::format(" (from spec '{}')", spec));
      }
      shards.push_back(name);
    }
    if (shards.size() == before) fail("shard spec '{}' matches no file", spec);
  }
  return shards;
}

}  // namespace oqvl::data
