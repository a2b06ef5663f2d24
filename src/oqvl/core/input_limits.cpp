#include "oqvl/core/input_limits.h"

#include <charconv>
#include <climits>
#include <fmt/format.h>

#include "oqvl/core/error.h"

namespace oqvl {

namespace {

InputLimits& limits() {
  static InputLimits l;
  return l;
}

struct Key {
  const char* name;
  std::int64_t InputLimits::*field;
  std::int64_t max;  // what the reader can take (an int field, the stack of a recursive walk)
};

constexpr Key kKeys[] = {
    {"image-side", &InputLimits::image_side, INT_MAX},
    {"image-pixels", &InputLimits::image_pixels, INT64_MAX},
    {"pickle-depth", &InputLimits::pickle_depth, 100000},
    {"pickle-values", &InputLimits::pickle_values, INT64_MAX},
    {"pickle-name-bytes", &InputLimits::pickle_name_bytes, INT64_MAX},
    {"safetensors-header-bytes", &InputLimits::safetensors_header_bytes, INT64_MAX},
};

}  // namespace

const InputLimits& input_limits() { return limits(); }

void set_input_limit(std::string_view key_value) {
  const auto eq = key_value.find('=');
  if (eq == std::string_view::npos)
    fail("--limit '{}': expected KEY=VALUE (keys: {})", key_value, input_limit_keys());
  const auto key = key_value.substr(0, eq);
  std::string_view value = key_value.substr(eq + 1);
  const Key* k = nullptr;
  for (const auto& c : kKeys)
    if (key == c.name) k = &c;
  if (!k) fail("--limit: unknown key '{}' (keys: {})", key, input_limit_keys());
  std::int64_t scale = 1;
  if (!value.empty()) {
    switch (value.back()) {
      case 'K': scale = std::int64_t{1} << 10; break;
      case 'M': scale = std::int64_t{1} << 20; break;
      case 'G': scale = std::int64_t{1} << 30; break;
      default: break;
    }
    if (scale != 1) value.remove_suffix(1);
  }
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  std::int64_t scaled = 0;
  if (ec != std::errc() || end != value.data() + value.size() || n <= 0 ||
      __builtin_mul_overflow(n, scale, &scaled) || scaled > k->max)
    fail("--limit {}: '{}' is not a whole number from 1 to {}", k->name, key_value.substr(eq + 1), k->max);
  limits().*(k->field) = scaled;
}

std::string input_limit_keys() {
  std::string out;
  for (const auto& k : kKeys) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{}={}", k.name, limits().*(k.field));
  }
  return out;
}

}  // namespace oqvl
