// Axis math for the report's charts: "nice" tick positions (1, 2, 2.5 or 5 times a power of ten)
// that cover a data range, short tick labels, and the linear map from data to SVG coordinates.
// Pure functions; safe from any thread.
#pragma once

#include <string>
#include <vector>

namespace oqvl::report {

struct Ticks {
  double lo = 0, hi = 1;       // the axis range: the data range widened to whole ticks
  double step = 1;             // distance between neighbouring ticks
  std::vector<double> values;  // lo, lo + step, ..., hi
};

// Ticks for data in [min, max] (finite, min <= max): at most about `target` (>= 2) of them. A range
// of zero width is widened around its value (by 10%, or by 1 around 0). `integer`: the step is a
// whole number (step counts on an x axis).
Ticks nice_ticks(double min, double max, int target = 6, bool integer = false);

// The label of tick `value` on an axis with tick distance `step`: as many decimals as the step
// needs ("0.25"), thousands as k/M/G when the step is >= 1000 ("12.5k"), exponent notation
// when the step is below 0.001 ("2.5e-4"), and "0" for zero.
std::string format_tick(double value, double step);

// The fewest decimals (0..9) that write `x` exactly enough: 2.5 -> 1, 0.25 -> 2, 3 -> 0.
int decimals_needed(double x);

// Maps [lo, hi] linearly onto [a, b]; b < a for a y axis (SVG's y grows downwards).
struct LinearScale {
  double lo = 0, hi = 1, a = 0, b = 1;
  double operator()(double v) const { return hi == lo ? a : a + (v - lo) * (b - a) / (hi - lo); }
};

}  // namespace oqvl::report
