#include "oqvl/report/axis.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace oqvl::report {

Ticks nice_ticks(double min, double max, int target, bool integer) {
  target = std::max(target, 2);
  if (!(max > min)) {
    const double pad = min == 0 ? 1 : std::abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const double raw = (max - min) / (target - 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  double nice = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10;
  // 2.5 is not whole below 10; 2 keeps the count close to the target.
  if (integer && nice == 2.5 && magnitude < 10) nice = 2;
  Ticks t;
  t.step = nice * magnitude;
  if (integer) t.step = std::max(1.0, std::round(t.step));
  // The small slack keeps a bound that is already a tick (1e-3 / 1e-4 = 9.999...) from growing
  // the axis by one more step.
  const double first = std::floor(min / t.step + 1e-9), last = std::ceil(max / t.step - 1e-9);
  t.lo = first * t.step;
  t.hi = last * t.step;
  const int n = static_cast<int>(std::llround(last - first));
  t.values.reserve(n + 1);
  for (int i = 0; i <= n; ++i) {
    // Multiplying (not summing) keeps rounding errors from accumulating; -0 becomes 0.
    double v = (first + i) * t.step;
    t.values.push_back(v == 0 ? 0.0 : v);
  }
  return t;
}

int decimals_needed(double x) {
  x = std::abs(x);
  double scaled = x;
  for (int d = 0; d < 9; ++d, scaled *= 10)
    if (std::abs(scaled - std::round(scaled)) <= 1e-6 * std::max(1.0, scaled)) return d;
  return 9;
}

namespace {

// Exponent notation without trailing zeros in the mantissa: 2.5e-4, 1e-3.
std::string format_exponent(double value, double step) {
  const int exponent = static_cast<int>(std::floor(std::log10(std::abs(value)) + 1e-9));
  const double scale = std::pow(10.0, exponent);
  std::string mantissa = fmt::format("{:.{}f}", value / scale, decimals_needed(step / scale));
  if (mantissa.find('.') != std::string::npos) {
    while (mantissa.back() == '0') mantissa.pop_back();
    if (mantissa.back() == '.') mantissa.pop_back();
  }
  return fmt::format("{}e{}", mantissa, exponent);
}

}  // namespace

std::string format_tick(double value, double step) {
  step = std::abs(step);
  if (value == 0 || std::abs(value) < step * 1e-6) return "0";
  if (step >= 1000) {
    // The unit follows the step, not the value, so one axis uses one unit throughout.
    const double unit = step >= 1e9 ? 1e9 : step >= 1e6 ? 1e6 : 1e3;
    const char* suffix = unit == 1e9 ? "G" : unit == 1e6 ? "M" : "k";
    return fmt::format("{:.{}f}{}", value / unit, decimals_needed(step / unit), suffix);
  }
  if (step < 1e-3) return format_exponent(value, step);
  return fmt::format("{:.{}f}", value, decimals_needed(step));
}

}  // namespace oqvl::report
