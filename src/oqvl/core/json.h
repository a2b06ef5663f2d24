// JSON helpers every reader uses, so config files and manifests follow one rule: a key that is
// absent or null takes its default; a key of the wrong type is an oqvl::Error naming the key and
// where it came from (never a silent conversion such as 2.5 -> 2).
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "oqvl/core/error.h"

namespace oqvl {

// Untrusted JSON nested deeper than this is refused. nlohmann parses any depth and frees values
// without recursion, but copying or printing a value recurses once per level: a line of 200,000
// '[' overflowed the stack (tests/fuzz/corpus/url_list/regress-deep-json). Real files nest a
// handful of levels.
inline constexpr int kMaxJsonDepth = 1000;

// Whether the arrays and objects in `text` nest at most `max_depth` deep (brackets inside strings
// do not count). A linear scan, no parse: call it before parsing text that will be copied.
bool json_depth_within(std::string_view text, int max_depth = kMaxJsonDepth);

// Parses a whole JSON file (at most kMaxJsonDepth deep). Errors name `what` ("model config", "run config") and the path:
// missing file, unreadable, invalid JSON (with the parser's position), too deeply nested.
nlohmann::json read_json_file(const std::filesystem::path& path, std::string_view what);

// Whether `value` has the JSON type that T reads from: integers for integral T (not 2.5, not
// true), numbers for floating T, booleans for bool, strings for std::string; anything for others.
template <typename T>
bool json_type_matches(const nlohmann::json& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value.is_boolean();
  } else if constexpr (std::is_integral_v<T>) {
    return value.is_number_integer();
  } else if constexpr (std::is_floating_point_v<T>) {
    return value.is_number();
  } else if constexpr (std::is_same_v<T, std::string>) {
    return value.is_string();
  } else {
    return true;
  }
}

// `value` as the integer type T. An oqvl::Error naming `what` unless it is a JSON integer that T
// holds: nlohmann's get<int>() casts 1.5e25 (undefined behaviour) and 2^40 (truncation) without a
// word (tests/fuzz/corpus/tokenizer_json/regress-float-id).
template <typename T>
T json_integer(const nlohmann::json& value, std::string_view what) {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  bool fits = false;
  if (value.is_number_unsigned()) {
    fits = std::in_range<T>(value.get<std::uint64_t>());
  } else if (value.is_number_integer()) {
    fits = std::in_range<T>(value.get<std::int64_t>());
  }
  if (!fits) {
    fail("{}: expected an integer from {} to {}, got {}", what, std::numeric_limits<T>::min(),
         std::numeric_limits<T>::max(), value.is_number() ? value.dump() : value.type_name());
  }
  if (value.is_number_unsigned()) return static_cast<T>(value.get<std::uint64_t>());
  return static_cast<T>(value.get<std::int64_t>());
}

// `value` as the floating type T: an oqvl::Error naming `what` unless it is a JSON number T can
// hold (get<float>() of 1e300 is undefined behaviour).
template <typename T>
T json_number(const nlohmann::json& value, std::string_view what) {
  static_assert(std::is_floating_point_v<T>);
  if (!value.is_number()) fail("{}: expected a number, got {}", what, value.type_name());
  const double d = value.get<double>();
  if (!(std::abs(d) <= static_cast<double>(std::numeric_limits<T>::max())))
    fail("{}: {} is out of range", what, value.dump());
  return static_cast<T>(d);
}

// Sets `out` from j[key] when the key is present and not null; leaves it unchanged otherwise.
// `what` names the source in errors ("Qwen2 config", a file path).
template <typename T>
void read_optional(const nlohmann::json& j, std::string_view key, T& out, std::string_view what) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  if (!json_type_matches<T>(*it)) fail("{}: '{}' has the wrong type ({})", what, key, it->type_name());
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    out = json_integer<T>(*it, fmt::format("{}: '{}'", what, key));
  } else if constexpr (std::is_floating_point_v<T>) {
    out = json_number<T>(*it, fmt::format("{}: '{}'", what, key));
  } else {
    try {
      out = it->template get<T>();
    } catch (const nlohmann::json::exception& e) {
      fail("{}: '{}' has the wrong type ({})", what, key, e.what());
    }
  }
}

// j[key] as T, or `fallback` when absent or null; errors as read_optional.
template <typename T>
T value_or(const nlohmann::json& j, std::string_view key, T fallback, std::string_view what) {
  read_optional(j, key, fallback, what);
  return fallback;
}

}  // namespace oqvl
