#include "oqvl/report/smoothing.h"

#include <algorithm>
#include <cmath>

namespace oqvl::report {

std::vector<double> ema_smooth(const std::vector<double>& y, double span) {
  if (span <= 1) return y;
  const double keep = 1 - 2 / (span + 1);
  std::vector<double> out(y.size());
  double average = 0, weight = 0;  // weight: the sum of the weights so far (bias correction)
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (!std::isfinite(y[i])) {
      out[i] = y[i];
      continue;
    }
    average = keep * average + (1 - keep) * y[i];
    weight = keep * weight + (1 - keep);
    out[i] = average / weight;
  }
  return out;
}

double default_smoothing_span(std::size_t n) { return std::clamp(static_cast<double>(n) / 20, 1.0, 200.0); }

}  // namespace oqvl::report
