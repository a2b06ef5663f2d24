#include "oqvl/eval/circular.h"

#include <charconv>

#include "oqvl/core/error.h"

namespace oqvl::eval {
namespace {

bool parse_int(const std::string& s, long long& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

std::string circular_key(const McItem& item) {
  if (auto it = item.extra.find("circular_of"); it != item.extra.end() && it->is_string()) {
    return it->get<std::string>();
  }
  long long v = 0;
  if (parse_int(item.index, v) && v >= 0) return std::to_string(v % kCircularStride);
  return item.index;
}

McItem rotate_options(const McItem& item, int shift) {
  const int n = static_cast<int>(item.options.size());
  if (n == 0) fail("circular evaluation: item {} has no options to rotate", item.index);
  shift = ((shift % n) + n) % n;
  McItem out = item;
  std::string base = circular_key(item);
  for (int i = 0; i < n; ++i) {
    out.options[static_cast<std::size_t>(i)].second =
        item.options[static_cast<std::size_t>((i + shift) % n)].second;
  }
  for (int i = 0; i < n; ++i) {
    if (item.options[static_cast<std::size_t>(i)].first == item.answer) {
      out.answer = item.options[static_cast<std::size_t>(((i - shift) % n + n) % n)].first;
    }
  }
  if (!out.choices.empty()) {
    for (int i = 0; i < n && i < static_cast<int>(out.choices.size()); ++i)
      out.choices[static_cast<std::size_t>(i)] = out.options[static_cast<std::size_t>(i)].second;
  }
  long long v = 0;
  if (parse_int(item.index, v))
    out.index = std::to_string(v + static_cast<long long>(shift) * kCircularStride);
  else
    out.index = shift == 0 ? item.index : item.index + "#" + std::to_string(shift);
  out.extra["circular_of"] = base;
  out.extra["rotation"] = shift;
  return out;
}

std::vector<McItem> make_circular(const std::vector<McItem>& items) {
  std::vector<McItem> out;
  for (const McItem& item : items) {
    if (!item.multiple_choice()) {
      out.push_back(item);
      continue;
    }
    for (int s = 0; s < static_cast<int>(item.options.size()); ++s)
      out.push_back(rotate_options(item, s));
  }
  return out;
}

}  // namespace oqvl::eval
